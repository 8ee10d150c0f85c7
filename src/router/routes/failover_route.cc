#include "router/routes/failover_route.h"

#include <algorithm>
#include <utility>

#include "router/routes/child_walk.h"

namespace memfleet::router {

// --- FailoverErrors

FailoverErrors::OpClass FailoverErrors::ClassOf(Op op) {
  switch (op) {
    case Op::kGet:
    case Op::kGets:
    case Op::kGat:
    case Op::kGats:
      return OpClass::kGets;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
      return OpClass::kUpdates;
    case Op::kDelete:
      return OpClass::kDeletes;
    default:
      return OpClass::kOther;
  }
}

uint32_t FailoverErrors::DefaultMask() {
  uint32_t mask = 0;
  for (unsigned c = 0; c <= static_cast<unsigned>(ResultCode::kTko); ++c) {
    if (protocol::IsFailoverError(static_cast<ResultCode>(c))) mask |= 1u << c;
  }
  return mask;
}

FailoverErrors::FailoverErrors() { masks_.fill(DefaultMask()); }

void FailoverErrors::Set(OpClass c, const std::vector<ResultCode>& codes) {
  uint32_t mask = 0;
  for (ResultCode code : codes) mask |= 1u << static_cast<unsigned>(code);
  masks_[static_cast<size_t>(c)] = mask;
}

std::optional<ResultCode> FailoverErrors::ErrorByName(std::string_view name, bool* known) {
  *known = true;
  for (unsigned c = 0; c <= static_cast<unsigned>(ResultCode::kTko); ++c) {
    auto code = static_cast<ResultCode>(c);
    if (protocol::IsError(code) && protocol::ResultCodeName(code) == name) return code;
  }
  // mcrouter's other error results (carbon::Result): a memfleet route never sees them.
  static constexpr std::array<std::string_view, 17> kMcrouterOnly = {
      "ooo",         "busy",      "try_again", "shutdown",          "local_error",
      "bad_command", "bad_key",   "bad_flags", "bad_exptime",       "bad_lease_id",
      "bad_cas_id",  "bad_value", "aborted",   "deadline_exceeded", "permission_denied",
      "hot_key",     "overloaded"};
  if (std::find(kMcrouterOnly.begin(), kMcrouterOnly.end(), name) == kMcrouterOnly.end()) {
    *known = false;
  }
  return std::nullopt;
}

// --- FailoverRateLimiter

FailoverRateLimiter::FailoverRateLimiter(double rate, double burst)
    : rate_(std::clamp(rate, 0.0, 1.0)),
      burst_(std::max(burst, 1.0)),
      // As mcrouter's bucket: full at the start (empty long before request 0).
      zero_(-1e6) {}

bool FailoverRateLimiter::Allow() {
  const auto now = static_cast<double>(requests_.load(std::memory_order_relaxed));
  double zero = zero_.load(std::memory_order_relaxed);
  while (true) {
    double tokens = std::min(burst_, (now - zero) * rate_);
    if (!(tokens >= 1.0)) return false;  // also rate 0
    // Taking one token moves the empty point forward by 1/rate requests.
    double next = now - (tokens - 1.0) / rate_;
    if (zero_.compare_exchange_weak(zero, next, std::memory_order_relaxed)) return true;
    // zero was reloaded by the failed exchange: another thread took a token meanwhile.
  }
}

// --- FailoverRoute

// One request's walk over the children. Lives in the request's arena.
class FailoverRoute::Attempts final : public ReplyReceiver {
 public:
  Attempts(const FailoverRoute& route, const Request& req, RequestContext& ctx, ReplyReceiver& done)
      : route_(route), req_(req), ctx_(ctx), done_(done) {}

  void OnReply(const protocol::Result& r) override {
    const std::vector<RoutePtr>& children = route_.children_;
    if (walk_.HasNext(children.size()) && route_.errors_.ShouldFailover(req_.op, r.code) &&
        (r.code == ResultCode::kTko || route_.limiter_ == nullptr || route_.limiter_->Allow())) {
      walk_.Next(children, req_, ctx_, *this);
      return;
    }
    done_.OnReply(r);
  }

 private:
  const FailoverRoute& route_;
  const Request& req_;  // valid for the life of the context (route.h)
  RequestContext& ctx_;
  ReplyReceiver& done_;
  ChildWalk walk_;
};

FailoverRoute::FailoverRoute(std::vector<RoutePtr> children, FailoverErrors errors,
                             std::unique_ptr<FailoverRateLimiter> limiter)
    : FanOutRoute(std::move(children)), errors_(errors), limiter_(std::move(limiter)) {}

void FailoverRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  if (limiter_ != nullptr) limiter_->CountRequest();
  if (children_.size() == 1) {
    children_[0]->Dispatch(req, ctx, done);
    return;
  }
  children_[0]->Dispatch(req, ctx, *ctx.Make<Attempts>(*this, req, ctx, done));
}

}  // namespace memfleet::router
