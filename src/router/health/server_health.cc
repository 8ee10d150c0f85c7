#include "router/health/server_health.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "router/health/health_registry.h"

namespace memfleet::router::health {
namespace {

// kEject without the nutcracker directives (cannot happen from the yml reader, which fills in
// nutcracker's defaults): nutcracker's defaults.
constexpr int kDefaultFailureLimit = 2;
constexpr int64_t kDefaultRetryTimeoutMs = 30000;

}  // namespace

const char* HealthStateName(HealthState s) {
  switch (s) {
    case HealthState::kUp:
      return "up";
    case HealthState::kDown:
      return "down";
    case HealthState::kRecovering:
      return "recovering";
    case HealthState::kResyncing:
      return "resyncing";
  }
  return "up";
}

ServerHealth::ServerHealth(const UpstreamSpec& spec, HealthMode mode, const HealthOptions& options,
                           HealthRegistry* registry)
    : key_(spec.key()),
      address_(spec.address),
      mode_(mode),
      options_(options),
      failure_limit_(spec.server_failure_limit > 0 ? spec.server_failure_limit
                                                   : kDefaultFailureLimit),
      retry_timeout_(spec.server_retry_timeout_ms > 0 ? spec.server_retry_timeout_ms
                                                      : kDefaultRetryTimeoutMs),
      registry_(registry),
      pool_(spec.pool),
      rng_(static_cast<uint32_t>(std::hash<std::string>{}(key_) | 1)) {}

std::string ServerHealth::pool() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pool_;
}

int64_t ServerHealth::probe_delay_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return probe_delay_ms_;
}

void ServerHealth::SetStateLocked(HealthState s, bool comeback) {
  const uint32_t w = word_.load(std::memory_order_relaxed);
  const uint32_t comebacks = ComebacksOf(w) + (comeback ? 1 : 0);
  // Release: a worker that sees the new word sees what led to it.
  word_.store((comebacks << 2) | static_cast<uint32_t>(s), std::memory_order_release);
  last_change_unix_.store(registry_->UnixNow(), std::memory_order_relaxed);
}

int64_t ServerHealth::JitteredLocked(int64_t delay_ms) {
  if (options_.probe_jitter <= 0) return delay_ms;
  const double j = std::min(options_.probe_jitter, 1.0);
  const double u = std::uniform_real_distribution<double>(-j, j)(rng_);
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(delay_ms * (1.0 + u))));
}

void ServerHealth::OnSoftError(int64_t now_ms) {
  if (mode_ == HealthMode::kNever || state() == HealthState::kDown) return;
  const int limit = mode_ == HealthMode::kEject ? failure_limit_ : options_.timeouts_until_tko;
  if (streak_.fetch_add(1, std::memory_order_relaxed) + 1 < limit) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (state() == HealthState::kDown) return;
  // Refused by the guard: the streak stays, so the next timeout asks again.
  MarkDownLocked(now_ms);
}

void ServerHealth::OnHardError(int64_t now_ms) {
  if (mode_ == HealthMode::kNever || state() == HealthState::kDown) return;
  if (mode_ == HealthMode::kEject &&
      streak_.fetch_add(1, std::memory_order_relaxed) + 1 < failure_limit_) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (state() == HealthState::kDown) return;
  MarkDownLocked(now_ms);
}

void ServerHealth::MarkDownForWriteLog(int64_t now_ms) {
  if (mode_ == HealthMode::kNever || state() == HealthState::kDown) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (state() == HealthState::kDown) return;
  MarkDownLocked(now_ms, /*ask_guard=*/false);
}

bool ServerHealth::MarkDownLocked(int64_t now_ms, bool ask_guard) {
  if (mode_ == HealthMode::kTko && state() == HealthState::kUp && ask_guard) {
    // The guard decides and, when it allows, marks the server down under its own lock, so that
    // two servers of a pool failing at once are counted one after the other.
    if (!registry_->DownIfAllowed(*this)) return false;
  } else {
    SetStateLocked(HealthState::kDown, false);
  }
  streak_.store(0, std::memory_order_relaxed);
  if (mode_ == HealthMode::kEject) {
    // nutcracker: retried after server_retry_timeout, every time.
    probe_delay_ms_ = retry_timeout_;
    next_probe_ms_ = now_ms + retry_timeout_;
    registry_->OnEjectionChange();
    return true;
  }
  // Flap damping: down again soon after a probe brought it back (within twice the delay that was
  // in force then, and at least ten initial delays) resumes the backoff where it stopped.
  const int64_t initial = std::max<int64_t>(1, options_.probe_delay_initial_ms);
  const int64_t window = std::max(2 * last_delay_ms_, 10 * initial);
  int64_t delay = initial;
  if (up_since_ms_ >= 0 && now_ms - up_since_ms_ < window && last_delay_ms_ > 0) {
    delay = NextDelay(last_delay_ms_);
  }
  probe_delay_ms_ = delay;
  next_probe_ms_ = now_ms + JitteredLocked(delay);
  return true;
}

int64_t ServerHealth::NextDelay(int64_t delay_ms) const {
  const int64_t cap =
      std::max(options_.probe_delay_max_ms, std::max<int64_t>(1, options_.probe_delay_initial_ms));
  const double next = static_cast<double>(delay_ms) * std::max(1.0, options_.probe_delay_factor);
  return next >= static_cast<double>(cap) ? cap : static_cast<int64_t>(next);
}

bool ServerHealth::ClaimProbe(int64_t now_ms) {
  if (state() != HealthState::kDown) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (state() != HealthState::kDown || probing_ || now_ms < next_probe_ms_) return false;
  probing_ = true;
  return true;
}

void ServerHealth::ProbeDone(bool ok, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    probing_ = false;
    if (state() != HealthState::kDown) return;
    if (!ok) {
      if (mode_ == HealthMode::kEject) {
        next_probe_ms_ = now_ms + retry_timeout_;
      } else {
        probe_delay_ms_ = NextDelay(probe_delay_ms_);
        next_probe_ms_ = now_ms + JitteredLocked(probe_delay_ms_);
      }
      return;
    }
    up_since_ms_ = now_ms;
    last_delay_ms_ = probe_delay_ms_;
    streak_.store(0, std::memory_order_relaxed);
    if (registry_->hook() == nullptr) {
      SetStateLocked(HealthState::kUp, true);
      if (mode_ == HealthMode::kEject) registry_->OnEjectionChange();
      return;
    }
    // Reads keep failing fast while the hook decides (and works).
    recoveries_.fetch_add(1, std::memory_order_acq_rel);
    SetStateLocked(HealthState::kRecovering, false);
  }
  if (!registry_->hook()->BeginRecovery(*this)) FinishRecovery();
}

bool ServerHealth::BeginResync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state() != HealthState::kRecovering) return false;
  SetStateLocked(HealthState::kResyncing, false);
  return true;
}

bool ServerHealth::EndResync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state() != HealthState::kResyncing) return false;
  SetStateLocked(HealthState::kRecovering, false);
  return true;
}

void ServerHealth::FinishRecovery() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state() != HealthState::kRecovering) return;
  SetStateLocked(HealthState::kUp, true);
  if (mode_ == HealthMode::kEject) registry_->OnEjectionChange();
}

}  // namespace memfleet::router::health
