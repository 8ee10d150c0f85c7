#include "router/hash/ketama.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "router/hash/md5.h"

namespace memfleet::router::hash {
namespace {

constexpr uint32_t kWeightedPoints = 160;      // per server at equal weights, 4 per digest
constexpr uint32_t kLibmemcachedPoints = 100;  // unweighted MEMCACHED_POINTS_PER_SERVER
constexpr std::string_view kDefaultPort = "11211";

struct HostPort {
  std::string_view host;
  std::string_view port;  // empty when the address has none
};

HostPort SplitAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close != std::string_view::npos) {
      std::string_view port;
      if (close + 1 < address.size() && address[close + 1] == ':') port = address.substr(close + 2);
      return {address.substr(0, close + 1), port};
    }
  }
  if (colon == std::string_view::npos) return {address, {}};
  return {address.substr(0, colon), address.substr(colon + 1)};
}

void AppendDecimal(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;
  out.append(digits, end);
}

}  // namespace

Continuum::Continuum(std::vector<ContinuumPoint> points) : points_(std::move(points)) {
  std::stable_sort(
      points_.begin(), points_.end(),
      [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value < b.value; });
}

uint32_t Continuum::Find(uint32_t hash) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const ContinuumPoint& p, uint32_t h) { return p.value < h; });
  if (it == points_.end()) it = points_.begin();
  return it->server;
}

uint32_t WeightedKetamaPoints(uint32_t weight, uint64_t total_weight, uint32_t live) {
  // Float, not double, at every step before the final addition: the references' arithmetic.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float scaled = pct * static_cast<float>(kWeightedPoints);
  scaled = scaled / 4.0f;
  scaled = scaled * static_cast<float>(live);
  const auto nudged = static_cast<float>(static_cast<double>(scaled) + 0.0000000001);
  return static_cast<uint32_t>(std::floor(nudged) * 4.0f);
}

std::string LibmemcachedPointKey(std::string_view address) {
  HostPort hp = SplitAddress(address);
  std::string_view host = hp.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint64_t port = 11211;
  if (!hp.port.empty()) {
    uint64_t parsed = 0;
    auto [ptr, ec] = std::from_chars(hp.port.data(), hp.port.data() + hp.port.size(), parsed);
    if (ec == std::errc() && ptr == hp.port.data() + hp.port.size()) port = parsed;
  }
  std::string key(host);
  if (port != 11211) {
    key += ':';
    AppendDecimal(key, port);
  }
  return key;
}

std::string NutcrackerPointKey(std::string_view address) {
  HostPort hp = SplitAddress(address);
  if (hp.port.empty() || hp.port == kDefaultPort) return std::string(hp.host);
  return std::string(address);
}

Continuum BuildWeightedKetamaContinuum(std::span<const KetamaServer> servers) {
  uint64_t total_weight = 0;
  for (const KetamaServer& s : servers) total_weight += s.weight;
  const auto live = static_cast<uint32_t>(servers.size());
  std::vector<ContinuumPoint> points;
  points.reserve(servers.size() * kWeightedPoints);
  std::string text;
  for (const KetamaServer& s : servers) {
    const uint32_t count = WeightedKetamaPoints(s.weight, total_weight, live);
    for (uint32_t i = 0; i < count / 4; ++i) {
      text.assign(s.point_key);
      text += '-';
      AppendDecimal(text, i);
      const Md5Digest digest = Md5(text);
      for (unsigned word = 0; word < 4; ++word) points.push_back({Md5Word(digest, word), s.index});
    }
  }
  return Continuum(std::move(points));
}

Continuum BuildLibmemcachedContinuum(std::span<const std::string> point_keys,
                                     NutcrackerHashKind hash) {
  std::vector<ContinuumPoint> points;
  points.reserve(point_keys.size() * kLibmemcachedPoints);
  std::string text;
  for (size_t server = 0; server < point_keys.size(); ++server) {
    for (uint32_t i = 0; i < kLibmemcachedPoints; ++i) {
      text.assign(point_keys[server]);
      text += '-';
      AppendDecimal(text, i);
      points.push_back({NutcrackerHash(hash, text), static_cast<uint32_t>(server)});
    }
  }
  return Continuum(std::move(points));
}

}  // namespace memfleet::router::hash
