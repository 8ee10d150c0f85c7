#include "server/udp_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace memfleet::server::udp {
namespace {

std::vector<Datagram> Plan(std::vector<Reply> replies, uint16_t id = 7) {
  std::vector<Datagram> out;
  PlanDatagrams(id, replies, &out);
  return out;
}

// (sequence, total, offset, length) of each datagram.
std::vector<std::vector<size_t>> Shape(const std::vector<Datagram>& d) {
  std::vector<std::vector<size_t>> out;
  for (const Datagram& g : d) {
    out.push_back({g.header.sequence, g.header.total, g.offset, g.length});
  }
  return out;
}

TEST(UdpFrameTest, ParsesTheRequestHeader) {
  const std::string d("\x12\x34\x00\x01\x00\x01\x00\x00get a\r\n", 15);
  std::optional<Header> h = ParseRequestHeader(d);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->request_id, 0x1234);
  EXPECT_EQ(h->sequence, 1);
  EXPECT_EQ(h->total, 1);
  EXPECT_EQ(h->reserved, 0);
  EXPECT_TRUE(Serves(*h));
}

TEST(UdpFrameTest, IgnoresDatagramsOfEightBytesOrLess) {
  EXPECT_FALSE(ParseRequestHeader(std::string("\0\1\0\0\0\1\0\0", 8)).has_value());
  EXPECT_FALSE(ParseRequestHeader(std::string("\0\1", 2)).has_value());
  EXPECT_TRUE(ParseRequestHeader(std::string("\0\1\0\0\0\1\0\0\n", 9)).has_value());
}

TEST(UdpFrameTest, RefusesMultiDatagramRequests) {
  std::optional<Header> h = ParseRequestHeader(std::string("\0\1\0\0\0\2\0\0get a\r\n", 15));
  ASSERT_TRUE(h.has_value());
  EXPECT_FALSE(Serves(*h));
  h = ParseRequestHeader(std::string("\0\1\0\0\1\1\0\0get a\r\n", 15));  // total 257
  EXPECT_FALSE(Serves(*h));
}

TEST(UdpFrameTest, WritesTheHeaderBigEndian) {
  char out[kHeaderSize];
  WriteHeader(Header{0xa1b2, 0x0102, 0x0304, 0}, out);
  EXPECT_EQ(std::string(out, kHeaderSize), std::string("\xa1\xb2\x01\x02\x03\x04\x00\x00", 8));
}

TEST(UdpFrameTest, OneSmallReplyIsOneDatagram) {
  auto d = Plan({{29, false}}, 0x1234);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].header.request_id, 0x1234);
  EXPECT_EQ(Shape(d), (std::vector<std::vector<size_t>>{{0, 1, 0, 29}}));
}

TEST(UdpFrameTest, ALongReplyIsCutAt1392DataBytes) {
  // A 3000-byte reply: 1392 + 1392 + 216, each datagram numbered within one message.
  EXPECT_EQ(
      Shape(Plan({{3000, false}})),
      (std::vector<std::vector<size_t>>{{0, 3, 0, 1392}, {1, 3, 1392, 1392}, {2, 3, 2784, 216}}));
  // Exactly one datagram's worth.
  EXPECT_EQ(Shape(Plan({{1392, false}})), (std::vector<std::vector<size_t>>{{0, 1, 0, 1392}}));
  EXPECT_EQ(Shape(Plan({{1393, false}})),
            (std::vector<std::vector<size_t>>{{0, 2, 0, 1392}, {1, 2, 1392, 1}}));
}

TEST(UdpFrameTest, EveryReplyIsAMessageOfItsOwn) {
  // `get a b`: each key's reply is a message numbered from 0.
  EXPECT_EQ(Shape(Plan({{16, false}, {22, false}})),
            (std::vector<std::vector<size_t>>{{0, 1, 0, 16}, {0, 1, 16, 22}}));
}

TEST(UdpFrameTest, SkippedRepliesAreNeverSent) {
  // A noreply store that produced no bytes, then a get.
  EXPECT_EQ(Shape(Plan({{0, true}, {5, false}})), (std::vector<std::vector<size_t>>{{0, 1, 0, 5}}));
  // A skipped reply's bytes (if any) are passed over.
  EXPECT_EQ(Shape(Plan({{3, false}, {4, true}, {5, false}})),
            (std::vector<std::vector<size_t>>{{0, 1, 0, 3}, {0, 1, 7, 5}}));
}

TEST(UdpFrameTest, AnEmptyFirstReplyIsABareHeaderWithTotalZero) {
  // `get miss1 miss2 hit`: the first miss goes out as a bare header; the second is retired with
  // it; the hit follows.
  EXPECT_EQ(Shape(Plan({{0, false}, {0, false}, {29, false}})),
            (std::vector<std::vector<size_t>>{{0, 0, 0, 0}, {0, 1, 0, 29}}));
  // The same behind a skipped reply.
  EXPECT_EQ(Shape(Plan({{0, true}, {0, false}, {29, false}})),
            (std::vector<std::vector<size_t>>{{0, 0, 0, 0}, {0, 1, 0, 29}}));
}

TEST(UdpFrameTest, EmptyRepliesAfterASentOneAreDropped) {
  // `get hit miss hit2`.
  EXPECT_EQ(Shape(Plan({{16, false}, {0, false}, {22, false}})),
            (std::vector<std::vector<size_t>>{{0, 1, 0, 16}, {0, 1, 16, 22}}));
  // An empty reply after a long one.
  EXPECT_EQ(Shape(Plan({{1400, false}, {0, false}})),
            (std::vector<std::vector<size_t>>{{0, 2, 0, 1392}, {1, 2, 1392, 8}}));
}

TEST(UdpFrameTest, NothingToSend) {
  EXPECT_TRUE(Plan({}).empty());
  EXPECT_TRUE(Plan({{0, true}, {6, true}}).empty());
}

}  // namespace
}  // namespace memfleet::server::udp
