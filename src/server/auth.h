// CredentialStore: the user:password pairs memfleetd authenticates clients against, for SASL PLAIN
// over the binary protocol (-S, file named by the MEMCACHED_SASL_PWDB environment variable, as a
// memcached built with --enable-sasl-pwdb reads it) and for ASCII authentication (-Y FILE).
//
// Both files hold one "user:password" per line. In a SASL password file, a ':' after the password
// starts extra fields that are ignored (memcached's rule); in a -Y file the password is the whole
// rest of the line. A trailing "\r" is dropped; lines without ':' are ignored. The store is built
// once at startup and is read-only afterwards, so any thread may call Check(). Check() compares in
// time independent of where the inputs differ and walks every entry, so timing does not reveal
// which user exists. Nothing here logs or returns secrets: error messages name the file only.
// The SASL PLAIN message itself is decoded by protocol/binary/sasl.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace memfleet::server {

class CredentialStore {
 public:
  enum class Format { kAsciiAuth, kSaslPwdb };

  // Reads and parses the file at path. An unreadable file or one with no entry is an error.
  static Result<std::unique_ptr<CredentialStore>> Load(const std::string& path, Format format);
  // Parses file contents (for tests and for Load).
  static std::unique_ptr<CredentialStore> Parse(std::string_view contents, Format format);

  // True when (user, password) is one of the entries.
  bool Check(std::string_view user, std::string_view password) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string user;
    std::string password;
  };
  std::vector<Entry> entries_;
};

// Compares a and b in time that depends only on their lengths.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace memfleet::server
