// The operator side of Connection that changes what the connection is (see operator_handler.h,
// which parses and answers the operator commands): `lru_crawler metadump|mgdump` streams its
// output in bounded steps (StartDump, ContinueDump), and `watch` turns the connection into a
// log stream (Watch; see logger.h) that executes nothing more. Also hands the Logger the `watch`
// lines of this connection's fetches, stores, deletions and connection events, and of the
// engine's evictions, which watch_lines.h builds. Replies are memcached
// 1.6.18's, byte for byte; `lru_crawler mgdump`, which arrived after 1.6.18, replies as
// memcached 1.6.19+.
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "protocol/meta/meta.h"
#include "protocol/text/number.h"
#include "protocol/text/reply.h"
#include "protocol/text/vocabulary.h"
#include "server/connection.h"
#include "server/dump_state.h"
#include "server/operator_handler.h"
#include "server/server.h"
#include "server/watch_lines.h"
#include "server/watch_state.h"
#include "server/worker.h"

namespace memfleet::server {
namespace {

namespace text = protocol::text;

// Streaming bounds for metadump/mgdump (see ContinueDump). A step visits kDumpStepSlices hash
// slices (about 1.5 items each at most); the connection stops producing while more than
// kDumpPendingBytes are unsent, and yields to its loop after kDumpTurnBytes of output or
// kDumpTurnSlices slices (a sparse table has many empty buckets) in one turn.
constexpr uint64_t kDumpStepSlices = 64;
constexpr size_t kDumpPendingBytes = 64 * 1024;
constexpr size_t kDumpTurnBytes = 512 * 1024;
constexpr uint64_t kDumpTurnSlices = 64 * 1024;
// The longest line: "key=" + a 250-byte key uriencoded + the numbers (metadump), or "mg " + the
// base64 of a 250-byte key + " b\r\n" (mgdump).
constexpr size_t kDumpLineMax = 4 + 3 * storage::kKeyMaxLength + 160;

// Writes v in decimal with a '-' when negative (printf's %lld); returns the end.
char* PutSigned(char* p, int64_t v) {
  if (v < 0) {
    *p++ = '-';
    return p + text::FormatUint64(p, 0 - static_cast<uint64_t>(v));
  }
  return p + text::FormatUint64(p, static_cast<uint64_t>(v));
}

}  // namespace

void Connection::LogFetch(std::string_view key, const storage::ItemRef& item) {
  std::string line;
  AppendFetchLine(line, key, item ? std::optional(WatchItemOf(item)) : std::nullopt, fd_);
  server_->logger().Log(log_type::kFetchers, line);
}

void Connection::LogDeletion(std::string_view cmd, const storage::ItemRef& item) {
  if (!item) return;
  std::string line;
  AppendDeletionLine(line, cmd, WatchItemOf(item));
  server_->logger().Log(log_type::kDeletions, line);
}

void Connection::LogStore(storage::StoreOp op, const storage::ItemRef& item, storage::StoreResult r,
                          bool ttl_zero) {
  // memcached logs the item it linked: after an append or prepend, the joined value with the
  // old item's exptime. Look it up without counting a fetch (only while someone watches).
  storage::ItemRef linked;
  if (r == storage::StoreResult::kStored &&
      (op == storage::StoreOp::kAppend || op == storage::StoreOp::kPrepend)) {
    storage::MetaGetRequest q;
    q.key = item.key();
    q.bump = false;
    q.peek = true;
    linked = engine_->MetaGet(worker_->session(), q).item;
  }
  std::string line;
  AppendStoreLine(line, op, r, WatchItemOf(linked ? linked : item), ttl_zero,
                  server_->clock().Now(), fd_);
  server_->logger().Log(log_type::kMutations, line);
}

void Connection::StartDump(const text::Request& req, bool mgdump) {
  auto state = std::make_shared<DumpState>(mgdump ? DumpState::Format::kMgdump
                                                  : DumpState::Format::kMetadump);
  const storage::CrawlResult r = engine_->StartDump(req.tokens[2], &state->cursor);
  // memcached's checks, in its order. It cannot interleave a dump with replies still waiting to
  // be sent, so it refuses a dump pipelined behind other requests; so do we, to answer alike.
  if (r == storage::CrawlResult::kDisabled) {
    ReplyAlways(CrawlReplyLine(r));
  } else if (!server_->settings().dump_enabled) {
    ReplyAlways(mgdump ? text::kErrorKeyDumpNotAllowed : text::kErrorMetadumpNotAllowed);
  } else if (!out_.empty()) {
    ReplyAlways(mgdump ? text::kErrorMgdumpPipelined : text::kErrorMetadumpPipelined);
  } else if (r != storage::CrawlResult::kOk) {
    ReplyAlways(CrawlReplyLine(r));
  } else {
    dump_ = std::move(state);
    in_state_ = InState::kDump;
  }
}

bool Connection::ContinueDump() {
  DumpState& d = *dump_;
  if (d.resume_posted) return false;  // our next turn is queued on the loop
  const Clock& clock = server_->clock();
  const bool mg = d.format == DumpState::Format::kMgdump;
  // Called under the item's stripe lock: format straight into the output buffer.
  auto emit = [&](const storage::ItemInfo& i) {
    char* const start = out_.Reserve(kDumpLineMax);
    char* p = start;
    auto put = [&p](std::string_view s) {
      memcpy(p, s.data(), s.size());
      p += s.size();
    };
    if (mg) {
      put(text::kMgdumpPrefix);
      if (i.key_binary) {
        p += protocol::meta::Base64Encode(i.key, p);
        put(text::kMgdumpBase64Flag);
      } else {
        put(i.key);
      }
      put(text::kCrlf);
    } else {
      put(text::kDumpKey);
      p = UriEncode(i.key, p);
      put(text::kDumpExptime);
      p = PutSigned(p, i.exptime == 0 ? -1 : static_cast<int64_t>(clock.ToUnix(i.exptime)));
      put(text::kDumpLastAccess);
      p = PutSigned(p, static_cast<int64_t>(clock.ToUnix(i.last_access)));
      put(text::kDumpCas);
      p += text::FormatUint64(p, i.cas);
      put(i.fetched ? text::kDumpFetchedYes : text::kDumpFetchedNo);
      put(text::kDumpSlabClass);
      p = PutSigned(p, i.slab_class);
      put(text::kDumpSize);
      p += text::FormatUint64(p, i.size);
      put(text::kDumpLineEnd);
    }
    out_.Commit(static_cast<size_t>(p - start));
  };
  for (;;) {
    if (out_.pending() > kDumpPendingBytes) {
      // Wait for the client: FlushOutput calls ProcessInput (and so this) once all is sent.
      paused_ = true;
      return false;
    }
    if (d.turn_bytes >= kDumpTurnBytes || d.turn_slices >= kDumpTurnSlices) {
      // A fast client could keep us here for the whole dump: let the worker's other
      // connections have their turn and continue from a task behind them.
      d.resume_posted = true;
      d.turn_bytes = 0;
      d.turn_slices = 0;
      worker_->loop().Post([this, weak = std::weak_ptr<DumpState>(dump_)] {
        const std::shared_ptr<DumpState> alive = weak.lock();
        if (!alive) return;  // the dump ended, or the connection is gone with it
        alive->resume_posted = false;
        if (closed_) return;
        ProcessInput();
        FlushOutput();
      });
      return false;
    }
    const size_t before = out_.pending();
    const bool done = engine_->DumpStep(&d.cursor, kDumpStepSlices, emit);
    d.turn_bytes += out_.pending() - before;
    d.turn_slices += kDumpStepSlices;
    if (done) {
      out_.Append(mg ? text::kMetaReplyMiss : text::kReplyEnd);
      dump_.reset();
      in_state_ = InState::kCommand;
      if (drain_after_dump_) {
        // Graceful shutdown waited for the dump: nothing after it runs, as in memcached.
        close_after_write_ = true;
        return false;
      }
      return true;
    }
  }
}

void Connection::LogConnEvent(bool open, CloseReason reason) {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &len) != 0) peer.ss_family = AF_UNSPEC;
  std::string line;
  if (open) {
    AppendConnOpenLine(line, peer, fd_);
  } else {
    AppendConnCloseLine(line, peer, reason, fd_);
  }
  server_->logger().Log(log_type::kConnEvents, line);
}

