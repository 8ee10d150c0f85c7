#include "protocol/client_request.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/binary/client.h"

namespace memfleet::protocol {
namespace {

TEST(ParseClientRequest, TextAndMetaRequestsMapToTheNeutralModel) {
  ClientRequest c;
  std::string buf = "set k 3 10 5 noreply\r\nhello\r\nget k\r\n";
  ClientParse pr = ParseClientRequest(Protocol::kText, buf, &c);
  ASSERT_EQ(pr.status, ClientParseStatus::kOk);
  EXPECT_EQ(pr.consumed, std::string("set k 3 10 5 noreply\r\n").size());
  EXPECT_EQ(c.req.op, Op::kSet);
  EXPECT_EQ(c.req.key, "k");
  EXPECT_EQ(c.req.client_flags, 3u);
  EXPECT_EQ(c.req.exptime, 10);
  EXPECT_TRUE(c.req.noreply);
  EXPECT_EQ(c.req.value, "hello");

  std::string mg = "mg k v c q Oxy\r\n";
  pr = ParseClientRequest(Protocol::kText, mg, &c);
  ASSERT_EQ(pr.status, ClientParseStatus::kOk);
  EXPECT_EQ(c.req.op, Op::kGets);
  EXPECT_EQ(c.req.protocol, Protocol::kMeta);
  EXPECT_TRUE(c.req.noreply);
  ASSERT_EQ(c.req.meta.tokens.size(), 4u);
  EXPECT_EQ(c.req.meta.tokens[3], "Oxy");
}

TEST(ParseClientRequest, AStreamedValueIsLeftToTheCaller) {
  ClientRequest c;
  std::string buf = "set k 0 0 5\r\nhel";
  ClientParse pr = ParseClientRequest(Protocol::kText, buf, &c);
  ASSERT_EQ(pr.status, ClientParseStatus::kOk);
  EXPECT_EQ(c.req.value_length, 5u);
  EXPECT_TRUE(c.req.value.empty());
}

TEST(ParseClientRequest, RefusalsSayWhatMemcachedAnswersAndSkips) {
  ClientRequest c;
  EXPECT_EQ(ParseClientRequest(Protocol::kText, "get k", &c).status,
            ClientParseStatus::kIncomplete);

  ClientParse pr = ParseClientRequest(Protocol::kText, "bogus\r\n", &c);
  EXPECT_EQ(pr.status, ClientParseStatus::kError);
  EXPECT_EQ(pr.error, "ERROR");

  pr = ParseClientRequest(Protocol::kText, "mg k v v q\r\n", &c);
  EXPECT_EQ(pr.status, ClientParseStatus::kError);
  EXPECT_EQ(pr.error, "CLIENT_ERROR duplicate flag");
  EXPECT_FALSE(pr.noreply);  // a refused meta command is answered even under q
  EXPECT_EQ(pr.skip, 0u);

  pr = ParseClientRequest(Protocol::kText, "ms k 3 !\r\nabc\r\n", &c);
  EXPECT_EQ(pr.status, ClientParseStatus::kError);
  EXPECT_EQ(pr.skip, 5u);  // the data block and its "\r\n"

  EXPECT_EQ(ParseClientRequest(Protocol::kText, "slabs automove 1\r\n", &c).status,
            ClientParseStatus::kUnsupported);
}

TEST(ParseClientRequest, BinaryRequests) {
  Request spec;
  spec.protocol = Protocol::kBinary;
  spec.op = Op::kSet;
  spec.key = "k";
  spec.value = "abc";
  spec.value_length = 3;
  spec.client_flags = 9;
  spec.opaque = 77;
  std::string buf;
  binary::ComposeRequest(spec, &buf);
  ClientRequest c;
  ClientParse pr = ParseClientRequest(Protocol::kBinary, buf, &c);
  ASSERT_EQ(pr.status, ClientParseStatus::kOk);
  EXPECT_EQ(c.req.op, Op::kSet);
  EXPECT_EQ(c.req.opaque, 77u);
  EXPECT_EQ(c.req.client_flags, 9u);
  EXPECT_EQ(c.req.value, "abc");
  EXPECT_EQ(pr.consumed + 3, buf.size());

  EXPECT_EQ(ParseClientRequest(Protocol::kBinary, buf.substr(0, 10), &c).status,
            ClientParseStatus::kIncomplete);
  buf[0] = 'x';
  EXPECT_EQ(ParseClientRequest(Protocol::kBinary, buf, &c).status, ClientParseStatus::kClose);
}

}  // namespace
}  // namespace memfleet::protocol
