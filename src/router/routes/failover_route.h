// FailoverRoute: children tried in order while they fail — the route behind standby pools,
// gutter pools (FailoverWithExptimeRoute) and replicated reads (LatestRoute).
//
// What "fail" means is a FailoverErrors (by default every protocol::IsFailoverError result:
// remote error, timeout, connect error, TKO; a miss never), which mcrouter's `failover_errors`
// narrows per operation class. A FailoverRateLimiter (mcrouter's `failover_limit`) caps the share
// of requests that may fail over, so that a broken pool does not double the load on the next.
//
// Built by the config loader; immutable afterwards and shared by every worker thread. The one
// mutable part is the rate limiter, which is thread-safe (atomics, no lock). Per-request state
// lives in the request's arena.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Which results move a failover on to its next child, per operation class as mcrouter groups
// them: gets (get, gets, gat, gats), updates (set, add, replace, append, prepend, cas), deletes
// (delete). Every other operation fails over on protocol::IsFailoverError. Plain data.
class FailoverErrors {
 public:
  enum class OpClass : uint8_t { kGets, kUpdates, kDeletes, kOther };
  static constexpr size_t kClasses = 4;
  static OpClass ClassOf(Op op);

  // Every class: protocol::IsFailoverError.
  FailoverErrors();

  // Replaces what one class fails over on (codes: errors only).
  void Set(OpClass c, const std::vector<ResultCode>& codes);
  bool ShouldFailover(Op op, ResultCode code) const {
    return (masks_[static_cast<size_t>(ClassOf(op))] >> static_cast<unsigned>(code)) & 1u;
  }

  // The error results a failover_errors list may name, by mcrouter's names ("timeout",
  // "connect_error", "tko", "remote_error", "client_error", "connect_timeout"). mcrouter error
  // names that memfleet never produces ("busy", "shutdown", ...) give nullopt with *known set;
  // anything else leaves *known false.
  static std::optional<ResultCode> ErrorByName(std::string_view name, bool* known);

 private:
  static uint32_t DefaultMask();
  std::array<uint32_t, kClasses> masks_;
};

// mcrouter's failover_limit: a token bucket whose clock is the number of requests the route
// has seen, so `rate` is the share of requests that may fail over (0..1) and `burst` how many
// may fail over at once beyond that share. Starts full. Thread-safe: every worker thread counts
// and consumes through atomics.
class FailoverRateLimiter {
 public:
  static constexpr double kDefaultBurst = 1000;
  // rate is clamped to [0, 1], burst to at least 1.
  FailoverRateLimiter(double rate, double burst);

  // One request has entered the route.
  void CountRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }
  // Takes one failover token; false when the limit is reached.
  bool Allow();

  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  const double rate_;
  const double burst_;
  std::atomic<uint64_t> requests_{0};
  // The request count at which the bucket was empty: tokens = min(burst, (now - zero) * rate).
  std::atomic<double> zero_;
};

// Sends the request to the first child; while the reply is a failover error (FailoverErrors for
// the request's operation) and the rate limiter allows it, to the next child. The reply is the
// first reply that is not a failover error; when every child fails (or the limit stops the
// failover), the last failure. A TKO (a child marked down, nothing sent) fails over without
// taking a token, as in mcrouter.
class FailoverRoute : public FanOutRoute {
 public:
  // limiter: nullptr for no limit.
  explicit FailoverRoute(std::vector<RoutePtr> children, FailoverErrors errors = {},
                         std::unique_ptr<FailoverRateLimiter> limiter = nullptr);

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "FailoverRoute"; }

  const FailoverErrors& errors() const { return errors_; }
  const FailoverRateLimiter* limiter() const { return limiter_.get(); }

 private:
  class Attempts;
  FailoverErrors errors_;
  // Not const through the route: the bucket changes as requests pass (thread-safe).
  std::unique_ptr<FailoverRateLimiter> limiter_;
};

}  // namespace memfleet::router
