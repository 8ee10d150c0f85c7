// SASL PLAIN over the binary protocol (RFC 4616): the one mechanism memfleet offers. The server
// decodes the message a client sends with SASL_AUTH ("authzid NUL user NUL password"); a client
// (the router authenticating to its upstreams, the client library) composes it. Pure functions
// over byte spans: no I/O, no state, any thread. Nothing here logs or keeps the secrets it sees.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace memfleet::protocol::binary {

// Decodes a SASL PLAIN message ([authzid] NUL authcid NUL password). False when it is malformed,
// or when an authorization identity other than the user's own is asked for. The views point into
// message.
bool ParseSaslPlain(std::string_view message, std::string_view* user, std::string_view* password);

// Appends the PLAIN message for (user, password) with an empty authzid.
void ComposeSaslPlain(std::string_view user, std::string_view password, std::string* out);

// Appends a whole SASL_AUTH request for mechanism PLAIN with the given opaque.
void ComposeSaslPlainAuthRequest(std::string_view user, std::string_view password, uint32_t opaque,
                                 std::string* out);

}  // namespace memfleet::protocol::binary
