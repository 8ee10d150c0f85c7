#include "server/auth.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace memfleet::server {

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  // Walk the longer input whatever the contents, so that only the lengths show in the timing.
  size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::unique_ptr<CredentialStore> CredentialStore::Parse(std::string_view contents, Format format) {
  auto store = std::make_unique<CredentialStore>();
  while (!contents.empty()) {
    size_t nl = contents.find('\n');
    std::string_view line = contents.substr(0, nl);
    contents = nl == std::string_view::npos ? std::string_view() : contents.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view password = line.substr(colon + 1);
    if (format == Format::kSaslPwdb) password = password.substr(0, password.find(':'));
    store->entries_.push_back(Entry{std::string(line.substr(0, colon)), std::string(password)});
  }
  return store;
}

Result<std::unique_ptr<CredentialStore>> CredentialStore::Load(const std::string& path,
                                                               Format format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string why = std::strerror(errno);
    if (format == Format::kAsciiAuth) {  // memcached's words
      return Status::IoError("Could not open authfile [" + path + "] for reading, error " + why);
    }
    return Status::IoError("could not open the SASL password file " + path + ": " + why);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("could not read the password file " + path);
  std::unique_ptr<CredentialStore> store = Parse(ss.str(), format);
  if (store->size() == 0) {
    return Status::InvalidArgument("no user:password entry in the password file " + path);
  }
  return store;
}

bool CredentialStore::Check(std::string_view user, std::string_view password) const {
  bool ok = false;
  for (const Entry& e : entries_) {
    // Non-short-circuit: every entry costs the same whether or not the user matches.
    bool user_ok = ConstantTimeEqual(user, e.user);
    bool password_ok = ConstantTimeEqual(password, e.password);
    ok |= static_cast<int>(user_ok) & static_cast<int>(password_ok);
  }
  return ok;
}

}  // namespace memfleet::server
