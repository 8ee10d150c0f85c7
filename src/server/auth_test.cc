#include "server/auth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace memfleet::server {
namespace {

using Format = CredentialStore::Format;

TEST(ConstantTimeEqual, ComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secret "));
  EXPECT_FALSE(ConstantTimeEqual("", "x"));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CredentialStore, AsciiAuthFileKeepsColonsInPasswords) {
  auto s = CredentialStore::Parse("alice:secret\r\nbob:pa:ss\n\nnocolon\n:nouser\ncarol:",
                                  Format::kAsciiAuth);
  EXPECT_EQ(s->size(), 3u);
  EXPECT_TRUE(s->Check("alice", "secret"));
  EXPECT_TRUE(s->Check("bob", "pa:ss"));
  EXPECT_TRUE(s->Check("carol", ""));
  EXPECT_FALSE(s->Check("bob", "pa"));
  EXPECT_FALSE(s->Check("alice", "secret\r"));
  EXPECT_FALSE(s->Check("nocolon", ""));
  EXPECT_FALSE(s->Check("", "nouser"));
}

TEST(CredentialStore, SaslPwdbIgnoresExtraFields) {
  auto s = CredentialStore::Parse("bob:pw2:extra\nalice:secret", Format::kSaslPwdb);
  EXPECT_TRUE(s->Check("bob", "pw2"));
  EXPECT_FALSE(s->Check("bob", "pw2:extra"));
  EXPECT_TRUE(s->Check("alice", "secret"));
  EXPECT_FALSE(s->Check("alice", "Secret"));
  EXPECT_FALSE(s->Check("mallory", "secret"));
}

TEST(CredentialStore, LoadErrorsNameTheFileNotTheSecrets) {
  auto missing = CredentialStore::Load("/nonexistent/memfleet-pwdb", Format::kAsciiAuth);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/memfleet-pwdb"), std::string::npos);
  std::string path = testing::TempDir() + "memfleet_auth_test_pwdb";
  {
    std::ofstream out(path);
    out << "no entries here\n";
  }
  auto empty = CredentialStore::Load(path, Format::kAsciiAuth);
  EXPECT_FALSE(empty.ok());
  {
    std::ofstream out(path);
    out << "user:topsecret\n";
  }
  auto ok = CredentialStore::Load(path, Format::kSaslPwdb);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)->Check("user", "topsecret"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace memfleet::server
