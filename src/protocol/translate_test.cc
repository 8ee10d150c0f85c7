#include "protocol/translate.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/binary/binary.h"
#include "protocol/binary/client.h"
#include "protocol/client_request.h"
#include "protocol/meta/client.h"
#include "protocol/meta/meta.h"
#include "protocol/text/client.h"
#include "protocol/text/request.h"

namespace memfleet::protocol {
namespace {

// A client request parsed the way a router parses it (ParseClientRequest); the request's views
// point into `bytes_` and `client_`, so the fixture keeps them.
class TranslateTest : public ::testing::Test {
 protected:
  Request Text(std::string_view line) {
    bytes_ = line;
    ClientParse pr = ParseClientRequest(Protocol::kText, bytes_, &client_);
    EXPECT_EQ(pr.status, ClientParseStatus::kOk) << line;
    return client_.req;
  }

  Request Binary(const Request& spec) {
    bytes_.clear();
    binary::ComposeRequest(spec, &bytes_);
    ClientParse pr = ParseClientRequest(Protocol::kBinary, bytes_, &client_);
    EXPECT_EQ(pr.status, ClientParseStatus::kOk);
    return client_.req;
  }

  // The client's reply for req when the upstream answers `upstream`.
  std::string Answer(const Request& req, std::string_view upstream) {
    Result r;
    ReplyParse pr = ParseUpstreamReply(upstream, req, &r);
    EXPECT_EQ(pr.status, ReplyStatus::kOk) << upstream;
    EXPECT_EQ(pr.consumed, upstream.size()) << upstream;
    std::string out;
    ComposeClientReply(req, r, &out);
    return out;
  }

  static std::string Upstream(const Request& req) {
    std::string out;
    ComposeUpstreamRequest(req, &out);
    return out;
  }

