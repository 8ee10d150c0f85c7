// NutcrackerPool: the HashFunction of a twemproxy (nutcracker.yml) pool, placing keys exactly as
// twemproxy 0.5.0's server_pool_idx does with every server live (no auto_eject_hosts ejections):
//
//  - hash_tag "ab": when the key holds an `a` and, after it, a `b` with at least one byte
//    between, only the bytes between the first `a` and the first `b` after it are hashed;
//    otherwise (no `a`, no `b` after it, or "ab" adjacent) the whole key is;
//  - a pool of one server always picks it; an empty (hashed part of the) key hashes to 0;
//  - ketama: the twemproxy continuum (ketama.h) over the servers' names;
//  - modula: hash % total weight over the servers sorted by name, each taking `weight` slots;
//  - random: a uniformly random server per call (a per-thread generator).
//
// With auto_eject_hosts, twemproxy rebuilds its placement over the servers that are not ejected;
// WithoutServers builds that placement (the same rules over the live servers only, Pick still
// answering the index in the full pool), which NutcrackerPoolRoute swaps in while servers are out.
//
// Immutable once built; Pick is const, thread-safe and allocation-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "router/hash/hash_func.h"
#include "router/hash/ketama.h"
#include "router/hash/nutcracker_hash.h"

namespace memfleet::router::hash {

enum class NutcrackerDistribution { kKetama, kModula, kRandom };

// The distribution a nutcracker.yml name stands for (case-insensitive); InvalidArgument otherwise.
Result<NutcrackerDistribution> ParseNutcrackerDistribution(std::string_view name);

class NutcrackerPool final : public HashFunction {
 public:
  // Builds the pool of spec (func "nutcracker"): InvalidArgument for an unknown hash or
  // distribution, a hash_tag that is not two characters, a weight that is not a whole number
  // >= 1, or two servers with the same name (twemproxy refuses them too).
  static Result<std::unique_ptr<HashFunction>> Create(const HashSpec& spec);

  size_t Pick(std::string_view key) const override;
  size_t size() const override { return size_; }

  // The twemproxy hash of key alone (after hash_tag, before distribution).
  uint32_t HashKey(std::string_view key) const;

  // The pool as twemproxy places keys while the servers marked in `out` (by index, size()
  // entries) are ejected: over the others only. nullptr when every server is out.
  std::unique_ptr<NutcrackerPool> WithoutServers(const std::vector<bool>& out) const;

 private:
  NutcrackerPool() = default;
  // Fills the placement over `live` (servers in twemproxy's order).
  void Place(const std::vector<KetamaServer>& live);

  size_t size_ = 0;
  NutcrackerHashKind hash_ = NutcrackerHashKind::kFnv1a_64;
  NutcrackerDistribution distribution_ = NutcrackerDistribution::kKetama;
  std::string hash_tag_;
  std::string salt_;
  std::vector<KetamaServer> servers_;     // every server, in twemproxy's (name-sorted) order
  std::vector<uint32_t> random_servers_;  // random: the servers to pick from
  Continuum continuum_;                   // ketama
  // modula: cumulative weights in twemproxy's (name-sorted) server order, and each slot's server.
  std::vector<uint64_t> modula_ends_;
  std::vector<uint32_t> modula_servers_;
};

}  // namespace memfleet::router::hash
