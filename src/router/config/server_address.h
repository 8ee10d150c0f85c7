// ServerAddress: one server string of a config's pool, parsed the way mcrouter reads them.
//
// mcrouter's forms: "host:port", "[v6addr]:port" and "unix:/path", each optionally followed by
// ":protocol", ":security" and ":compression" ("10.0.0.1:11211:ascii:plain:notcompressed").
// memfleet speaks meta (or text) to its servers, so the protocols it takes are ascii (mcrouter's
// name for the text protocol, which every memcached also answers in meta) and meta; the binary
// carrier protocols (caret, thrift...) and TLS are refused with a clear message. Pure functions:
// any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace memfleet::router {

struct ServerAddress {
  // What net::Connector connects to: "host:port", "[v6addr]:port" (the address in its canonical
  // form, so that two spellings of one server are one server) or "unix:/path".
  std::string address;
  // "host:port" as the config spells it, without the suffixes: what a hash function that hashes
  // server names (ketama) sees.
  std::string spelled;
  bool compressed = false;  // ":compressed" (not supported: the caller warns)
};

struct ServerAddressDefaults {
  std::string_view protocol = "ascii";  // a pool's "protocol"
  uint16_t port_override = 0;           // a pool's "port_override"; 0: none
};

// InvalidArgument with a message that quotes the string ("\"localhost\" is not host:port").
Result<ServerAddress> ParseServerAddress(std::string_view text,
                                         const ServerAddressDefaults& defaults = {});

// OK for the protocols memfleet can speak to a server ("ascii", "meta"); else InvalidArgument.
Status CheckServerProtocol(std::string_view protocol);

}  // namespace memfleet::router
