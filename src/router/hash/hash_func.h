// HashFunction: picks which of a pool's servers owns a key.
//
// A pool (router/routes PoolRoute, HashRoute) holds one HashFunction built for its server list by
// MakeHashFunction. The families are mcrouter's (Ch3, WeightedCh3, Crc32, Rendezvous), the
// classic client ones (Ketama as libmemcached's MEMCACHED_BEHAVIOR_KETAMA with MD5, Jump,
// Modula) and twemproxy's (a nutcracker.yml pool: its `hash` function and its `distribution`,
// ketama, modula or random, with its own ketama point layout and `hash_tag`). A function is
// immutable once built and Pick is const and lock-free: every worker thread shares one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace memfleet::router::hash {

// One server of a pool, as the hash function sees it.
struct HashServer {
  // "host:port" as the config spells it (the pool's servers list).
  std::string address;
  // twemproxy's optional server name ("127.0.0.1:11211:1 name"); its ketama points hash the
  // name when given. Empty otherwise.
  std::string name;
  double weight = 1.0;
};

struct HashSpec {
  // The function's name, case-insensitive: ch3, crc32, weightedch3, rendezvous, ketama, jump,
  // modula; or "nutcracker" for a twemproxy pool (see nutcracker_hash and distribution).
  std::string func = "ch3";
  std::string salt;  // mcrouter's hash "salt": appended to the key before hashing
  std::vector<HashServer> servers;
  // twemproxy pools only.
  std::string nutcracker_hash = "fnv1a_64";  // fnv1a_64, fnv1_64, ..., md5, crc32, murmur...
  std::string distribution = "ketama";       // ketama, modula, random
  std::string hash_tag;                      // two characters, e.g. "{}"; empty: none
};

class HashFunction {
 public:
  virtual ~HashFunction() = default;
  // The index (0 .. servers.size()-1) of the server that owns key. Thread-safe.
  virtual size_t Pick(std::string_view key) const = 0;
  virtual size_t size() const = 0;
};

// Builds the function a spec names. InvalidArgument (a message naming the problem: unknown
// function, no servers, a bad weight...) when it cannot be built.
memfleet::Result<std::unique_ptr<HashFunction>> MakeHashFunction(const HashSpec& spec);

}  // namespace memfleet::router::hash
