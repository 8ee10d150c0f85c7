// The two address strings of a nutcracker.yml pool, read exactly as twemproxy 0.5.0 reads them
// (nc_conf.c: conf_add_server, conf_set_listen):
//
//  - a server, "host:port:weight [name]" or "/path/to/socket:weight [name]", is split from its
//    end: the last space (when there is one) starts the name, the last colon before it the
//    weight, and for a host the colon before that the port. A host may itself hold colons
//    (an IPv6 address "::1:11211:1"); a socket path may not. Weight and port are plain decimal
//    digits; the weight must be >= 1, the port 1..65535.
//  - the name twemproxy's ketama points hash (and servers are sorted by, for modula) is the
//    given name; without one it is "host:port" as spelled, or just "host" when the port is
//    11211 (libmemcached's convention), and "/path:" for a socket (twemproxy takes the path
//    and the colon after it).
//  - a listen address, "host:port" (split at the last colon) or "/path [mode]" (an octal file
//    mode of at most 0777 after the last space).
//
// What memfleet connects to and listens on is in net::Connector's forms ("host:port",
// "[v6]:port", "/path"). Pure functions: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace memfleet::router {

struct NutcrackerServer {
  std::string address;  // what to connect to: "host:port", "[v6]:port" or "/path"
  std::string spelled;  // "host:port" or "/path" as the config writes it (messages)
  std::string name;     // the name twemproxy hashes (see above); never empty
  bool named = false;   // the name was given in the config
  uint32_t weight = 1;
};

struct NutcrackerListen {
  std::string address;  // what to listen on: "host:port", "[v6]:port" or "/path"
  int mode = -1;        // a socket's file mode when given ("/path 0666"); -1 otherwise
};

// InvalidArgument with a message quoting the string when it is not of the forms above.
Result<NutcrackerServer> ParseNutcrackerServer(std::string_view text);
Result<NutcrackerListen> ParseNutcrackerListen(std::string_view text);

}  // namespace memfleet::router
