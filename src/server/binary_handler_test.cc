#include "server/binary_handler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "net/out_buffer.h"
#include "net/read_buffer.h"
#include "storage/engine_test_util.h"

namespace memfleet::server {
namespace {

using storage::testing::TestEngine;

// Records the state changes the handler asks of its connection.
class FakeConnection : public ConnectionControl {
 public:
  void ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                 bool crlf_terminated) override {
    owner_ = owner;
    item_ = std::move(item);
    length_ = length;
    crlf_terminated_ = crlf_terminated;
  }
  void Swallow(size_t n) override { swallowed_ += n; }
  void CloseAfterWrite() override { close_after_write_ = true; }
  bool authenticated() const override { return authenticated_; }
  void set_authenticated(bool on) override { authenticated_ = on; }
  void LogStore(storage::StoreOp, const storage::ItemRef&, storage::StoreResult, bool) override {
    ++logged_stores_;
  }

  std::optional<ValueOwner> owner_;
  storage::ItemRef item_;
  uint32_t length_ = 0;
  bool crlf_terminated_ = true;
  size_t swallowed_ = 0;
  bool close_after_write_ = false;
  bool authenticated_ = false;
  int logged_stores_ = 0;
};

class FakeServer : public ServerControl {
 public:
  bool detail_enabled() const override { return detail_; }
  void set_detail_enabled(bool on) override { detail_ = on; }
  void RecordPrefix(std::string_view, bool, bool, bool, bool) override { ++prefixes_recorded_; }
  std::string DumpPrefixes() override { return {}; }
  int verbosity() const override { return 0; }
  void AppendGeneralStats(const storage::StatSink& sink) override { sink("pid", "1"); }
  void ResetStats() override {}
  const CredentialStore* credentials() const override { return nullptr; }

  bool detail_ = false;
  int prefixes_recorded_ = 0;
};

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
  // The context the handler copies at construction: the members declared before it.
  HandlerContext MakeContext() {
    HandlerContext ctx;
    ctx.engine = t_.engine.get();
    ctx.session = t_.session;
    ctx.stats = &stats_;
    ctx.settings = &settings_;
    ctx.clock = &t_.clock;
    ctx.logger = &logger_;
    ctx.out = &out_;
    ctx.in = &in_;
    ctx.server = &server_;
    ctx.conn = &conn_;
    return ctx;
  }

  // Feeds bytes to the handler as the connection does: parse a request, consume its prefix,
  // execute it, and read a store's value into its item; returns the replies queued meanwhile.
  std::string Send(std::string_view bytes) {
    in_.MakeRoom();
    EXPECT_GE(in_.room_size(), bytes.size());
    memcpy(in_.room(), bytes.data(), bytes.size());
    in_.Commit(bytes.size());
    while (!in_.empty()) {
      if (conn_.swallowed_ > 0) {
        const size_t n = std::min(conn_.swallowed_, in_.size());
        in_.Consume(n);
        conn_.swallowed_ -= n;
        continue;
      }
      protocol::binary::Request req;
      protocol::binary::ParseResult r = protocol::binary::ParseRequest(in_.view(), &req);
      if (r.status != protocol::binary::ParseStatus::kOk) break;
      in_.Consume(r.consumed);
      EXPECT_TRUE(handler_.Execute(req));
      if (conn_.owner_.has_value()) {
        EXPECT_EQ(*conn_.owner_, ValueOwner::kBinary);
        EXPECT_FALSE(conn_.crlf_terminated_);  // binary values have no terminator
        EXPECT_GE(in_.size(), conn_.length_);
        storage::ValueWriter(conn_.item_).Write(in_.data(), conn_.length_);
        in_.Consume(conn_.length_);
        conn_.owner_.reset();
        handler_.FinishStore(std::move(conn_.item_), true);
      }
    }
    return TakeOutput();
  }

  std::string TakeOutput() {
    const char* data = nullptr;
    size_t len = 0;
    if (out_.empty()) return {};
    EXPECT_TRUE(out_.Contiguous(&data, &len));
    std::string s(data, len);
    out_.Consume(len);
    return s;
  }

  uint64_t CasOf(std::string_view key) {
    storage::ItemRef item = t_.engine->Get(*t_.session, key);
    return item ? item.cas() : 0;
  }

  TestEngine t_;
  WorkerStats stats_;
  Settings settings_;
  Logger logger_{4096};
  net::OutBuffer out_;
  net::ReadBuffer in_;
  FakeServer server_;
  FakeConnection conn_;
  BinaryHandler handler_{MakeContext()};
};

