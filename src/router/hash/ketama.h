// Ketama continua: the points of every server on a 32-bit circle, and the lookup that sends a key
// hash to the first point at or after it (wrapping to the first point).
//
// Three layouts, each matching its reference exactly:
//  - libketama (BuildLibketamaContinuum): libmemcached's MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, which
//    PHP Memcached's OPT_LIBKETAMA_COMPATIBLE and pylibmc's {"ketama_weighted": True} select.
//    A server of weight w out of total W among L servers gets
//    floor(float(w/W) * 160 / 4 * L + 1e-10) * 4 points (160 when weights are equal), taken four
//    at a time from the MD5 of "<host>-<i>", or "<host>:<port>-<i>" when the port is not 11211.
//  - twemproxy (BuildNutcrackerContinuum): the same arithmetic over "<name>-<i>", where name is
//    the server's configured name, else "<host>" for port 11211, else "<host>:<port>"; twemproxy
//    lays out its servers sorted by that name (shorter first, then bytewise).
//  - libmemcached's unweighted MEMCACHED_BEHAVIOR_KETAMA (BuildLibmemcachedContinuum; what
//    pylibmc's {"ketama": True} gives): 100 points per server, one per "<host>[:<port>]-<i>",
//    hashed with the client's key hash (one_at_a_time unless the client sets another).
//
// Points are sorted by value with ties kept in insertion order, as glibc's qsort (a merge sort)
// leaves them. A Continuum is immutable once built; Find is const, thread-safe, allocation-free.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "router/hash/nutcracker_hash.h"

namespace memfleet::router::hash {

struct ContinuumPoint {
  uint32_t value;
  uint32_t server;  // index into the caller's server list
};

class Continuum {
 public:
  Continuum() = default;
  // Sorts the points by value (stable). REQUIRES: points non-empty.
  explicit Continuum(std::vector<ContinuumPoint> points);

  // The server of the first point whose value is >= hash, or of the first point.
  uint32_t Find(uint32_t hash) const;
  const std::vector<ContinuumPoint>& points() const { return points_; }

 private:
  std::vector<ContinuumPoint> points_;
};

// A server as a weighted ketama layout sees it.
struct KetamaServer {
  std::string point_key;  // the text before "-<i>" in every point's MD5 input
  uint32_t weight = 1;
  uint32_t index = 0;  // reported by Find
};

// The points a server of `weight` gets out of `total_weight` among `live` servers (libmemcached's
// and twemproxy's float arithmetic, exactly).
uint32_t WeightedKetamaPoints(uint32_t weight, uint64_t total_weight, uint32_t live);

// libmemcached's "<host>" / "<host>:<port>" point key for an address "host:port" (port 11211
// when absent; "[v6]:port" drops the brackets, as libmemcached stores the host).
std::string LibmemcachedPointKey(std::string_view address);

// twemproxy's point key for a server without a name: the address text, less ":11211".
std::string NutcrackerPointKey(std::string_view address);

// The weighted (libketama / twemproxy) layout over servers in the given order. REQUIRES: the
// total weight is positive.
Continuum BuildWeightedKetamaContinuum(std::span<const KetamaServer> servers);

// libmemcached's unweighted layout: 100 points per server hashed with `hash`.
Continuum BuildLibmemcachedContinuum(std::span<const std::string> point_keys,
                                     NutcrackerHashKind hash);

}  // namespace memfleet::router::hash
