// Test helpers for the protocol handlers (*_handler_test.cc): a fake connection and a fake
// server behind a HandlerContext over a real storage engine, with no sockets, and a fixture that
// feeds text-protocol bytes to a handler as a connection does. The fakes record what a handler
// asks of them. Test code only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "net/out_buffer.h"
#include "net/read_buffer.h"
#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "storage/engine_test_util.h"

namespace memfleet::server::testing {

// Records the state changes a handler asks of its connection.
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
  void CloseNow() override { closed_now_ = true; }
  void TouchLastCommand() override { ++commands_touched_; }
  void StartDump(const protocol::text::Request& req, bool mgdump) override {
    dump_classes_ = std::string(req.tokens[2]);
    dump_mgdump_ = mgdump;
  }
  void Watch(uint32_t mask) override { watch_mask_ = mask; }
  bool authenticated() const override { return authenticated_; }
  void set_authenticated(bool on) override { authenticated_ = on; }
  void LogStore(storage::StoreOp, const storage::ItemRef&, storage::StoreResult, bool) override {
    ++logged_stores_;
  }
  void LogFetch(std::string_view, const storage::ItemRef&) override { ++logged_fetches_; }
  void LogDeletion(std::string_view, const storage::ItemRef&) override { ++logged_deletions_; }

  std::optional<ValueOwner> owner_;  // set by ReadValue until the test has fed the value
  storage::ItemRef item_;
  uint32_t length_ = 0;
  bool crlf_terminated_ = true;
  size_t swallowed_ = 0;  // input bytes still to drop
  bool close_after_write_ = false;
  bool closed_now_ = false;
  int commands_touched_ = 0;  // TouchLastCommand calls
  bool authenticated_ = false;
  int logged_stores_ = 0;
  int logged_deletions_ = 0;
  int logged_fetches_ = 0;
  std::string dump_classes_;  // the argument of the last StartDump
  bool dump_mgdump_ = false;
  uint32_t watch_mask_ = 0;  // the mask of the last Watch
};

class FakeServer : public ServerControl {
 public:
  bool detail_enabled() const override { return detail_; }
  void set_detail_enabled(bool on) override { detail_ = on; }
  void RecordPrefix(std::string_view, bool, bool, bool, bool) override { ++prefixes_recorded_; }
  std::string DumpPrefixes() override { return {}; }
  int verbosity() const override { return verbosity_; }
  void set_verbosity(int v) override { verbosity_ = v; }
  void RequestShutdown(bool graceful) override { shutdown_ = graceful ? 2 : 1; }
  void AppendConnStats(const storage::StatSink&) override {}
  void AppendGeneralStats(const storage::StatSink& sink) override { sink("pid", "1"); }
  void ResetStats() override {}
  const CredentialStore* credentials() const override { return credentials_; }

  bool detail_ = false;
  int prefixes_recorded_ = 0;
  int verbosity_ = 0;
  int shutdown_ = 0;  // 1: RequestShutdown(false), 2: RequestShutdown(true)
  const CredentialStore* credentials_ = nullptr;  // -S / -Y users; the test owns the store
};

// Everything a handler's context points at. Build the handler from context() after this.
struct FakeWorld {
  HandlerContext context() {
    HandlerContext ctx;
    ctx.engine = t.engine.get();
    ctx.session = t.session;
    ctx.stats = &stats;
    ctx.settings = &settings;
    ctx.clock = &t.clock;
    ctx.logger = &logger;
    ctx.out = &out;
    ctx.in = &in;
    ctx.server = &server;
    ctx.conn = &conn;
    return ctx;
  }

  // Appends bytes to the unread input.
  void Receive(std::string_view bytes) {
    in.MakeRoom();
    ASSERT_GE(in.room_size(), bytes.size());
    memcpy(in.room(), bytes.data(), bytes.size());
    in.Commit(bytes.size());
  }
  // Drops what FakeConnection::Swallow asked for, as far as the input goes.
  void SwallowPending() {
    const size_t n = std::min(conn.swallowed_, in.size());
    in.Consume(n);
    conn.swallowed_ -= n;
  }
  // If a handler asked for a data block, reads it (and its terminator, when it has one) from
  // the input into the item as the connection does; returns the item and whether the
  // terminator was "\r\n", or nullopt when nothing was asked.
  std::optional<std::pair<storage::ItemRef, bool>> TakeValue() {
    if (!conn.owner_.has_value()) return std::nullopt;
    conn.owner_.reset();
    const size_t need = conn.length_ + (conn.crlf_terminated_ ? 2 : 0);
    EXPECT_GE(in.size(), need);
    if (in.size() < need) return std::nullopt;
    storage::ValueWriter(conn.item_).Write(in.data(), conn.length_);
    const bool ok = !conn.crlf_terminated_ ||
                    (in.data()[conn.length_] == '\r' && in.data()[conn.length_ + 1] == '\n');
    in.Consume(need);
    return std::make_pair(std::move(conn.item_), ok);
  }
  // The replies queued so far (the test's requests keep them in one contiguous piece).
  std::string TakeOutput() {
    if (out.empty()) return {};
    const char* data = nullptr;
    size_t len = 0;
    EXPECT_TRUE(out.Contiguous(&data, &len));
    std::string s(data, len);
    out.Consume(len);
    return s;
  }
  uint64_t CasOf(std::string_view key) {
    storage::ItemRef item = t.engine->Get(*t.session, key);
    return item ? item.cas() : 0;
  }

  storage::testing::TestEngine t;
  WorkerStats stats;
  Settings settings;
  Logger logger{4096};
  net::OutBuffer out;
  net::ReadBuffer in;
  FakeServer server;
  FakeConnection conn;
};

// A fixture for a handler of text-protocol lines (TextHandler, MetaHandler): Send feeds bytes
// to it as a text connection does — parse a line, consume it, execute it, and read a storage
// command's data block (which the handler must claim as kOwner's) into its item for the
// handler's FinishStore — and returns the replies.
template <typename Handler, ValueOwner kOwner>
class TextLineHandlerTest : public ::testing::Test {
 protected:
  std::string Send(std::string_view bytes) {
    namespace text = protocol::text;
    w_.Receive(bytes);
    while (!w_.in.empty()) {
      if (w_.conn.swallowed_ > 0) {
        w_.SwallowPending();
        continue;
      }
      text::Request req;
      text::ParseResult r = text::ParseRequest(w_.in.view(), &req);
      if (r.status != text::ParseStatus::kOk) {
        EXPECT_EQ(r.status, text::ParseStatus::kIncomplete);
        break;
      }
      w_.in.Consume(r.consumed);
      handler_.Execute(req);
      if (w_.conn.owner_.has_value()) {
        EXPECT_EQ(*w_.conn.owner_, kOwner);
        EXPECT_TRUE(w_.conn.crlf_terminated_);
        auto value = w_.TakeValue();
        if (!value) break;
        handler_.FinishStore(std::move(value->first), value->second);
      }
    }
    return w_.TakeOutput();
  }

  FakeWorld w_;
  Handler handler_{w_.context()};
};

}  // namespace memfleet::server::testing
