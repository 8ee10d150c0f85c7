#include "protocol/binary/sasl.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/binary/binary.h"

namespace memfleet::protocol::binary {
namespace {

TEST(SaslPlain, ParsesRfc4616Messages) {
  std::string_view user, password;
  EXPECT_TRUE(ParseSaslPlain(std::string_view("\0alice\0secret", 13), &user, &password));
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(password, "secret");
  EXPECT_TRUE(ParseSaslPlain(std::string_view("alice\0alice\0pw", 14), &user, &password));
  EXPECT_EQ(password, "pw");
  EXPECT_FALSE(ParseSaslPlain(std::string_view("bob\0alice\0pw", 12), &user, &password));
  EXPECT_FALSE(ParseSaslPlain(std::string_view("\0\0pw", 4), &user, &password));
  EXPECT_FALSE(ParseSaslPlain("no separators", &user, &password));
  EXPECT_FALSE(ParseSaslPlain(std::string_view("\0alice", 6), &user, &password));
}

TEST(SaslPlain, ComposedMessageParsesBack) {
  std::string msg;
  ComposeSaslPlain("bob", std::string_view("p\0w:d", 5), &msg);
  EXPECT_EQ(msg, std::string_view("\0bob\0p\0w:d", 10));
  std::string_view user, password;
  ASSERT_TRUE(ParseSaslPlain(msg, &user, &password));
  EXPECT_EQ(user, "bob");
  // The password runs to the end of the message, NULs included.
  EXPECT_EQ(password, std::string_view("p\0w:d", 5));
}

TEST(SaslPlain, AuthRequestIsAWellFormedSaslAuthPacket) {
  std::string pkt;
  ComposeSaslPlainAuthRequest("alice", "secret", 77, &pkt);
  Request req;
  ParseResult r = ParseRequest(pkt, &req);
  ASSERT_EQ(r.status, ParseStatus::kOk);
  EXPECT_EQ(req.header.opcode, static_cast<uint8_t>(Opcode::kSaslAuth));
  EXPECT_EQ(req.header.opaque, 77u);
  EXPECT_EQ(req.key, kSaslMechPlain);
  EXPECT_EQ(CheckRequestShape(req), Status::kSuccess);
  ASSERT_EQ(r.consumed + req.value_length, pkt.size());
  std::string_view user, password;
  ASSERT_TRUE(ParseSaslPlain(std::string_view(pkt).substr(r.consumed), &user, &password));
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(password, "secret");
}

}  // namespace
}  // namespace memfleet::protocol::binary