  std::string bytes_;
  ClientRequest client_;
};

TEST_F(TranslateTest, TextRequestsGoUpstreamAsMetaWithWhatTheReplyNeeds) {
  EXPECT_EQ(Upstream(Text("get k\r\n")), "mg k f v\r\n");
  EXPECT_EQ(Upstream(Text("gets k\r\n")), "mg k f v c\r\n");
  EXPECT_EQ(Upstream(Text("gat 10 k\r\n")), "mg k f v T10\r\n");
  EXPECT_EQ(Upstream(Text("touch k 10\r\n")), "mg k T10\r\n");
  EXPECT_EQ(Upstream(Text("set k 1 2 3 noreply\r\nabc\r\n")), "ms k 3 F1 T2\r\nabc\r\n");
  EXPECT_EQ(Upstream(Text("cas k 1 2 3 99\r\nabc\r\n")), "ms k 3 F1 T2 C99\r\nabc\r\n");
  EXPECT_EQ(Upstream(Text("incr k 5\r\n")), "ma k v D5\r\n");
  EXPECT_EQ(Upstream(Text("decr k 5\r\n")), "ma k v MD D5\r\n");
  EXPECT_EQ(Upstream(Text("delete k noreply\r\n")), "md k\r\n");
}

TEST_F(TranslateTest, CommandsWithoutMetaFormGoAsText) {
  Request version = Text("version\r\n");
  EXPECT_EQ(UpstreamProtocol(version), Protocol::kText);
  EXPECT_EQ(Upstream(version), "version\r\n");
  EXPECT_EQ(Answer(version, "VERSION 1.6.18\r\n"), "VERSION 1.6.18\r\n");
  Request flush = Text("flush_all 5\r\n");
  EXPECT_EQ(Upstream(flush), "flush_all 5\r\n");
  EXPECT_EQ(Answer(flush, "OK\r\n"), "OK\r\n");
  EXPECT_EQ(UpstreamProtocol(Text("mg k v\r\n")), Protocol::kMeta);
}

TEST_F(TranslateTest, TextRetrievalRepliesAreRebuilt) {
  Request get = Text("get k\r\n");
  EXPECT_EQ(Answer(get, "VA 3 f5\r\nabc\r\n"), "VALUE k 5 3\r\nabc\r\nEND\r\n");
  EXPECT_EQ(Answer(get, "EN\r\n"), "END\r\n");
  Request gets = Text("gets k\r\n");
  EXPECT_EQ(Answer(gets, "VA 2 f0 c42\r\nhi\r\n"), "VALUE k 0 2 42\r\nhi\r\nEND\r\n");
}

TEST_F(TranslateTest, MultiGetIsOneUpstreamRequestPerKeyAndOneEnd) {
  Request get = Text("get a b c\r\n");
  std::string out;
  text::KeyIterator keys(get.keys);
  std::string_view key;
  std::string_view replies[] = {"VA 1 f1\r\nA\r\n", "EN\r\n", "VA 1 f3\r\nC\r\n"};
  int i = 0;
  while (keys.Next(&key)) {
    Request one = SingleKey(get, key);
    EXPECT_EQ(Upstream(one), "mg " + std::string(key) + " f v\r\n");
    Result r;
    ASSERT_EQ(ParseUpstreamReply(replies[i++], one, &r).status, ReplyStatus::kOk);
    ComposeClientValue(get, key, r, &out);
  }
  ComposeClientEnd(get, &out);
  EXPECT_EQ(out, "VALUE a 1 1\r\nA\r\nVALUE c 3 1\r\nC\r\nEND\r\n");
}

TEST_F(TranslateTest, TextStatusRepliesAndNoreply) {
  EXPECT_EQ(Answer(Text("set k 0 0 1\r\nx\r\n"), "HD\r\n"), "STORED\r\n");
  EXPECT_EQ(Answer(Text("add k 0 0 1\r\nx\r\n"), "NS\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Answer(Text("cas k 0 0 1 5\r\nx\r\n"), "EX\r\n"), "EXISTS\r\n");
  EXPECT_EQ(Answer(Text("cas k 0 0 1 5\r\nx\r\n"), "NF\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Answer(Text("delete k\r\n"), "HD\r\n"), "DELETED\r\n");
  EXPECT_EQ(Answer(Text("touch k 1\r\n"), "HD\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(Answer(Text("incr k 1\r\n"), "VA 2\r\n11\r\n"), "11\r\n");
  EXPECT_EQ(Answer(Text("incr k 1\r\n"), "NF\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Answer(Text("set k 0 0 1 noreply\r\nx\r\n"), "HD\r\n"), "");
  EXPECT_EQ(Answer(Text("incr k 1 noreply\r\n"), "VA 1\r\n2\r\n"), "");
  EXPECT_EQ(Answer(Text("set k 0 0 1\r\nx\r\n"), "SERVER_ERROR out of memory storing object\r\n"),
            "SERVER_ERROR out of memory storing object\r\n");
}

TEST_F(TranslateTest, MetaRequestsKeepTheirFlagsButNeverGoQuiet) {
  Request mg = Text("mg k v f c k Oab q\r\n");
  EXPECT_EQ(Upstream(mg), "mg k v f c k Oab\r\n");
  EXPECT_EQ(Answer(mg, "EN\r\n"), "");  // q hides a miss
  EXPECT_EQ(Answer(mg, "VA 1 f2 c3 kk Oab\r\nx\r\n"), "VA 1 f2 c3 kk Oab\r\nx\r\n");
  Request ms = Text("ms k 1 T0 q\r\nx\r\n");
  EXPECT_EQ(Upstream(ms), "ms k 1 T0\r\nx\r\n");
  EXPECT_EQ(Answer(ms, "HD\r\n"), "");  // q hides HD
  EXPECT_EQ(Answer(ms, "NS\r\n"), "NS\r\n");
}

// memcached answers a quiet ma with N only when N created the item: the upstream decides, with
// the request's own q and a barrier.
TEST_F(TranslateTest, QuietArithmeticThatMayCreateGoesUpstreamQuietWithABarrier) {
  Request ma = Text("ma k q N0 J5 v\r\n");
  ASSERT_TRUE(UpstreamHasBarrier(ma));
  EXPECT_EQ(Upstream(ma), "ma k q N0 J5 v\r\nmn\r\n");
  EXPECT_EQ(Answer(ma, "VA 1\r\n5\r\nMN\r\n"), "VA 1\r\n5\r\n");  // created: answered
  EXPECT_EQ(Answer(ma, "MN\r\n"), "");                            // existed: quiet
  EXPECT_EQ(Answer(ma, "NF\r\nMN\r\n"), "NF\r\n");
  Result r;
  EXPECT_EQ(ParseUpstreamReply("VA 1\r\n5\r\n", ma, &r).status, ReplyStatus::kIncomplete);
  EXPECT_EQ(ParseUpstreamReply("VA 1\r\n5\r\nXX\r\n", ma, &r).status, ReplyStatus::kMalformed);
  EXPECT_FALSE(UpstreamHasBarrier(Text("ma k q v\r\n")));
  EXPECT_FALSE(UpstreamHasBarrier(Text("ma k N0 v\r\n")));
}

TEST_F(TranslateTest, BinaryRequestsAndQuietOpcodes) {
  Request spec;
  spec.protocol = Protocol::kBinary;
  spec.op = Op::kGet;
  spec.key = "k";
  spec.opaque = 7;
  spec.binary_opcode = static_cast<uint8_t>(binary::Opcode::kGetKQ);
  Request getkq = Binary(spec);
  EXPECT_EQ(getkq.op, Op::kGet);
  EXPECT_TRUE(getkq.noreply);
  EXPECT_EQ(Upstream(getkq).substr(0, 5), "mg k ");
  EXPECT_EQ(Answer(getkq, "EN\r\n"), "");  // a quiet get's miss sends nothing
  std::string hit = Answer(getkq, "VA 2 f9 c4\r\nhi\r\n");
  ASSERT_GE(hit.size(), binary::kHeaderSize);
  binary::Header h = binary::DecodeHeader(hit.data());
  EXPECT_EQ(h.magic, binary::kResponseMagic);
  EXPECT_EQ(h.opcode, static_cast<uint8_t>(binary::Opcode::kGetKQ));
  EXPECT_EQ(h.opaque, 7u);
  EXPECT_EQ(h.cas, 4u);
  EXPECT_EQ(h.key_length, 1);
  EXPECT_EQ(hit.substr(binary::kHeaderSize + h.extras_length), "khi");
}

TEST_F(TranslateTest, BinaryKeysThatTextCannotCarryGoBase64) {
  Request spec;
  spec.protocol = Protocol::kBinary;
  spec.op = Op::kGet;
  spec.key = "a b";
  spec.binary_opcode = static_cast<uint8_t>(binary::Opcode::kGet);
  std::string up = Upstream(Binary(spec));
  EXPECT_NE(up.find("YSBi"), std::string::npos) << up;  // base64("a b")
  EXPECT_NE(up.find(" b"), std::string::npos) << up;
}

// Failures the router has on its own are worded alike in every protocol.
TEST_F(TranslateTest, RouterFailuresAreAnsweredInEveryProtocol) {
  struct Case {
    ResultCode code;
    std::string_view words;
  } cases[] = {{ResultCode::kTimeout, "timeout"},
               {ResultCode::kConnectTimeout, "connect timeout"},
               {ResultCode::kConnectError, "connection error"},
               {ResultCode::kTko, "server marked down (TKO)"}};
  Request spec;
  spec.protocol = Protocol::kBinary;
  spec.op = Op::kGet;
  spec.key = "k";
  spec.binary_opcode = static_cast<uint8_t>(binary::Opcode::kGet);
  for (const Case& c : cases) {
    Result r;
    r.code = c.code;
    EXPECT_TRUE(IsFailoverError(c.code));
    std::string out;
    ComposeClientReply(Text("get k\r\n"), r, &out);
    EXPECT_EQ(out, "SERVER_ERROR " + std::string(c.words) + "\r\n");
    out.clear();
    ComposeClientReply(Text("mg k v\r\n"), r, &out);
    EXPECT_EQ(out, "SERVER_ERROR " + std::string(c.words) + "\r\n");
    out.clear();
    ComposeClientReply(Binary(spec), r, &out);
    ASSERT_GE(out.size(), binary::kHeaderSize);
    EXPECT_EQ(out.substr(binary::kHeaderSize), c.words);
  }
}

TEST(ResultCodeTest, SeverityOrderAndPredicates) {
  EXPECT_TRUE(WorseThan(ResultCode::kNotFound, ResultCode::kFound));
  EXPECT_TRUE(WorseThan(ResultCode::kClientError, ResultCode::kExists));
  EXPECT_TRUE(WorseThan(ResultCode::kRemoteError, ResultCode::kClientError));
  EXPECT_TRUE(WorseThan(ResultCode::kTimeout, ResultCode::kRemoteError));
  EXPECT_TRUE(WorseThan(ResultCode::kConnectError, ResultCode::kTimeout));
  EXPECT_TRUE(WorseThan(ResultCode::kTko, ResultCode::kConnectError));
  EXPECT_FALSE(WorseThan(ResultCode::kStored, ResultCode::kFound));
  EXPECT_TRUE(IsHit(ResultCode::kTouched));
  EXPECT_TRUE(IsMiss(ResultCode::kNotStored));
  EXPECT_TRUE(IsError(ResultCode::kClientError));
  EXPECT_FALSE(IsFailoverError(ResultCode::kClientError));
  EXPECT_TRUE(IsFailoverError(ResultCode::kRemoteError));
  EXPECT_FALSE(IsError(ResultCode::kNotFound));
}

}  // namespace
}  // namespace memfleet::protocol
