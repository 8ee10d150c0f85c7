#include "router/routes/error_route.h"

namespace memfleet::router {

ErrorRoute::ErrorRoute(std::string_view response) {
  if (response.empty()) {
    line_ = kDefaultLine;
    return;
  }
  line_.reserve(kPrefix.size() + response.size());
  line_ = kPrefix;
  for (char c : response) {
    const auto u = static_cast<unsigned char>(c);
    line_.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
}

}  // namespace memfleet::router