void Connection::Watch(uint32_t mask) {
  const Settings& settings = server_->settings();
  Logger& logger = server_->logger();
  if (mask & log_type::kEvictions) {
    Clock* clock = &server_->clock();
    engine_->SetEvictionHook([&logger, clock](const storage::EvictionEvent& ev) {
      if (!logger.Wants(log_type::kEvictions)) return;
      std::string line;
      AppendEvictionLine(line, ev, clock->Now());
      logger.Log(log_type::kEvictions, line);
    });
  }
  net::EventLoop* loop = &worker_->loop();
  const size_t cap = static_cast<size_t>(settings.watcher_logbuf_size);
  watch_.reset();
  watch_ = std::make_unique<WatchState>(
      &logger, logger.Add(
                   mask, [loop](std::function<void()> fn) { loop->Post(std::move(fn)); },
                   [this, &logger, cap](std::string&& lines) {
                     // A watcher that does not read: drop rather than buffer without bound.
                     if (closed_ || out_.pending() > cap) {
                       logger.CountSkipped(
                           *watch_->watcher,
                           static_cast<uint64_t>(std::count(lines.begin(), lines.end(), '\n')));
                       return;
                     }
                     out_.Append(lines);
                     FlushOutput();
                   }));
}

}  // namespace memfleet::server
