#include "server/binary_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "server/handler_test_util.h"

namespace memfleet::server {
namespace {

using testing::FakeWorld;

// A request packet as a client sends it (built by hand, independently of the server's code).
std::string Request(uint8_t opcode, std::string_view extras, std::string_view key,
                    std::string_view value, uint32_t opaque = 0, uint64_t cas = 0) {
  std::string p(24, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(opcode);
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size() & 0xff);
  p[4] = static_cast<char>(extras.size());
  const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<char>(body >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[12 + i] = static_cast<char>(opaque >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) p[16 + i] = static_cast<char>(cas >> (56 - 8 * i));
  p.append(extras);
  p.append(key);
  p.append(value);
  return p;
}

// A response packet as memcached sends it.
std::string Response(uint8_t opcode, uint16_t status, std::string_view extras, std::string_view key,
                     std::string_view value, uint32_t opaque, uint64_t cas) {
  std::string p = Request(opcode, extras, key, value, opaque, cas);
  p[0] = static_cast<char>(0x81);
  p[6] = static_cast<char>(status >> 8);
  p[7] = static_cast<char>(status & 0xff);
  return p;
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (24 - 8 * i));
  return s;
}
std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (56 - 8 * i));
  return s;
}

constexpr uint8_t kGet = 0x00, kSet = 0x01, kDelete = 0x04, kIncrement = 0x05, kQuit = 0x07,
                  kGetQ = 0x09, kNoop = 0x0a, kGetK = 0x0c;
constexpr uint16_t kKeyNotFound = 0x01, kInvalidArguments = 0x04;

class BinaryHandlerTest : public ::testing::Test {
 protected:
  // Feeds bytes to the handler as the connection does: parse a request, consume its prefix,
  // execute it, and read a store's value into its item; returns the replies queued meanwhile.
  std::string Send(std::string_view bytes) {
    w_.Receive(bytes);
    while (!w_.in.empty()) {
      if (w_.conn.swallowed_ > 0) {
        w_.SwallowPending();
        continue;
      }
      protocol::binary::Request req;
      protocol::binary::ParseResult r = protocol::binary::ParseRequest(w_.in.view(), &req);
      if (r.status != protocol::binary::ParseStatus::kOk) break;
      w_.in.Consume(r.consumed);
      EXPECT_TRUE(handler_.Execute(req));
      if (w_.conn.owner_.has_value()) {
        EXPECT_EQ(*w_.conn.owner_, ValueOwner::kBinary);
        EXPECT_FALSE(w_.conn.crlf_terminated_);  // binary values have no terminator
        auto value = w_.TakeValue();
        if (!value) break;
        handler_.FinishStore(std::move(value->first), value->second);
      }
    }
    return w_.TakeOutput();
  }

  FakeWorld w_;
  BinaryHandler handler_{w_.context()};
};

TEST_F(BinaryHandlerTest, SetThenGetHitAndMiss) {
  const std::string set_extras = Be32(0xdeadbeef) + Be32(0);
  const uint64_t before = w_.CasOf("k");
  EXPECT_EQ(before, 0u);
  std::string reply = Send(Request(kSet, set_extras, "k", "hello", 7));
  const uint64_t cas = w_.CasOf("k");
  ASSERT_NE(cas, 0u);
  EXPECT_EQ(reply, Response(kSet, 0, "", "", "", 7, cas));
  EXPECT_EQ(w_.t.Get("k"), "hello");

  EXPECT_EQ(Send(Request(kGet, "", "k", "", 9)),
            Response(kGet, 0, Be32(0xdeadbeef), "", "hello", 9, cas));
  EXPECT_EQ(Send(Request(kGetK, "", "k", "", 10)),
            Response(kGetK, 0, Be32(0xdeadbeef), "k", "hello", 10, cas));
  EXPECT_EQ(Send(Request(kGet, "", "nope", "", 11)),
            Response(kGet, kKeyNotFound, "", "", "Not found", 11, 0));
  EXPECT_EQ(Send(Request(kGetK, "", "nope", "", 12)),
            Response(kGetK, kKeyNotFound, "", "nope", "", 12, 0));
  EXPECT_EQ(w_.stats.cmd_get.Get(), 4u);
}

