#include "reply_scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace memfleet::bench {
namespace {

TEST(ReplyScannerTest, TextValueThenEnd) {
  const std::string buf = "VALUE k1 0 5\r\nhello\r\nVALUE k2 7 3 99\r\na\r\n\r\nEND\r\n";
  ReplyScan s = ScanReplyElement(buf);
  ASSERT_EQ(s.kind, ReplyElement::kValue);
  EXPECT_EQ(s.key, "k1");
  EXPECT_EQ(s.data, "hello");
  EXPECT_EQ(s.consumed, 21u);
  std::string_view rest = std::string_view(buf).substr(s.consumed);
  s = ScanReplyElement(rest);
  ASSERT_EQ(s.kind, ReplyElement::kValue);
  EXPECT_EQ(s.key, "k2");
  EXPECT_EQ(s.data, "a\r\n");  // data may hold the terminator bytes
  rest = rest.substr(s.consumed);
  s = ScanReplyElement(rest);
  EXPECT_EQ(s.kind, ReplyElement::kEnd);
  EXPECT_EQ(s.consumed, rest.size());
}

TEST(ReplyScannerTest, EveryPrefixIsIncomplete) {
  for (const std::string full :
       {"VALUE key 0 10\r\n0123456789\r\n", "VA 4 f1\r\nabcd\r\n", "STORED\r\n", "END\r\n",
        "EN\r\n", "HD\r\n", "SERVER_ERROR out of memory storing object\r\n"}) {
    for (size_t n = 0; n < full.size(); ++n) {
      EXPECT_EQ(ScanReplyElement(full.substr(0, n)).kind, ReplyElement::kIncomplete)
          << full << " cut at " << n;
    }
    const ReplyScan s = ScanReplyElement(full);
    EXPECT_NE(s.kind, ReplyElement::kIncomplete) << full;
    EXPECT_EQ(s.consumed, full.size()) << full;
  }
}

TEST(ReplyScannerTest, MetaReplies) {
  ReplyScan s = ScanReplyElement("VA 3\r\nxyz\r\n");
  ASSERT_EQ(s.kind, ReplyElement::kValue);
  EXPECT_EQ(s.data, "xyz");
  EXPECT_TRUE(s.key.empty());
  EXPECT_EQ(ScanReplyElement("HD\r\n").kind, ReplyElement::kStored);
  EXPECT_EQ(ScanReplyElement("EN\r\n").kind, ReplyElement::kMiss);
  EXPECT_EQ(ScanReplyElement("NS\r\n").kind, ReplyElement::kNotStored);
  EXPECT_EQ(ScanReplyElement("NF\r\n").kind, ReplyElement::kNotStored);
}

TEST(ReplyScannerTest, StatusLines) {
  EXPECT_EQ(ScanReplyElement("STORED\r\n").kind, ReplyElement::kStored);
  EXPECT_EQ(ScanReplyElement("NOT_STORED\r\n").kind, ReplyElement::kNotStored);
  EXPECT_EQ(ScanReplyElement("EXISTS\r\n").kind, ReplyElement::kNotStored);
  const ReplyScan e = ScanReplyElement("ERROR\r\nSTORED\r\n");
  EXPECT_EQ(e.kind, ReplyElement::kError);
  EXPECT_EQ(e.line, "ERROR");
  EXPECT_EQ(e.consumed, 7u);
  EXPECT_EQ(ScanReplyElement("CLIENT_ERROR bad data chunk\r\n").kind, ReplyElement::kError);
}

TEST(ReplyScannerTest, MalformedInput) {
  EXPECT_EQ(ScanReplyElement("VALUE k 0 x\r\n").kind, ReplyElement::kMalformed);
  EXPECT_EQ(ScanReplyElement("VALUE k 0 3\r\nabcXY").kind, ReplyElement::kMalformed);
  EXPECT_EQ(ScanReplyElement("WHAT\r\n").kind, ReplyElement::kMalformed);
  EXPECT_EQ(ScanReplyElement("STORED\n").kind, ReplyElement::kMalformed);
  EXPECT_EQ(ScanReplyElement(std::string(kMaxReplyLine + 1, 'a')).kind, ReplyElement::kMalformed);
}

}  // namespace
}  // namespace memfleet::bench
