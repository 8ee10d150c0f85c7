// hash_placement SPEC_JSON < keys: prints, for each key on stdin (one per line, without the
// newline), the index of the server MakeHashFunction's function picks, one per line.
//
// SPEC_JSON is an object:
//   {"func": "ketama",                      // any HashSpec::func; default "ch3"
//    "servers": ["127.0.0.1:11211",          // "host:port", or an object:
//                {"address": "127.0.0.1:11212", "name": "b", "weight": 2}],
//    "salt": "",                              // mcrouter's HashRoute salt
//    "hash": "fnv1a_64",                      // nutcracker: its `hash`
//    "distribution": "ketama",                // nutcracker: its `distribution`
//    "hash_tag": "{}",                        // nutcracker: its `hash_tag`
//    "key_hash": "one_at_a_time"}             // libmemcached_ketama: the client's hash
// Exit status 2 with the message on stderr when the spec is malformed or rejected.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "router/hash/hash_func.h"

namespace {

using memfleet::router::hash::HashServer;
using memfleet::router::hash::HashSpec;

int Fail(const std::string& message) {
  std::cerr << "hash_placement: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: hash_placement SPEC_JSON < keys");
  nlohmann::json json = nlohmann::json::parse(argv[1], nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Fail("the spec is not a JSON object");

  HashSpec spec;
  auto text = [&](const char* field, std::string& out) {
    if (json.contains(field) && json[field].is_string()) out = json[field].get<std::string>();
  };
  text("func", spec.func);
  text("salt", spec.salt);
  text("hash", spec.nutcracker_hash);
  text("nutcracker_hash", spec.nutcracker_hash);
  text("distribution", spec.distribution);
  text("hash_tag", spec.hash_tag);
  text("key_hash", spec.key_hash);
  if (!json.contains("servers") || !json["servers"].is_array()) {
    return Fail("the spec has no \"servers\" array");
  }
  for (const nlohmann::json& entry : json["servers"]) {
    HashServer server;
    if (entry.is_string()) {
      server.address = entry.get<std::string>();
    } else if (entry.is_object() && entry.contains("address") && entry["address"].is_string()) {
      server.address = entry["address"].get<std::string>();
      if (entry.contains("name") && entry["name"].is_string()) {
        server.name = entry["name"].get<std::string>();
      }
      if (entry.contains("weight") && entry["weight"].is_number()) {
        server.weight = entry["weight"].get<double>();
      }
    } else {
      return Fail("a server is neither \"host:port\" nor an object with an \"address\"");
    }
    spec.servers.push_back(std::move(server));
  }

  auto function = memfleet::router::hash::MakeHashFunction(spec);
  if (!function.ok()) return Fail(function.status().message());

  std::string key;
  std::string out;
  while (std::getline(std::cin, key)) {
    out += std::to_string((*function)->Pick(key));
    out += '\n';
    if (out.size() > 65536) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out;
  return std::cout.good() ? 0 : 1;
}
