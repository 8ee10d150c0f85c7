#include "router/config/server_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

#include "net/connector.h"

namespace memfleet::router {
namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Splits ":a:b:c" into {"a", "b", "c"}; "" into {}.
bool SplitSuffixes(std::string_view s, std::vector<std::string_view>* parts) {
  while (!s.empty()) {
    if (s[0] != ':') return false;
    s.remove_prefix(1);
    size_t colon = s.find(':');
    parts->push_back(s.substr(0, colon));
    s = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  return true;
}

bool ParsePort(std::string_view s, uint16_t* port) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

Status CheckServerProtocol(std::string_view protocol) {
  if (protocol == "ascii" || protocol == "meta") return Status::Ok();
  if (protocol == "caret" || protocol == "thrift" || protocol == "xdp" || protocol == "umbrella") {
    return Status::InvalidArgument("protocol " + Quoted(protocol) +
                                   " is not supported (memfleet speaks ascii or meta to servers)");
  }
  return Status::InvalidArgument("unknown protocol " + Quoted(protocol) +
                                 " (memfleet speaks ascii or meta to servers)");
}

Result<ServerAddress> ParseServerAddress(std::string_view text,
                                         const ServerAddressDefaults& defaults) {
  const std::string not_host_port = Quoted(text) + " is not host:port";
  std::string_view s = text;
  std::string_view host;
  bool v6 = false;
  bool unix_socket = false;
  if (s.starts_with("[")) {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument(not_host_port);
    host = s.substr(1, close - 1);
    s.remove_prefix(close + 1);
    v6 = true;
  } else {
    if (s.starts_with("unix:")) {
      unix_socket = true;
      s.remove_prefix(5);
    }
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    s = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (host.empty()) return Status::InvalidArgument(not_host_port);
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || (c == '/' && !unix_socket)) {
      return Status::InvalidArgument(not_host_port);
    }
  }
  std::vector<std::string_view> parts;
  if (!SplitSuffixes(s, &parts)) return Status::InvalidArgument(not_host_port);

  ServerAddress out;
  size_t next = 0;
  uint16_t port = 0;
  if (!unix_socket) {
    if (parts.empty() || !ParsePort(parts[0], &port)) return Status::InvalidArgument(not_host_port);
    next = 1;
  }
  std::string_view protocol = next < parts.size() ? parts[next] : defaults.protocol;
  std::string_view security = next + 1 < parts.size() ? parts[next + 1] : "plain";
  std::string_view compression = next + 2 < parts.size() ? parts[next + 2] : "notcompressed";
  if (parts.size() > next + 3) {
    return Status::InvalidArgument(Quoted(text) +
                                   " has too many parts (host:port:protocol:security:compression)");
  }
  if (protocol.empty()) protocol = defaults.protocol;
  if (Status st = CheckServerProtocol(protocol); !st.ok()) {
    return Status::InvalidArgument(Quoted(text) + ": " + st.message());
  }
  if (!security.empty() && security != "plain") {
    return Status::InvalidArgument(Quoted(text) + ": security " + Quoted(security) +
                                   " is not supported (memfleet connects to servers in plain TCP)");
  }
  if (compression == "compressed") {
    out.compressed = true;
  } else if (!compression.empty() && compression != "notcompressed") {
    return Status::InvalidArgument(Quoted(text) + ": unknown compression " + Quoted(compression));
  }

  if (unix_socket) {
    out.address = "unix:" + std::string(host);
    out.spelled = out.address;
  } else {
    if (defaults.port_override != 0) port = defaults.port_override;
    std::string canonical(host);
    if (v6) {
      in6_addr a6;
      char buf[INET6_ADDRSTRLEN];
      if (inet_pton(AF_INET6, canonical.c_str(), &a6) != 1 ||
          inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) == nullptr) {
        return Status::InvalidArgument(Quoted(text) + ": " + Quoted(host) +
                                       " is not an IPv6 address");
      }
      canonical = buf;
    } else if (host.find(':') != std::string_view::npos) {
      return Status::InvalidArgument(not_host_port);
    }
    const std::string port_text = ":" + std::to_string(port);
    out.address = v6 ? "[" + canonical + "]" + port_text : canonical + port_text;
    out.spelled = v6 ? "[" + std::string(host) + "]" + port_text : std::string(host) + port_text;
  }
  // What the connector will be given must parse there too.
  if (!net::ParseConnectAddress(out.address).ok()) return Status::InvalidArgument(not_host_port);
  return out;
}

}  // namespace memfleet::router
