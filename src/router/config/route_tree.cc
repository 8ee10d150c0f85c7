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

// Whether text matches pattern, where '*' in pattern stands for any run of characters.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The "/region/cluster/" prefix of key (ending at its third slash), or empty.
std::string_view RoutingPrefix(std::string_view key) {
  if (key.size() < 5 || key[0] != '/') return {};
  size_t second = key.find('/', 1);
  if (second == std::string_view::npos) return {};
  size_t third = key.find('/', second + 1);
  if (third == std::string_view::npos) return {};
  return key.substr(0, third + 1);
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
  if (aliases_.empty()) return default_route_;
  // "/region/cluster/rest": the prefix ends at the third slash.
  std::string_view prefix = RoutingPrefix(key);
  if (prefix.empty()) return default_route_;
  auto it = std::lower_bound(aliases_.begin(), aliases_.end(), prefix,
                             [](const Alias& a, std::string_view p) { return a.prefix < p; });
  if (it == aliases_.end() || it->prefix != prefix) return default_route_;
  *key_out = key.substr(prefix.size());
  return it->route.get();
}

bool RouteTree::SelectWildcard(std::string_view key, std::string_view* key_out,
                               std::vector<const Route*>* routes) const {
  if (aliases_.empty()) return false;
  std::string_view prefix = RoutingPrefix(key);
  if (prefix.find('*') == std::string_view::npos) return false;
  *key_out = key.substr(prefix.size());
  routes->clear();
  const size_t second = prefix.find('/', 1);
  const std::string_view region = prefix.substr(1, second - 1);
  const std::string_view cluster = prefix.substr(second + 1, prefix.size() - second - 2);
  for (const Alias& a : aliases_) {
    const size_t a_second = a.prefix.find('/', 1);
    std::string_view alias = a.prefix;
    if (!GlobMatch(region, alias.substr(1, a_second - 1)) ||
        !GlobMatch(cluster, alias.substr(a_second + 1, alias.size() - a_second - 2))) {
      continue;
    }
    const Route* r = a.route.get();
    if (std::find(routes->begin(), routes->end(), r) != routes->end()) continue;
    if (r == default_route_) {
      routes->insert(routes->begin(), r);
    } else {
      routes->push_back(r);
    }
  }
  return true;
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
