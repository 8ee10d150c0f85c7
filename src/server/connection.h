// Connection: one client connection's state machine on a worker thread.
//
// A connection reads as much as the socket has, parses every complete request in its buffer
// (protocol/text), executes them in order against the storage engine and queues the replies in a
// net::OutBuffer, which is flushed once per batch so that a pipeline's replies leave together.
// While the pending output is above a high-water mark the connection stops reading and executing
// (backpressure) until the client has drained it. Storage commands copy their data block from the
// read buffer straight into the allocated item, so the read buffer never has to hold a whole
// value.
//
// An idle connection costs little memory (docs/architecture.md, "Buffers"): its read buffer and
// its output area are borrowed from the worker's net::BufferPool only while it has bytes to parse
// (a read in flight, a partial request) or to send, and what only some requests need (a data
// block being read, a protocol handler, a dump, a watch) is allocated when first used. Owned by
// its Worker; every method runs on that worker's thread, except the atomics read by
// `stats conns`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "net/event_loop.h"
#include "net/io_batch.h"
#include "net/out_buffer.h"
#include "net/read_buffer.h"
#include "protocol/meta/meta.h"
#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "server/handler_set.h"
#include "server/item_pin.h"
#include "server/watch_lines.h"
#include "storage/engine.h"

namespace memfleet::server {

class Worker;
class Server;

// Per-connection state of the protocol extensions, each defined in its own header and used only
// by its own source file: watch_state.h and dump_state.h (connection_admin.cc). The text, meta
// and binary protocols and the -Y login are handlers of their own (text_handler.h,
// meta_handler.h, binary_handler.h, ascii_auth_handler.h; the first three in a HandlerSet) that
// see the connection only through a HandlerContext.
class AsciiAuthHandler;
struct WatchState;
struct DumpState;

// A data block being read into its item: from ConnectionControl::ReadValue to FinishStore. Only
// a connection in the middle of a storage request needs it, so connections borrow one from
// their worker (Worker::LendPendingValue) instead of each holding one.
struct PendingValue {
  storage::ItemRef item;
  std::optional<storage::ValueWriter> writer;
  uint32_t left = 0;  // data bytes still to copy
  char crlf[2] = {0, 0};
  uint8_t crlf_got = 0;
  ValueOwner owner = ValueOwner::kText;
};

class Connection : public net::EventLoop::Handler,
                   public net::IoBatch::Client,
                   private ConnectionControl {
 public:
  Connection(Worker* worker, int fd, std::string listen_addr);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Registers with the worker's loop. False if that failed (the caller then drops it).
  bool Start();
  void OnEvent(uint32_t events) override;
  // Batch steps (net::EventLoop::Handler): the read that OnEvent would make first, then the
  // prefetch of the keys it brought, then the second prefetch step.
  void Prepare(uint32_t events) override;
  void PrepareMore() override;

  // Why a connection closed, for `watch connevents` (watch_lines.h).
  using CloseReason = server::CloseReason;

  // Closes at once: unregisters, closes the socket and asks the worker to delete this object.
  void Close(CloseReason reason = CloseReason::kNormal);
  // Finishes requests already read (and a running metadump/mgdump, as memcached's shutdown
  // waits for its crawler thread to end the dump), flushes, then closes (graceful shutdown).
  void Drain();
  bool closed() const { return closed_; }
  // A `watch` connection: it only receives log lines, never idles out.
  // True while the connection waits for its next command with nothing left to send: the only
  // state in which idle_timeout may close it, as memcached times out only conn_new_cmd/conn_read
  // (not a data block being read, a dump being written, unsent replies, or a watcher).
  // A TCP connection (not a unix socket): only those are timed out by idle_timeout, as memcached.
  bool tcp() const { return tcp_; }
  bool awaiting_command() const;

  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }
  const std::string& listen_addr() const { return listen_addr_; }
  // For `stats conns` and idle_timeout (any thread).
  RelTime last_cmd_time() const { return last_cmd_time_.load(std::memory_order_relaxed); }
  const char* state_name() const;

