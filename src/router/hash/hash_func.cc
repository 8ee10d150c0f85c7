// MakeHashFunction: validates a HashSpec and builds the function it names. The families' math
// lives in their own files (furc, mcrouter_hash, ketama, jump, nutcracker_pool); the classes
// here hold each one's prepared state and apply the route salt.
#include "router/hash/hash_func.h"

#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "router/hash/furc.h"
#include "router/hash/jump.h"
#include "router/hash/ketama.h"
#include "router/hash/mcrouter_hash.h"
#include "router/hash/md5.h"
#include "router/hash/nutcracker_hash.h"
#include "router/hash/nutcracker_pool.h"

namespace memfleet::router::hash {
namespace {

// A function that hashes key + salt: the concatenation is built on the stack (mcrouter does the
// same, up to 512 bytes), so Pick allocates only for longer keys, which memcached keys never are.
class SaltedFunction : public HashFunction {
 public:
  SaltedFunction(size_t n, std::string salt) : n_(n), salt_(std::move(salt)) {}

  size_t Pick(std::string_view key) const final {
    if (salt_.empty()) return PickHashable(key);
    char buf[512];
    if (key.size() + salt_.size() > sizeof(buf)) return PickHashable(std::string(key) + salt_);
    std::memcpy(buf, key.data(), key.size());
    std::memcpy(buf + key.size(), salt_.data(), salt_.size());
    return PickHashable(std::string_view(buf, key.size() + salt_.size()));
  }
  size_t size() const final { return n_; }

 protected:
  // The index for the (salted) key.
  virtual size_t PickHashable(std::string_view hashable) const = 0;

 private:
  size_t n_;
  std::string salt_;
};

class Ch3Function final : public SaltedFunction {
 public:
  using SaltedFunction::SaltedFunction;

 protected:
  size_t PickHashable(std::string_view key) const override { return Ch3Index(key, size()); }
};

class WeightedCh3Function final : public SaltedFunction {
 public:
  WeightedCh3Function(std::vector<double> weights, std::string salt)
      : SaltedFunction(weights.size(), std::move(salt)), weights_(std::move(weights)) {}

 protected:
  size_t PickHashable(std::string_view key) const override {
    return WeightedCh3Index(key, weights_);
  }

 private:
  std::vector<double> weights_;
};

class Crc32Function final : public SaltedFunction {
 public:
  using SaltedFunction::SaltedFunction;

 protected:
  size_t PickHashable(std::string_view key) const override {
    return McrouterCrc32Index(key, size());
  }
};

class RendezvousFunction final : public SaltedFunction {
 public:
  RendezvousFunction(std::vector<uint64_t> server_hashes, std::string salt)
      : SaltedFunction(server_hashes.size(), std::move(salt)),
        server_hashes_(std::move(server_hashes)) {}

 protected:
  size_t PickHashable(std::string_view key) const override {
    return RendezvousIndex(key, server_hashes_);
  }

 private:
  std::vector<uint64_t> server_hashes_;
};

class JumpFunction final : public SaltedFunction {
 public:
  using SaltedFunction::SaltedFunction;

 protected:
  size_t PickHashable(std::string_view key) const override {
    return JumpConsistentHash(Fnv1a64(key), static_cast<uint32_t>(size()));
  }
};

class ModulaFunction final : public SaltedFunction {
 public:
  using SaltedFunction::SaltedFunction;

 protected:
  size_t PickHashable(std::string_view key) const override { return Fnv1a64(key) % size(); }
};

// libmemcached's continua: a single server takes every key (libmemcached skips hashing); else the
// key hash (MD5 for libketama, the configured one for plain ketama) finds the point.
class KetamaFunction final : public SaltedFunction {
 public:
  KetamaFunction(size_t n, std::string salt, Continuum continuum, NutcrackerHashKind key_hash)
      : SaltedFunction(n, std::move(salt)), continuum_(std::move(continuum)), key_hash_(key_hash) {}

 protected:
  size_t PickHashable(std::string_view key) const override {
    if (size() == 1) return 0;
    return continuum_.Find(NutcrackerHash(key_hash_, key));
  }

