#include "router/config/nutcracker_address.h"

#include <limits>

#include "router/config/json_util.h"

namespace memfleet::router {
namespace {

constexpr std::string_view kServerForm =
    "(expected \"host:port:weight [name]\" or \"/path/to/socket:weight [name]\")";
constexpr std::string_view kListenForm = "(expected \"host:port\" or \"/path/to/socket [mode]\")";
constexpr uint32_t kKetamaDefaultPort = 11211;

// twemproxy's nc_atoi: decimal digits only, at least one; the value must fit an int.
bool ParseDecimal(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > static_cast<uint64_t>(std::numeric_limits<int>::max())) return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ParsePort(std::string_view s, uint32_t* port) {
  return ParseDecimal(s, port) && *port >= 1 && *port <= 65535;
}

// "host:port" in net::Connector's form: a host holding colons is an IPv6 address and gets
// brackets (twemproxy writes it bare: "::1:11211"); one already bracketed stays as it is.
std::string ConnectForm(std::string_view host, uint32_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos && !host.starts_with("[")) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  return out + ":" + std::to_string(port);
}

bool HasControlOrSpace(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status Invalid(std::string_view text, std::string_view what, std::string_view form = {}) {
  std::string message = json::Quote(text) + " " + std::string(what);
  if (!form.empty()) message += " " + std::string(form);
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

Result<NutcrackerServer> ParseNutcrackerServer(std::string_view text) {
  if (text.empty()) return Invalid(text, "is not a server", kServerForm);
  const bool unix_socket = text.front() == '/';
  std::string_view rest = text;

  // From the end, as twemproxy: " name" (optional), ":weight", then ":port" for a host.
  NutcrackerServer out;
  if (size_t space = rest.rfind(' '); space != std::string_view::npos) {
    out.name = std::string(rest.substr(space + 1));
    out.named = true;
    rest = rest.substr(0, space);
    if (out.name.empty()) return Invalid(text, "has an empty server name", kServerForm);
  }
  const size_t weight_colon = rest.rfind(':');
  if (weight_colon == std::string_view::npos) {
    return Invalid(text, "has no weight", kServerForm);
  }
  const std::string_view weight = rest.substr(weight_colon + 1);
  rest = rest.substr(0, weight_colon);
  if (!ParseDecimal(weight, &out.weight)) {
    return Invalid(text, "has an invalid weight", kServerForm);
  }
  if (out.weight == 0) return Invalid(text, "has a zero weight", kServerForm);

  if (unix_socket) {
    if (rest.find(':') != std::string_view::npos) {
      return Invalid(text, "has a colon in its socket path", kServerForm);
    }
    if (rest.size() < 2 || HasControlOrSpace(rest)) {
      return Invalid(text, "has an invalid socket path", kServerForm);
    }
    out.address = std::string(rest);
    out.spelled = out.address;
    // twemproxy's name for an unnamed socket server is the path and the colon that follows it.
    if (!out.named) out.name = out.address + ":";
    return out;
  }

  const size_t port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return Invalid(text, "has no port", kServerForm);
  const std::string_view port_text = rest.substr(port_colon + 1);
  const std::string_view host = rest.substr(0, port_colon);
  uint32_t port = 0;
  if (!ParsePort(port_text, &port)) return Invalid(text, "has an invalid port", kServerForm);
  if (host.empty()) return Invalid(text, "has no host", kServerForm);
  if (HasControlOrSpace(host) || host.find('/') != std::string_view::npos) {
    return Invalid(text, "has an invalid host", kServerForm);
  }
  out.address = ConnectForm(host, port);
  out.spelled = std::string(rest);
  if (!out.named) {
    // As libmemcached: the default port is left out of the hashed name.
    out.name = port == kKetamaDefaultPort ? std::string(host) : std::string(rest);
  }
  return out;
}

Result<NutcrackerListen> ParseNutcrackerListen(std::string_view text) {
  if (text.empty()) return Invalid(text, "is not a listen address", kListenForm);
  NutcrackerListen out;
  if (text.front() == '/') {
    std::string_view path = text;
    if (size_t space = text.rfind(' '); space != std::string_view::npos) {
      const std::string_view mode = text.substr(space + 1);
      path = text.substr(0, space);
      int value = 0;
      bool ok = !mode.empty() && mode.size() <= 4;
      for (char c : mode) {
        if (c < '0' || c > '7') ok = false;
        value = value * 8 + (c - '0');
      }
      if (!ok || value > 0777) {
        return Invalid(text, "has an invalid file mode (expected octal, at most 0777)");
      }
      out.mode = value;
    }
    if (path.size() < 2 || HasControlOrSpace(path)) {
      return Invalid(text, "has an invalid socket path", kListenForm);
    }
    out.address = std::string(path);
    return out;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Invalid(text, "has no port", kListenForm);
  uint32_t port = 0;
  if (!ParsePort(text.substr(colon + 1), &port)) {
    return Invalid(text, "has an invalid port", kListenForm);
  }
  const std::string_view host = text.substr(0, colon);
  if (host.empty()) return Invalid(text, "has no host", kListenForm);
  if (HasControlOrSpace(host) || host.find('/') != std::string_view::npos) {
    return Invalid(text, "has an invalid host", kListenForm);
  }
  out.address = ConnectForm(host, port);
  return out;
}

}  // namespace memfleet::router