TEST_F(BinaryHandlerTest, GetQIsSilentOnAMissAndNoopEndsTheBatch) {
  ASSERT_EQ(w_.t.Set("a", "1", 3), storage::StoreResult::kStored);
  const uint64_t cas = w_.CasOf("a");
  std::string batch = Request(kGetQ, "", "missing", "", 1) + Request(kGetQ, "", "a", "", 2) +
                      Request(kNoop, "", "", "", 3);
  EXPECT_EQ(Send(batch),
            Response(kGetQ, 0, Be32(3), "", "1", 2, cas) + Response(kNoop, 0, "", "", "", 3, 0));
}

TEST_F(BinaryHandlerTest, IncrementCreatesWithTheInitialValueThenAdds) {
  const std::string extras = Be64(5) + Be64(100) + Be32(0);  // delta, initial, exptime
  std::string first = Send(Request(kIncrement, extras, "n", "", 1));
  EXPECT_EQ(first, Response(kIncrement, 0, "", "", Be64(100), 1, w_.CasOf("n")));
  std::string second = Send(Request(kIncrement, extras, "n", "", 2));
  EXPECT_EQ(second, Response(kIncrement, 0, "", "", Be64(105), 2, w_.CasOf("n")));
  EXPECT_EQ(w_.t.Get("n"), "105");
  // exptime 0xffffffff: do not create.
  const std::string no_create = Be64(1) + Be64(0) + Be32(0xffffffff);
  EXPECT_EQ(Send(Request(kIncrement, no_create, "absent", "", 3)),
            Response(kIncrement, kKeyNotFound, "", "", "Not found", 3, 0));
}

TEST_F(BinaryHandlerTest, DeleteHitThenMiss) {
  ASSERT_EQ(w_.t.Set("d", "x"), storage::StoreResult::kStored);
  EXPECT_EQ(Send(Request(kDelete, "", "d", "", 4)), Response(kDelete, 0, "", "", "", 4, 0));
  EXPECT_FALSE(w_.t.Get("d").has_value());
  EXPECT_EQ(Send(Request(kDelete, "", "d", "", 5)),
            Response(kDelete, kKeyNotFound, "", "", "Not found", 5, 0));
}

TEST_F(BinaryHandlerTest, QuitAndMalformedRequestsCloseAfterTheReply) {
  // A get with extras is malformed: memcached answers "Invalid arguments" and closes.
  EXPECT_EQ(Send(Request(kGet, Be32(1), "k", "", 6)),
            Response(kGet, kInvalidArguments, "", "", "Invalid arguments", 6, 0));
  EXPECT_TRUE(w_.conn.close_after_write_);
  w_.conn.close_after_write_ = false;
  EXPECT_EQ(Send(Request(kQuit, "", "", "", 8)), Response(kQuit, 0, "", "", "", 8, 0));
  EXPECT_TRUE(w_.conn.close_after_write_);
}

TEST_F(BinaryHandlerTest, UnknownOpcodeSwallowsItsBody) {
  EXPECT_EQ(Send(Request(0x7f, "", "", "junk", 9) + Request(kNoop, "", "", "", 10)),
            Response(0x7f, 0x81, "", "", "Unknown command", 9, 0) +
                Response(kNoop, 0, "", "", "", 10, 0));
}

TEST_F(BinaryHandlerTest, DetailCountersGoThroughTheServer) {
  w_.server.detail_ = true;
  Send(Request(kGet, "", "x:1", "", 1));
  EXPECT_EQ(w_.server.prefixes_recorded_, 1);
}

}  // namespace
}  // namespace memfleet::server
