#include "router/config/nutcracker_config.h"

namespace memfleet::router {

memfleet::Result<std::shared_ptr<const RouteTree>> LoadNutcrackerConfig(std::string_view,
                                                                        const LoadOptions&) {
  return Status::InvalidArgument("nutcracker.yml configs are not supported yet");
}

}  // namespace memfleet::router