 private:
  // kDump: a metadump/mgdump is being produced; requests behind it wait, as behind a data block.
  enum class InState : uint8_t { kCommand, kValue, kSwallow, kDump };
  // Which protocol this connection speaks: decided by -B, or by the first byte under -B auto
  // (0x80 is a binary request magic; anything else is text).
  enum class Protocol : uint8_t { kUndecided, kText, kBinary };

  ssize_t ReadSome(bool* buffer_was_full);
  // ReadSome's first half: makes room in rbuf_ (compacts or grows the buffer) and returns how
  // much; 0 with errno set when a line outgrew the largest buffer.
  size_t MakeReadRoom();
  // The end of Prepare(), once its read is done (here or by the worker's IoBatch).
  void FinishPreparedRead(ssize_t n, int err);
  void ProcessInput();
  // The start of every protocol's input loop: backpressure, then a data block being read or
  // swallowed. kCommand: the unread bytes start with a request.
  enum class InputStep : uint8_t { kStop, kAgain, kCommand };
  InputStep ContinuePending();
  void ProcessTextInput();
  // IoBatch's result for this connection's queued reply: as out_.Flush would have sent it.
  void FinishDeferredSend(int result);
  // IoBatch's result for this connection's queued read (Prepare): as read() would return it.
  void FinishDeferredRead(int result);
  // net::IoBatch::Client: the worker's IoBatch reads into the room Prepare made (pre_room_
  // bytes at rbuf_.room()) and sends out_ when it is one piece.
  int BatchFd() const override { return fd_; }
  std::span<char> BatchReadRoom() override { return {rbuf_.room(), pre_room_}; }
  void BatchReadDone(int result) override { FinishDeferredRead(result); }
  bool BatchContiguousOutput(const char** data, size_t* len) override {
    return !closed_ && out_.Contiguous(data, len);
  }
  void BatchSendDone(int result) override {
    if (!closed_) FinishDeferredSend(result);
  }
  void BatchSendSelf() override {
    if (!closed_) FlushOutput();
  }
  // Looks ahead at the pipelined requests at the start of rbuf_ and prefetches their keys.
  void PrefetchAhead();
  // PrefetchAhead's first step: scans the keys, starts their prefetch, and returns how many hash
  // values it wrote to hv (Engine::kMaxPrefetch entries) for the second step.
  size_t ScanAndStartPrefetch(uint32_t* hv);
  // Flushes what it can; then, as everywhere a turn of the loop ends, ReleaseIdleBuffers.
  void FlushOutput();
  void UpdateInterest();
  // Gives the read buffer back to the worker's pool when everything read has been parsed, and
  // the output area when everything queued has been sent. Only where no parsed request points
  // into them: at the end of an event, a posted task or an IoBatch result.
  void ReleaseIdleBuffers();

