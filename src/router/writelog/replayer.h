// WriteLogReplayer: delivers a WriteLog's records to their server, in order, before the server
// is given reads again; then empties the log and switches the server to up in one step under the
// log's mutex, so that no write slips between the last replayed record and the switch.
//
// Window: up to `window` records are in flight at once on the sink, which must be one upstream
// connection (or anything else that executes requests in the order sent, as a memcached
// connection does): the server applies them in log order however many are in flight. Writes
// appended while the replay runs land behind it and are replayed too; when a read finds no more
// records and nothing is in flight, WriteLog::FinishIfCaughtUp decides under the mutex whether
// the replay has really caught up (and calls on_caught_up there, where the integrator calls
// ServerHealth::FinishRecovery) or must read on.
//
// Replies: a hit or a miss is a replayed record (an add that finds the key, a delete of a missing
// key are the server's normal answers to the same writes the healthy replicas got); a client
// error, or a value too large for this server, can never succeed and is skipped (counted);
// any other error (timeout, connection error, TKO, other server errors) stops the replay: the
// records from the first failed one on stay in the log (the header's start offset moves past the
// replayed ones, so a restart does not apply them twice) and done reports kFailed. A record
// whose reply was lost (a timeout after the server applied it) will be applied again by the next
// replay: harmless for set/add/replace/delete/touch, not for append/prepend/incr/decr — which is
// why the integrator should treat a timeout during replay like a death of the server.
//
// A log that needs a full resync (its bound was passed, or it was damaged) is not replayed: with
// flush_on_resync the replayer sends flush_all to the server and, when it succeeds, clears the
// mark with WriteLog::ClearResync (calling on_caught_up under the log's mutex there too); writes
// that arrive between the flush and the clear are dropped (counted) — the server then misses
// those keys, it never serves an old value for them.
//
// Threads: Start and every reply must come on one thread (the worker that owns the sink's
// connection). The log may be appended to from any thread meanwhile. The replayer must outlive
// every request it has sent (idle() true) — replies arrive through receivers inside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/model.h"
#include "router/route.h"
#include "router/writelog/write_log.h"

namespace memfleet::router::writelog {

// Where a replay sends its requests.
class ReplaySink {
 public:
  // Sends req to the server; done.OnReply is called once, maybe before Send returns. req need
  // only be valid during the call.
  virtual void Send(const protocol::Request& req, ReplyReceiver& done) = 0;

 protected:
  ~ReplaySink() = default;
};

enum class ReplayOutcome {
  kCaughtUp,     // every record replayed, the log emptied, on_caught_up called
  kResynced,     // the server was flushed, the resync mark cleared, on_caught_up called
  kNeedsResync,  // the log needs a full resync and flush_on_resync is off
  kFailed,       // a send failed; the records not replayed stay in the log
  kIoError,      // the log could not be read
};
std::string_view ReplayOutcomeName(ReplayOutcome o);

struct ReplayOptions {
  size_t window = 16;           // records in flight at once (>= 1)
  size_t read_batch = 256;      // records read from the file at a time
  uint64_t commit_every = 256;  // replayed records between two persists of the start offset
  bool flush_on_resync = true;
};

class WriteLogReplayer {
 public:
  using DoneFn = std::function<void(ReplayOutcome, std::string_view error)>;

  // on_caught_up runs under the log's mutex (REQUIRES: it does not call into the log); done runs
  // after it, outside the mutex, once per Start.
  WriteLogReplayer(WriteLog& log, ReplaySink& sink, ReplayOptions options,
                   std::function<void()> on_caught_up, DoneFn done);
  WriteLogReplayer(const WriteLogReplayer&) = delete;
  WriteLogReplayer& operator=(const WriteLogReplayer&) = delete;

  // Starts replaying. REQUIRES: not running().
  void Start();
  bool running() const { return running_; }
  // True when no request of this replayer is in flight (it may be destroyed).
  bool idle() const { return inflight_ == 0; }

  uint64_t sent() const { return sent_; }
  uint64_t replayed() const { return replayed_; }
  uint64_t skipped() const { return skipped_; }

 private:
  enum class Disposition { kPending, kReplayed, kSkipped, kFailed };
  struct Slot final : ReplyReceiver {
    WriteLogReplayer* owner = nullptr;
    ReplayBatch::Entry entry;
    Disposition disposition = Disposition::kPending;
    void OnReply(const protocol::Result& r) override;
  };
  struct FlushReceiver final : ReplyReceiver {
    WriteLogReplayer* owner = nullptr;
    void OnReply(const protocol::Result& r) override;
  };

  void Pump();
  // Retires the replied slots at the front of the window, in order.
  void Retire();
  void Commit();
  void StartResync();
  void Finish(ReplayOutcome o, std::string error);

  WriteLog& log_;
  ReplaySink& sink_;
  const ReplayOptions options_;
  std::function<void()> on_caught_up_;
  DoneFn done_;

  std::vector<Slot> slots_;  // a ring of options_.window
  size_t head_ = 0;          // the oldest slot in flight
  size_t inflight_ = 0;
  FlushReceiver flush_;

  ReplayBatch batch_;
  size_t batch_pos_ = 0;
  uint64_t epoch_ = 0;         // of the log when the replay read its first records
  uint64_t read_offset_ = 0;   // where the next read starts
  uint64_t acked_offset_ = 0;  // every record before it is replayed or skipped
  uint64_t uncommitted_ = 0;   // records acknowledged since the last Commit
  bool running_ = false;
  bool pumping_ = false;
  bool failed_ = false;
  bool resyncing_ = false;
  std::string error_;

  uint64_t sent_ = 0;
  uint64_t replayed_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace memfleet::router::writelog
