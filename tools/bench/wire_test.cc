#include "wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/text/client.h"

namespace memfleet::bench {
namespace {

using protocol::Op;

// One element, as a worker's ReplyReader reads it.
Reply ReadReply(Protocol protocol, Op op, std::string_view buf) {
  ReplyReader reader(protocol);
  return reader.Read(op, buf);
}

class ComposerTest : public ::testing::Test {
 protected:
  KeySpace keys_{1000, 8};
  ValuePattern values_{64};

  std::string Value(std::string_view key, size_t length) {
    return std::string(values_.ValueFor(key, length));
  }
};

TEST_F(ComposerTest, TextSetAndGets) {
  RequestComposer c(Protocol::kText, &keys_, &values_);
  std::string out;
  EXPECT_EQ(c.AppendSet(42, 5, &out), Op::kSet);
  EXPECT_EQ(out, "set k0000042 0 0 5\r\n" + Value("k0000042", 5) + "\r\n");
  out.clear();
  const std::vector<uint64_t> one = {7};
  EXPECT_EQ(c.AppendGet(one, &out), Op::kGet);
  EXPECT_EQ(out, "get k0000007\r\n");
  out.clear();
  const std::vector<uint64_t> three = {1, 22, 333};
  c.AppendGet(three, &out);
  // A single-key get after a multi-get must not reuse the old key list.
  c.AppendGet(one, &out);
  EXPECT_EQ(out, "get k0000001 k0000022 k0000333\r\nget k0000007\r\n");
}

TEST_F(ComposerTest, MetaSetAndGet) {
  RequestComposer c(Protocol::kMeta, &keys_, &values_);
  std::string out;
  const std::vector<uint64_t> one = {9};
  EXPECT_EQ(c.AppendGet(one, &out), Op::kGet);
  EXPECT_EQ(c.AppendSet(999, 0, &out), Op::kSet);
  EXPECT_EQ(c.AppendSet(3, 64, &out), Op::kSet);
  c.AppendGet(one, &out);
  EXPECT_EQ(out, "mg k0000009 v\r\nms k0000999 0\r\n\r\nms k0000003 64\r\n" +
                     Value("k0000003", 64) + "\r\nmg k0000009 v\r\n");
}

TEST_F(ComposerTest, ComposingIntoReservedRoomDoesNotReallocate) {
  for (Protocol p : {Protocol::kText, Protocol::kMeta}) {
    RequestComposer c(p, &keys_, &values_);
    std::string out;
    out.reserve(4096);
    const char* data = out.data();
    const std::vector<uint64_t> keys = {5};
    for (int i = 0; i < 20; ++i) {
      c.AppendSet(static_cast<uint64_t>(i), 64, &out);
      c.AppendGet(keys, &out);
    }
    EXPECT_EQ(out.data(), data);
    EXPECT_GT(out.size(), 20u * 64);
  }
}

// A value composed by a set comes back in a reply that verifies against its key.
TEST_F(ComposerTest, StoredValueVerifies) {
  const std::string value = Value("k0000042", 40);
  const std::string buf = "VALUE k0000042 0 40\r\n" + value + "\r\nEND\r\n";
  const Reply r = ReadReply(Protocol::kText, Op::kGet, buf);
  ASSERT_EQ(r.kind, ReplyKind::kValue);
  EXPECT_TRUE(values_.Verify(r.key, r.value));
  EXPECT_FALSE(values_.Verify("k0000043", r.value));
  const std::string meta_buf = "VA 40\r\n" + value + "\r\n";
  const Reply m = ReadReply(Protocol::kMeta, Op::kGet, meta_buf);
  ASSERT_EQ(m.kind, ReplyKind::kValue);
  EXPECT_TRUE(values_.Verify("k0000042", m.value));
}

TEST(ReadReplyTest, TextValueThenEnd) {
  const std::string buf = "VALUE k1 0 5\r\nhello\r\nVALUE k2 7 3 99\r\na\r\n\r\nEND\r\n";
  Reply r = ReadReply(Protocol::kText, Op::kGet, buf);
  ASSERT_EQ(r.kind, ReplyKind::kValue);
  EXPECT_EQ(r.key, "k1");
  EXPECT_EQ(r.value, "hello");
  EXPECT_EQ(r.consumed, 21u);
  std::string_view rest = std::string_view(buf).substr(r.consumed);
  r = ReadReply(Protocol::kText, Op::kGet, rest);
  ASSERT_EQ(r.kind, ReplyKind::kValue);
  EXPECT_EQ(r.key, "k2");
  EXPECT_EQ(r.value, "a\r\n");  // a value may hold the terminator bytes
  rest = rest.substr(r.consumed);
  r = ReadReply(Protocol::kText, Op::kGet, rest);
  EXPECT_EQ(r.kind, ReplyKind::kEnd);
  EXPECT_EQ(r.consumed, rest.size());
}

// One reader follows a pipelined stream; a Reply stays valid after the reader reads on (it views
// the buffer, not the reader).
TEST(ReadReplyTest, OneReaderFollowsAPipelinedStream) {
  const std::string buf =
      "VA 2\r\nhi\r\nHD\r\nEN\r\nNS\r\nSERVER_ERROR out of memory\r\nVA 1\r\nx\r\n";
  const Op ops[] = {Op::kGet, Op::kSet, Op::kGet, Op::kSet, Op::kGet, Op::kGet};
  const ReplyKind want[] = {ReplyKind::kValue,     ReplyKind::kStored, ReplyKind::kMiss,
                            ReplyKind::kNotStored, ReplyKind::kError,  ReplyKind::kValue};
  ReplyReader reader(Protocol::kMeta);
  std::string_view rest = buf;
  Reply first;
  for (size_t i = 0; i < std::size(ops); ++i) {
    const Reply r = reader.Read(ops[i], rest);
    ASSERT_EQ(r.kind, want[i]) << i;
    if (i == 0) first = r;
    rest.remove_prefix(r.consumed);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(first.value, "hi");
}

TEST(ReadReplyTest, EveryPrefixIsIncomplete) {
  struct Case {
    Protocol protocol;
    Op op;
    std::string full;
  };
  const std::vector<Case> cases = {
      {Protocol::kText, Op::kGet, "VALUE key 0 10\r\n0123456789\r\n"},
      {Protocol::kText, Op::kGet, "END\r\n"},
      {Protocol::kText, Op::kSet, "STORED\r\n"},
      {Protocol::kText, Op::kSet, "SERVER_ERROR out of memory storing object\r\n"},
      {Protocol::kMeta, Op::kGet, "VA 4 f1\r\nabcd\r\n"},
      {Protocol::kMeta, Op::kGet, "EN\r\n"},
      {Protocol::kMeta, Op::kSet, "HD\r\n"},
  };
  for (const Case& c : cases) {
    for (size_t n = 0; n < c.full.size(); ++n) {
      EXPECT_EQ(ReadReply(c.protocol, c.op, c.full.substr(0, n)).kind, ReplyKind::kIncomplete)
          << c.full << " cut at " << n;
    }
    const Reply r = ReadReply(c.protocol, c.op, c.full);
    EXPECT_NE(r.kind, ReplyKind::kIncomplete) << c.full;
    EXPECT_NE(r.kind, ReplyKind::kMalformed) << c.full;
    EXPECT_EQ(r.consumed, c.full.size()) << c.full;
  }
}

TEST(ReadReplyTest, MetaReplies) {
  Reply r = ReadReply(Protocol::kMeta, Op::kGet, "VA 3\r\nxyz\r\n");
  ASSERT_EQ(r.kind, ReplyKind::kValue);
  EXPECT_EQ(r.value, "xyz");
  EXPECT_TRUE(r.key.empty());
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kGet, "EN\r\n").kind, ReplyKind::kMiss);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kSet, "HD\r\n").kind, ReplyKind::kStored);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kSet, "NS\r\n").kind, ReplyKind::kNotStored);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kSet, "NF\r\n").kind, ReplyKind::kNotStored);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kSet, "EX\r\n").kind, ReplyKind::kNotStored);
  r = ReadReply(Protocol::kMeta, Op::kSet, "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(r.kind, ReplyKind::kError);
  EXPECT_EQ(r.message, "CLIENT_ERROR bad data chunk");
}

