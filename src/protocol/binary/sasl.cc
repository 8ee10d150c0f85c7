#include "protocol/binary/sasl.h"

#include "protocol/binary/binary.h"

namespace memfleet::protocol::binary {

bool ParseSaslPlain(std::string_view message, std::string_view* user, std::string_view* password) {
  size_t first = message.find('\0');
  if (first == std::string_view::npos) return false;
  size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return false;
  std::string_view authzid = message.substr(0, first);
  *user = message.substr(first + 1, second - first - 1);
  *password = message.substr(second + 1);
  if (user->empty()) return false;
  // Acting as another user needs proxy rights, which no memfleet user has (nor any user of
  // memcached's default Cyrus setup).
  return authzid.empty() || authzid == *user;
}

void ComposeSaslPlain(std::string_view user, std::string_view password, std::string* out) {
  out->push_back('\0');
  out->append(user);
  out->push_back('\0');
  out->append(password);
}

void ComposeSaslPlainAuthRequest(std::string_view user, std::string_view password, uint32_t opaque,
                                 std::string* out) {
  Header h;
  h.magic = kRequestMagic;
  h.opcode = static_cast<uint8_t>(Opcode::kSaslAuth);
  h.key_length = static_cast<uint16_t>(kSaslMechPlain.size());
  h.body_length = static_cast<uint32_t>(kSaslMechPlain.size() + 2 + user.size() + password.size());
  h.opaque = opaque;
  size_t at = out->size();
  out->resize(at + kHeaderSize);
  EncodeHeader(h, out->data() + at);
  out->append(kSaslMechPlain);
  ComposeSaslPlain(user, password, out);
}

}  // namespace memfleet::protocol::binary
