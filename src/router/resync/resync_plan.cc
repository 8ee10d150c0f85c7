#include "router/resync/resync_plan.h"

namespace memfleet::router::resync {

std::string_view PlanName(Plan p) {
  switch (p) {
    case Plan::kReplay:
      return "replay";
    case Plan::kCopy:
      return "copy";
    case Plan::kFlushCopy:
      return "flush_copy";
    case Plan::kFallbackReplay:
      return "fallback_replay";
    case Plan::kFallbackFlush:
      return "fallback_flush";
  }
  return "replay";
}

}  // namespace memfleet::router::resync
