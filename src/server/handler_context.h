// HandlerContext: the narrow view of a connection, its worker and the server that a protocol
// handler (TextHandler, BinaryHandler, AsciiAuthHandler, ...) executes requests against, so that
// a handler needs no friendship with Connection and can be unit tested with a fake context (see
// handler_test_util.h).
//
// The struct holds plain pointers to what every request touches (engine, the worker's storage
// session and stats, settings, clock, logger, the connection's output and input buffers), so the
// hot path pays no virtual call for them. The two interfaces carry what a request changes or asks
// rarely: ConnectionControl, the state changes a handler makes to its own connection (read a data
// block, swallow bytes, close, become authenticated...), implemented by Connection; ServerControl,
// the server-wide stats and run-time settings, implemented by Server. A request makes at most a
// few of these calls, never one per byte or per key.
//
// Nothing here is owned: the pointers belong to the connection (buffers), its worker (session,
// stats) and the server, and stay valid while the connection lives. A context and every call
// made through it belong to the connection's worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"
#include "net/out_buffer.h"
#include "net/read_buffer.h"
#include "protocol/text/request.h"
#include "server/auth.h"
#include "server/logger.h"
#include "server/worker_stats.h"
#include "storage/engine.h"

namespace memfleet::server {

// Which handler receives a data block once the connection has read it.
enum class ValueOwner : uint8_t { kText, kMeta, kBinary };

// The state changes a handler makes to the connection that sent the request.
class ConnectionControl {
 public:
  // Reads the next `length` bytes of input into `item` (through a storage::ValueWriter), then,
  // when crlf_terminated, two more that must be "\r\n"; then hands the item to `owner`'s
  // FinishStore. Requests behind the data block wait until then.
  virtual void ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                         bool crlf_terminated) = 0;
  // Drops the next n bytes of input before reading another request; nothing for n == 0.
  virtual void Swallow(size_t n) = 0;
  // Closes the connection once the queued replies are sent; no further request is executed.
  virtual void CloseAfterWrite() = 0;
  // Closes the connection at once: queued replies are dropped and nothing more is read or
  // executed (the caller returns without touching the input again).
  virtual void CloseNow() = 0;
  // Records that a command arrived now, for `stats conns` and idle_timeout.
  virtual void TouchLastCommand() = 0;
  // `lru_crawler metadump|mgdump <classes>` (req.tokens[2]): replies at once when refused,
  // else the connection streams the dump before it executes further requests.
  virtual void StartDump(const protocol::text::Request& req, bool mgdump) = 0;
  // `watch`: the connection becomes a stream of the log lines in mask (log_type bits) and
  // executes nothing more. The caller queues the OK reply.
  virtual void Watch(uint32_t mask) = 0;
  // -S / -Y: whether the connection has authenticated.
  virtual bool authenticated() const = 0;
  virtual void set_authenticated(bool on) = 0;
  // The `watch mutations` line of a store (only called while a watcher wants it). ttl_zero
  // logs ttl=0 whatever the item's exptime. The connection builds its watch lines with
  // watch_lines.h, adding what only it knows (its descriptor, the item a store linked).
  virtual void LogStore(storage::StoreOp op, const storage::ItemRef& item, storage::StoreResult r,
                        bool ttl_zero) = 0;
  // The `watch fetchers` line of a lookup of key (only called while a watcher wants it); item
  // is what it found, or empty.
  virtual void LogFetch(std::string_view key, const storage::ItemRef& item) = 0;
  // The `watch deletions` line of a delete (only called while a watcher wants it): cmd is the
  // command's name, item the removed item (nothing is logged when it is empty).
  virtual void LogDeletion(std::string_view cmd, const storage::ItemRef& item) = 0;

 protected:
  ~ConnectionControl() = default;
};

// The server-wide state a handler reads or changes: stats, `stats detail`, run-time settings.
class ServerControl {
 public:
  // `stats detail on|off` and its per-prefix counters.
  virtual bool detail_enabled() const = 0;
  virtual void set_detail_enabled(bool on) = 0;
  virtual void RecordPrefix(std::string_view key, bool is_get, bool hit, bool is_set,
                            bool is_del) = 0;
  virtual std::string DumpPrefixes() = 0;
  // The verbosity set at run time (`verbosity N`).
  virtual int verbosity() const = 0;
  virtual void set_verbosity(int v) = 0;
  // `shutdown [graceful]`: asks the server to stop (graceful: finish in-flight requests).
  virtual void RequestShutdown(bool graceful) = 0;
  // `stats` (general) and `stats conns` lines, one sink call each; `stats reset`.
  virtual void AppendGeneralStats(const storage::StatSink& sink) = 0;
  virtual void AppendConnStats(const storage::StatSink& sink) = 0;
  virtual void ResetStats() = 0;
  // The users of -S / -Y; null when neither is on.
  virtual const CredentialStore* credentials() const = 0;

 protected:
  ~ServerControl() = default;
};

struct HandlerContext {
  storage::Engine* engine = nullptr;
  storage::Session* session = nullptr;  // the worker's
  WorkerStats* stats = nullptr;         // the worker's
  const Settings* settings = nullptr;
  Clock* clock = nullptr;
  Logger* logger = nullptr;
  net::OutBuffer* out = nullptr;  // replies are queued here
  net::ReadBuffer* in = nullptr;  // unread input, starting after the request being executed
  ServerControl* server = nullptr;
  ConnectionControl* conn = nullptr;
  // UDP only (udp_port.h): a text get appends the output's pending() after each of its keys,
  // because memcached answers each key of a multi-get over UDP as a message of its own. Null
  // for TCP and unix connections.
  std::vector<size_t>* reply_marks = nullptr;
};

}  // namespace memfleet::server
