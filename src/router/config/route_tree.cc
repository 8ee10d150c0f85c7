#include "router/config/route_tree.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "router/config/mcrouter_config.h"
#include "router/config/nutcracker_config.h"
#include "router/hash/md5.h"

namespace memfleet::router {
namespace {

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  // suffix is lower case.
  return std::equal(suffix.begin(), suffix.end(), s.end() - suffix.size(), [](char want, char c) {
    return std::tolower(static_cast<unsigned char>(c)) == want;
  });
}

uint64_t HostNameHash() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return 1;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const char* p = name; *p != '\0'; ++p) {
    h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

}  // namespace

std::string UpstreamSpec::key() const {
  // Everything that changes how the server is spoken to; not the pool that named it first.
  return address + "|" + std::to_string(server_timeout_ms) + "|" +
         std::to_string(connect_timeout_ms) + "|" + std::to_string(connections) + "|" +
         (auto_eject_hosts ? "1" : "0") + "|" + std::to_string(server_failure_limit) + "|" +
         std::to_string(server_retry_timeout_ms);
}

const Route* RouteTree::Select(std::string_view key, std::string_view* key_out) const {
  *key_out = key;
  if (aliases_.empty() || key.size() < 5 || key[0] != '/') return default_route_;
  // "/region/cluster/rest": the prefix ends at the third slash.
  size_t second = key.find('/', 1);
  if (second == std::string_view::npos) return default_route_;
  size_t third = key.find('/', second + 1);
  if (third == std::string_view::npos) return default_route_;
  std::string_view prefix = key.substr(0, third + 1);
  auto it = std::lower_bound(aliases_.begin(), aliases_.end(), prefix,
                             [](const Alias& a, std::string_view p) { return a.prefix < p; });
  if (it == aliases_.end() || it->prefix != prefix) return default_route_;
  *key_out = key.substr(third + 1);
  return it->route.get();
}

memfleet::Result<std::shared_ptr<const RouteTree>> LoadRouteTree(std::string_view name,
                                                                 std::string_view text,
                                                                 const LoadOptions& options) {
  LoadOptions resolved = options;
  if (resolved.host_id == 0) resolved.host_id = HostNameHash();
  const hash::Md5Digest digest = hash::Md5(text);
  static constexpr char kHex[] = "0123456789abcdef";
  resolved.config_md5.clear();
  for (uint8_t b : digest) {
    resolved.config_md5 += kHex[b >> 4];
    resolved.config_md5 += kHex[b & 15];
  }
  if (EndsWithNoCase(name, ".yml") || EndsWithNoCase(name, ".yaml")) {
    return LoadNutcrackerConfig(text, resolved);
  }
  return LoadMcrouterConfig(text, resolved);
}

}  // namespace memfleet::router
