#include "router/hash/nutcracker_pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

namespace memfleet::router::hash {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

// twemproxy's string_compare: the shorter string first, then bytewise.
bool NameLess(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return std::memcmp(a.data(), b.data(), a.size()) < 0;
}

// The part of key that twemproxy hashes under hash_tag (two characters).
std::string_view TaggedPart(std::string_view key, std::string_view tag) {
  if (tag.size() != 2) return key;
  const size_t start = key.find(tag[0]);
  if (start == std::string_view::npos) return key;
  const size_t end = key.find(tag[1], start + 1);
  if (end == std::string_view::npos || end - start <= 1) return key;
  return key.substr(start + 1, end - start - 1);
}

uint32_t ThreadRandom() {
  thread_local std::minstd_rand engine(std::random_device{}());
  return static_cast<uint32_t>(engine());
}

}  // namespace

Result<NutcrackerDistribution> ParseNutcrackerDistribution(std::string_view name) {
  if (EqualsIgnoreCase(name, "ketama")) return NutcrackerDistribution::kKetama;
  if (EqualsIgnoreCase(name, "modula")) return NutcrackerDistribution::kModula;
  if (EqualsIgnoreCase(name, "random")) return NutcrackerDistribution::kRandom;
  return Status::InvalidArgument("unknown nutcracker distribution \"" + std::string(name) +
                                 "\" (known: ketama, modula, random)");
}

Result<std::unique_ptr<HashFunction>> NutcrackerPool::Create(const HashSpec& spec) {
  Result<NutcrackerHashKind> hash = ParseNutcrackerHash(spec.nutcracker_hash);
  if (!hash.ok()) return Status::InvalidArgument("nutcracker pool: " + hash.status().message());
  Result<NutcrackerDistribution> distribution = ParseNutcrackerDistribution(spec.distribution);
  if (!distribution.ok()) return distribution.status();
  if (!spec.hash_tag.empty() && spec.hash_tag.size() != 2) {
    return Status::InvalidArgument("nutcracker hash_tag \"" + spec.hash_tag +
                                   "\" is not two characters");
  }

  // Servers in twemproxy's order: sorted by the name its ketama hashes.
  std::vector<KetamaServer> servers;
  servers.reserve(spec.servers.size());
  for (size_t i = 0; i < spec.servers.size(); ++i) {
    const HashServer& s = spec.servers[i];
    if (!(s.weight >= 1) || s.weight != std::floor(s.weight) || s.weight > 4294967295.0) {
      return Status::InvalidArgument("nutcracker server " + std::to_string(i) + " (" + s.address +
                                     ") needs a whole-number weight >= 1");
    }
    servers.push_back({s.name.empty() ? NutcrackerPointKey(s.address) : s.name,
                       static_cast<uint32_t>(s.weight), static_cast<uint32_t>(i)});
  }
  std::stable_sort(servers.begin(), servers.end(),
                   [](const KetamaServer& a, const KetamaServer& b) {
                     return NameLess(a.point_key, b.point_key);
                   });
  for (size_t i = 1; i < servers.size(); ++i) {
    if (servers[i].point_key == servers[i - 1].point_key) {
      return Status::InvalidArgument("nutcracker pool has two servers with the name \"" +
                                     servers[i].point_key + "\"");
    }
  }

  std::unique_ptr<NutcrackerPool> pool(new NutcrackerPool());
  pool->size_ = spec.servers.size();
  pool->hash_ = hash.value();
  pool->distribution_ = distribution.value();
  pool->hash_tag_ = spec.hash_tag;
  pool->salt_ = spec.salt;
  pool->servers_ = servers;
  pool->Place(servers);
  return std::unique_ptr<HashFunction>(std::move(pool));
}

void NutcrackerPool::Place(const std::vector<KetamaServer>& live) {
  continuum_ = Continuum();
  modula_ends_.clear();
  modula_servers_.clear();
  random_servers_.clear();
  switch (distribution_) {
    case NutcrackerDistribution::kKetama:
      continuum_ = BuildWeightedKetamaContinuum(live);
      break;
    case NutcrackerDistribution::kModula: {
      uint64_t end = 0;
      for (const KetamaServer& s : live) {
        end += s.weight;
        modula_ends_.push_back(end);
        modula_servers_.push_back(s.index);
      }
      break;
    }
    case NutcrackerDistribution::kRandom:
      for (const KetamaServer& s : live) random_servers_.push_back(s.index);
      break;
  }
}

std::unique_ptr<NutcrackerPool> NutcrackerPool::WithoutServers(const std::vector<bool>& out) const {
  std::vector<KetamaServer> live;
  for (const KetamaServer& s : servers_) {
    if (s.index >= out.size() || !out[s.index]) live.push_back(s);
  }
  if (live.empty()) return nullptr;
  std::unique_ptr<NutcrackerPool> pool(new NutcrackerPool());
  pool->size_ = size_;
  pool->hash_ = hash_;
  pool->distribution_ = distribution_;
  pool->hash_tag_ = hash_tag_;
  pool->salt_ = salt_;
  pool->servers_ = servers_;
  pool->Place(live);
  return pool;
}

uint32_t NutcrackerPool::HashKey(std::string_view key) const {
  const std::string_view part = TaggedPart(key, hash_tag_);
  if (part.empty()) return 0;
  return NutcrackerHash(hash_, part);
}

size_t NutcrackerPool::Pick(std::string_view key) const {
  if (size_ == 1) return 0;
  if (distribution_ == NutcrackerDistribution::kRandom) {
    return random_servers_[ThreadRandom() % random_servers_.size()];
  }
  uint32_t hash;
  if (salt_.empty()) {
    hash = HashKey(key);
  } else {
    char buf[512];
    if (key.size() + salt_.size() <= sizeof(buf)) {
      std::memcpy(buf, key.data(), key.size());
      std::memcpy(buf + key.size(), salt_.data(), salt_.size());
      hash = HashKey(std::string_view(buf, key.size() + salt_.size()));
    } else {
      hash = HashKey(std::string(key) + salt_);
    }
  }
  if (distribution_ == NutcrackerDistribution::kKetama) return continuum_.Find(hash);
  const uint64_t slot = hash % modula_ends_.back();
  const size_t i =
      std::upper_bound(modula_ends_.begin(), modula_ends_.end(), slot) - modula_ends_.begin();
  return modula_servers_[i];
}

}  // namespace memfleet::router::hash