TEST(ReadReplyTest, TextStatusLines) {
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "STORED\r\n").kind, ReplyKind::kStored);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "NOT_STORED\r\n").kind, ReplyKind::kNotStored);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "EXISTS\r\n").kind, ReplyKind::kNotStored);
  const Reply e = ReadReply(Protocol::kText, Op::kGet, "ERROR\r\nSTORED\r\n");
  EXPECT_EQ(e.kind, ReplyKind::kError);
  EXPECT_EQ(e.message, "ERROR");
  EXPECT_EQ(e.consumed, 7u);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "CLIENT_ERROR bad data chunk\r\n").kind,
            ReplyKind::kError);
  EXPECT_EQ(
      ReadReply(Protocol::kText, Op::kSet, "SERVER_ERROR object too large for cache\r\n").message,
      "SERVER_ERROR object too large for cache");
}

// Replies that do not answer the request in front of the queue put the stream out of step.
TEST(ReadReplyTest, RepliesToAnotherRequestAreMalformed) {
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "VALUE k 0 1\r\na\r\n").kind,
            ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "END\r\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kGet, "STORED\r\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kSet, "VA 1\r\na\r\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kGet, "NS\r\n").kind, ReplyKind::kMalformed);
}

TEST(ReadReplyTest, MalformedInput) {
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kGet, "VALUE k 0 x\r\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kGet, "VALUE k 0 3\r\nabcXY").kind,
            ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kGet, "WHAT\r\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kSet, "STORED\n").kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kGet, "VA 3\r\nabcXY").kind, ReplyKind::kMalformed);
  const std::string long_line(protocol::text::kMaxReplyLine + 1, 'a');
  EXPECT_EQ(ReadReply(Protocol::kText, Op::kGet, long_line).kind, ReplyKind::kMalformed);
  EXPECT_EQ(ReadReply(Protocol::kMeta, Op::kGet, long_line).kind, ReplyKind::kMalformed);
}

TEST(FirstLineTest, StopsAtTheLineEndOrEightyBytes) {
  EXPECT_EQ(FirstLine("WHAT\r\nEND\r\n"), "WHAT");
  EXPECT_EQ(FirstLine("HD\n"), "HD");
  EXPECT_EQ(FirstLine(std::string(100, 'x')).size(), 80u);
  EXPECT_EQ(FirstLine(""), "");
}

}  // namespace
}  // namespace memfleet::bench