  // Reads the pending data block from rbuf_ (InState::kValue); true once it and its
  // terminator are in and FinishStore has handed the item to its owner.
  bool ContinueValue();
  void FinishStore();
  // Binary protocol: parses requests from the read buffer and has binary_ execute them.
  void ProcessBinaryInput();
  // ConnectionControl, for the handlers (see handler_context.h).
  void ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                 bool crlf_terminated) override;
  void Swallow(size_t n) override;
  void CloseAfterWrite() override { close_after_write_ = true; }
  void CloseNow() override { Close(); }
  void TouchLastCommand() override;
  bool authenticated() const override { return authenticated_; }
  void set_authenticated(bool on) override { authenticated_ = on; }
  // lru_crawler metadump|mgdump (connection_admin.cc): StartDump replies at once on an error,
  // else arms the dump; ContinueDump produces it in bounded steps. The connection does not
  // produce more while its unsent output is above a small bound (FlushOutput calls back once the
  // socket has taken it all) and, after a bounded amount of work, yields to the other
  // connections of its worker with a posted task. Runs in InState::kDump; returns true when the
  // dump is complete and the next request may run (false: wait for output to drain or a turn).
  void StartDump(const protocol::text::Request& req, bool mgdump) override;
  // ConnectionControl::Watch (connection_admin.cc).
  void Watch(uint32_t mask) override;
  bool ContinueDump();
  // `watch` log lines, built by watch_lines.h and handed to the Logger (connection_admin.cc);
  // called only while a watcher wants them.
  void LogFetch(std::string_view key, const storage::ItemRef& item) override;
  // `watch deletions`: cmd is "delete" or "md"; item is the removed item, pinned.
  void LogDeletion(std::string_view cmd, const storage::ItemRef& item) override;
  // The same for a store made by any protocol (meta ms, binary set/add/...). ttl_zero logs
  // ttl=0 whatever the item's exptime: memcached logs the item an `ma` with N creates before it
  // applies N's TTL.
  void LogStore(storage::StoreOp op, const storage::ItemRef& item, storage::StoreResult r,
                bool ttl_zero = false) override;
  // type=conn_new / type=conn_close lines (`watch connevents`).
  void LogConnEvent(bool open, CloseReason reason);
  // Queues a one-line reply (adds "\r\n") unless the request asked for noreply.
  void Reply(std::string_view line);
  void ReplyAlways(std::string_view line);
  // The same for a whole line that already ends in "\r\n" (a vocabulary kReply... constant):
  // one copy, nothing added.
  void ReplyLine(std::string_view line_with_crlf);
  void ReplyLineAlways(std::string_view line_with_crlf);

  Worker* worker_;
  Server* server_;
  storage::Engine* engine_;
  int fd_;
  uint32_t interest_ = 0;
  // Set by the Worker (under its lock): this connection's index in its connection table.
  friend class Worker;
  uint32_t worker_slot_ = 0;
  std::string listen_addr_;
  std::string peer_;

  net::ReadBuffer rbuf_;  // borrows from the worker's BufferPool
  net::OutBuffer out_;    // likewise
  // Requests before this offset of the read buffer (net::ReadBuffer::offset) have been looked ahead
  // at for prefetching (protocol::text::ScanKeys); reset by every read.
  uint32_t scan_end_ = 0;
  // Prepare()'s read, for OnEvent to use as its first: its result (bytes or -1 with errno
  // pre_errno_) and the room it was given (queued in the worker's IoBatch).
  int32_t pre_n_ = 0;
  int32_t pre_errno_ = 0;
  uint32_t pre_room_ = 0;
  // The keys of that read whose prefetch Prepare started: their hashes wait in the worker's
  // batch scratch (Worker::PrefetchSlot) for PrepareMore.
  uint16_t pre_slot_ = 0;
  uint8_t pre_keys_ = 0;
  bool pre_read_ = false;
  bool pre_full_ = false;

  bool tcp_;
  bool closed_ = false;
  bool close_after_write_ = false;
  bool paused_ = false;  // output above the high-water mark: not reading
  InState in_state_ = InState::kCommand;
  Protocol protocol_ = Protocol::kUndecided;
  bool noreply_ = false;        // the request being executed asked for noreply
  bool authenticated_ = false;  // -S / -Y: this connection has authenticated
  // Graceful shutdown arrived during a dump: finish the dump, then close (see Drain).
  bool drain_after_dump_ = false;

  // A storage command waiting for its data block (InState::kValue): borrowed from the worker
  // by ReadValue, given back by FinishStore.
  std::unique_ptr<PendingValue> value_;
  size_t swallow_left_ = 0;

  std::unique_ptr<AsciiAuthHandler> auth_;  // -Y: reads every request until authenticated
  std::unique_ptr<WatchState> watch_;
  std::shared_ptr<DumpState> dump_;  // while an lru_crawler metadump|mgdump runs

  // What the protocol handlers see of this connection; built once, after the buffers above.
  HandlerContext ctx_;
  // The protocol handlers, over ctx_ (text, meta, operator and binary requests).
  HandlerSet handlers_{ctx_};

  std::atomic<RelTime> last_cmd_time_{0};
  std::atomic<uint8_t> state_{0};
};

}  // namespace memfleet::server
