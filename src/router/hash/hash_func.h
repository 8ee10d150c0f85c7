// HashFunction: picks which of a pool's servers owns a key.
//
// A pool (router/routes PoolRoute, HashRoute) holds one HashFunction built for its server list by
// MakeHashFunction. The families are mcrouter's (Ch3, WeightedCh3, Crc32, Rendezvous), the
// classic client ones (Ketama as libmemcached's MEMCACHED_BEHAVIOR_KETAMA with MD5, Jump,
// Modula) and twemproxy's (a nutcracker.yml pool: its `hash` function and its `distribution`,
// ketama, modula or random, with its own ketama point layout and `hash_tag`). A function is
// immutable once built and Pick is const and lock-free: every worker thread shares one.
//
// Functions (HashSpec::func, case-insensitive) and what exactly each reproduces:
//   ch3          mcrouter's Ch3 (default): furc_hash of the key into n buckets (furc.h).
//   weightedch3  mcrouter's WeightedCh3: Ch3 with per-server weights in [0, 1] (mcrouter_hash.h).
//   crc32        mcrouter's Crc32: (crc32(key) & 0x7fffffff) % n.
//   rendezvous   mcrouter's Rendezvous over each server's tag: its `name` when set (mcrouter's
//                "tags"), else its "host:port" address.
//   ketama       libketama / libmemcached MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (PHP Memcached
//                OPT_LIBKETAMA_COMPATIBLE, pylibmc "ketama_weighted"): MD5 points, 160 per server
//                at equal weights, whole-number weights scale them; key hash MD5 (ketama.h).
//   libmemcached_ketama  libmemcached's plain MEMCACHED_BEHAVIOR_KETAMA (pylibmc {"ketama": True}):
//                100 points per server hashed, like the key, with `key_hash` (default
//                one_at_a_time, libmemcached's default); weights ignored, as libmemcached does.
//   jump         Jump consistent hash of FNV-1a 64 of the key (jump.h).
//   modula       FNV-1a 64 of the key modulo n.
//   nutcracker   a twemproxy pool: `nutcracker_hash` of the key (nutcracker_hash.h), or of the
//                part inside `hash_tag`, placed by `distribution` ketama (twemproxy's layout over
//                server names), modula (hash % total weight over the servers sorted by name, each
//                repeated weight times) or random; whole-number weights >= 1, unique names.
// Every function hashes key + salt when `salt` is set (mcrouter's HashRoute "salt").
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
  // name when given. Also mcrouter's Rendezvous tag. Empty otherwise.
  std::string name;
  // WeightedCh3: in [0, 1]; ketama and nutcracker: a whole number; others: ignored. Never < 0.
  double weight = 1.0;
};

struct HashSpec {
  // The function's name, case-insensitive: ch3, crc32, weightedch3, rendezvous, ketama,
  // libmemcached_ketama, jump, modula; or "nutcracker" for a twemproxy pool (see nutcracker_hash
  // and distribution).
  std::string func = "ch3";
  std::string salt;  // mcrouter's hash "salt": appended to the key before hashing
  std::vector<HashServer> servers;
  // twemproxy pools only.
  std::string nutcracker_hash = "fnv1a_64";  // fnv1a_64, fnv1_64, ..., md5, crc32, murmur...
  std::string distribution = "ketama";       // ketama, modula, random
  std::string hash_tag;                      // two characters, e.g. "{}"; empty: none
  // libmemcached_ketama only: the libhashkit key hash (a nutcracker_hash name); empty:
  // one_at_a_time.
  std::string key_hash;
};

class HashFunction {
 public:
  virtual ~HashFunction() = default;
  // The index (0 .. servers.size()-1) of the server that owns key. Thread-safe; allocates
  // nothing (except for a salted key over 512 bytes, or a WeightedCh3 key over 256).
  virtual size_t Pick(std::string_view key) const = 0;
  virtual size_t size() const = 0;
};

// Builds the function a spec names. InvalidArgument (a message naming the problem: unknown
// function, no servers, a bad weight...) when it cannot be built.
memfleet::Result<std::unique_ptr<HashFunction>> MakeHashFunction(const HashSpec& spec);

}  // namespace memfleet::router::hash