TEST_F(BinaryHandlerTest, SetThenGetHitAndMiss) {
  const std::string set_extras = Be32(0xdeadbeef) + Be32(0);
  const uint64_t before = CasOf("k");
  EXPECT_EQ(before, 0u);
  std::string reply = Send(Request(kSet, set_extras, "k", "hello", 7));
  const uint64_t cas = CasOf("k");
  ASSERT_NE(cas, 0u);
  EXPECT_EQ(reply, Response(kSet, 0, "", "", "", 7, cas));
  EXPECT_EQ(t_.Get("k"), "hello");

  EXPECT_EQ(Send(Request(kGet, "", "k", "", 9)),
            Response(kGet, 0, Be32(0xdeadbeef), "", "hello", 9, cas));
  EXPECT_EQ(Send(Request(kGetK, "", "k", "", 10)),
            Response(kGetK, 0, Be32(0xdeadbeef), "k", "hello", 10, cas));
  EXPECT_EQ(Send(Request(kGet, "", "nope", "", 11)),
            Response(kGet, kKeyNotFound, "", "", "Not found", 11, 0));
  EXPECT_EQ(Send(Request(kGetK, "", "nope", "", 12)),
            Response(kGetK, kKeyNotFound, "", "nope", "", 12, 0));
  EXPECT_EQ(stats_.cmd_get.Get(), 4u);
}

TEST_F(BinaryHandlerTest, GetQIsSilentOnAMissAndNoopEndsTheBatch) {
  ASSERT_EQ(t_.Set("a", "1", 3), storage::StoreResult::kStored);
  const uint64_t cas = CasOf("a");
  std::string batch = Request(kGetQ, "", "missing", "", 1) + Request(kGetQ, "", "a", "", 2) +
                      Request(kNoop, "", "", "", 3);
  EXPECT_EQ(Send(batch),
            Response(kGetQ, 0, Be32(3), "", "1", 2, cas) + Response(kNoop, 0, "", "", "", 3, 0));
}

TEST_F(BinaryHandlerTest, IncrementCreatesWithTheInitialValueThenAdds) {
  const std::string extras = Be64(5) + Be64(100) + Be32(0);  // delta, initial, exptime
  std::string first = Send(Request(kIncrement, extras, "n", "", 1));
  EXPECT_EQ(first, Response(kIncrement, 0, "", "", Be64(100), 1, CasOf("n")));
  std::string second = Send(Request(kIncrement, extras, "n", "", 2));
  EXPECT_EQ(second, Response(kIncrement, 0, "", "", Be64(105), 2, CasOf("n")));
  EXPECT_EQ(t_.Get("n"), "105");
  // exptime 0xffffffff: do not create.
  const std::string no_create = Be64(1) + Be64(0) + Be32(0xffffffff);
  EXPECT_EQ(Send(Request(kIncrement, no_create, "absent", "", 3)),
            Response(kIncrement, kKeyNotFound, "", "", "Not found", 3, 0));
}

TEST_F(BinaryHandlerTest, DeleteHitThenMiss) {
  ASSERT_EQ(t_.Set("d", "x"), storage::StoreResult::kStored);
  EXPECT_EQ(Send(Request(kDelete, "", "d", "", 4)), Response(kDelete, 0, "", "", "", 4, 0));
  EXPECT_FALSE(t_.Get("d").has_value());
  EXPECT_EQ(Send(Request(kDelete, "", "d", "", 5)),
            Response(kDelete, kKeyNotFound, "", "", "Not found", 5, 0));
}

TEST_F(BinaryHandlerTest, QuitAndMalformedRequestsCloseAfterTheReply) {
  // A get with extras is malformed: memcached answers "Invalid arguments" and closes.
  EXPECT_EQ(Send(Request(kGet, Be32(1), "k", "", 6)),
            Response(kGet, kInvalidArguments, "", "", "Invalid arguments", 6, 0));
  EXPECT_TRUE(conn_.close_after_write_);
  conn_.close_after_write_ = false;
  EXPECT_EQ(Send(Request(kQuit, "", "", "", 8)), Response(kQuit, 0, "", "", "", 8, 0));
  EXPECT_TRUE(conn_.close_after_write_);
}

TEST_F(BinaryHandlerTest, UnknownOpcodeSwallowsItsBody) {
  EXPECT_EQ(Send(Request(0x7f, "", "", "junk", 9) + Request(kNoop, "", "", "", 10)),
            Response(0x7f, 0x81, "", "", "Unknown command", 9, 0) +
                Response(kNoop, 0, "", "", "", 10, 0));
}

TEST_F(BinaryHandlerTest, DetailCountersGoThroughTheServer) {
  server_.detail_ = true;
  Send(Request(kGet, "", "x:1", "", 1));
  EXPECT_EQ(server_.prefixes_recorded_, 1);
}

}  // namespace
}  // namespace memfleet::server