 private:
  Continuum continuum_;
  NutcrackerHashKind key_hash_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string ServerLabel(const HashSpec& spec, size_t i) {
  return "server " + std::to_string(i) + " (" + spec.servers[i].address + ")";
}

Status CheckWeights(const HashSpec& spec) {
  for (size_t i = 0; i < spec.servers.size(); ++i) {
    const double w = spec.servers[i].weight;
    if (std::isnan(w) || w < 0) {
      return Status::InvalidArgument(ServerLabel(spec, i) + " has a negative weight");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<HashFunction>> MakeWeightedCh3(const HashSpec& spec) {
  std::vector<double> weights;
  for (size_t i = 0; i < spec.servers.size(); ++i) {
    const double w = spec.servers[i].weight;
    if (w > 1.0) {
      return Status::InvalidArgument("WeightedCh3: " + ServerLabel(spec, i) + " has weight " +
                                     std::to_string(w) + "; weights are in [0, 1]");
    }
    weights.push_back(w);
  }
  return std::unique_ptr<HashFunction>(
      std::make_unique<WeightedCh3Function>(std::move(weights), spec.salt));
}

Result<std::unique_ptr<HashFunction>> MakeLibketama(const HashSpec& spec) {
  std::vector<KetamaServer> servers;
  uint64_t total = 0;
  for (size_t i = 0; i < spec.servers.size(); ++i) {
    const double w = spec.servers[i].weight;
    if (w != std::floor(w) || w > 4294967295.0) {
      return Status::InvalidArgument("ketama: " + ServerLabel(spec, i) +
                                     " needs a whole-number weight (libmemcached's are integers)");
    }
    servers.push_back({LibmemcachedPointKey(spec.servers[i].address), static_cast<uint32_t>(w),
                       static_cast<uint32_t>(i)});
    total += static_cast<uint64_t>(w);
  }
  if (total == 0) return Status::InvalidArgument("ketama: every server has weight 0");
  return std::unique_ptr<HashFunction>(std::make_unique<KetamaFunction>(
      spec.servers.size(), spec.salt, BuildWeightedKetamaContinuum(servers),
      NutcrackerHashKind::kMd5));
}

Result<std::unique_ptr<HashFunction>> MakeLibmemcachedKetama(const HashSpec& spec) {
  Result<NutcrackerHashKind> key_hash =
      ParseNutcrackerHash(spec.key_hash.empty() ? "one_at_a_time" : spec.key_hash);
  if (!key_hash.ok()) {
    return Status::InvalidArgument("libmemcached_ketama key_hash: " + key_hash.status().message());
  }
  std::vector<std::string> keys;
  for (const HashServer& s : spec.servers) keys.push_back(LibmemcachedPointKey(s.address));
  return std::unique_ptr<HashFunction>(std::make_unique<KetamaFunction>(
      spec.servers.size(), spec.salt, BuildLibmemcachedContinuum(keys, key_hash.value()),
      key_hash.value()));
}

constexpr std::string_view kKnownFunctions =
    "ch3, weightedch3, crc32, rendezvous, ketama, libmemcached_ketama, jump, modula, nutcracker";

}  // namespace

memfleet::Result<std::unique_ptr<HashFunction>> MakeHashFunction(const HashSpec& spec) {
  if (spec.servers.empty()) return Status::InvalidArgument("a pool needs at least one server");
  if (Status s = CheckWeights(spec); !s.ok()) return s;
  const size_t n = spec.servers.size();
  const std::string_view func = spec.func;

  if (EqualsIgnoreCase(func, "ch3")) {
    if (n > kFurcMaxPoolSize) {
      return Status::InvalidArgument("Ch3: a pool holds at most " +
                                     std::to_string(kFurcMaxPoolSize) + " servers");
    }
    return std::unique_ptr<HashFunction>(std::make_unique<Ch3Function>(n, spec.salt));
  }
  if (EqualsIgnoreCase(func, "weightedch3")) {
    if (n > kFurcMaxPoolSize) {
      return Status::InvalidArgument("WeightedCh3: a pool holds at most " +
                                     std::to_string(kFurcMaxPoolSize) + " servers");
    }
    return MakeWeightedCh3(spec);
  }
  if (EqualsIgnoreCase(func, "crc32")) {
    return std::unique_ptr<HashFunction>(std::make_unique<Crc32Function>(n, spec.salt));
  }
  if (EqualsIgnoreCase(func, "rendezvous")) {
    std::vector<uint64_t> hashes;
    for (const HashServer& s : spec.servers) {
      hashes.push_back(RendezvousServerHash(s.name.empty() ? s.address : s.name));
    }
    return std::unique_ptr<HashFunction>(
        std::make_unique<RendezvousFunction>(std::move(hashes), spec.salt));
  }
  if (EqualsIgnoreCase(func, "jump")) {
    if (n > 0x7fffffff) return Status::InvalidArgument("Jump: too many servers");
    return std::unique_ptr<HashFunction>(std::make_unique<JumpFunction>(n, spec.salt));
  }
  if (EqualsIgnoreCase(func, "modula")) {
    return std::unique_ptr<HashFunction>(std::make_unique<ModulaFunction>(n, spec.salt));
  }
  if (EqualsIgnoreCase(func, "ketama")) return MakeLibketama(spec);
  if (EqualsIgnoreCase(func, "libmemcached_ketama")) return MakeLibmemcachedKetama(spec);
  if (EqualsIgnoreCase(func, "nutcracker")) return NutcrackerPool::Create(spec);
  return Status::InvalidArgument("unknown hash function \"" + spec.func +
                                 "\" (known: " + std::string(kKnownFunctions) + ")");
}

}  // namespace memfleet::router::hash
