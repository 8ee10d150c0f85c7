// KeyCopier: copies every key of one memcached-protocol server to another, streaming and bounded
// in memory, without ever overwriting what the target already holds.
//
// The copy reads the source's key names a batch at a time (KeyLister: `lru_crawler metadump
// all`), fetches each batch's values with their flags and remaining TTLs (ItemReader: `mg <key>
// v f t`) and stores each on the target with add semantics (ItemWriter: `ms <key> <len> ... ME`),
// so that a key the target has already — written there after the copy began — keeps its newer
// value. A key that vanished from the source between listing and fetching is skipped; one whose
// TTL runs out now (remaining 0) is skipped; a TTL over memcached's 30-day relative limit is
// sent as the absolute unix time it ends at. A filter may keep only some keys (a router copying
// the keys one server owns).
//
// Memory: at most `batch_keys` key names, the reader's and writer's buffers (a reply or a
// request of one value each plus what a socket read brings) and the writer's pending output up
// to `max_pending_bytes`: never the whole data set.
//
// This is the one copier: a router resyncing a replica that came back empty (router/resync/)
// and a `memfleet copy` tool use it alike. Run() blocks its caller's thread (a thread of its
// own, never an event loop's); CopyProgress may be read from any thread meanwhile; Stop() (any
// thread) ends a copy between two batches.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace memfleet::cluster {

// One item as read from the source.
struct CopyItem {
  std::string_view key;  // the key itself (not base64)
  std::string_view value;
  uint32_t flags = 0;
  int64_t ttl = -1;  // remaining seconds; -1: never expires
};

// The source's key names, in batches.
class KeyLister {
 public:
  virtual ~KeyLister() = default;
  // Appends up to max key names to *keys (cleared first). *done: the listing has ended (the
  // batch may still hold keys).
  virtual Status Next(size_t max, std::vector<std::string>* keys, bool* done) = 0;
};

// The source's items.
class ItemReader {
 public:
  virtual ~ItemReader() = default;
  // Fetches keys, in order, calling on_item for each one the source still has (the views are
  // valid during the call). A non-ok status from on_item ends the fetch with it.
  virtual Status Fetch(const std::vector<std::string>& keys,
                       const std::function<Status(const CopyItem&)>& on_item) = 0;
};

// What the target answered to the adds of one Flush.
struct AddOutcomes {
  uint64_t added = 0;    // stored: the target did not have the key
  uint64_t existed = 0;  // not stored: the target has the key already (a newer write)
  uint64_t refused = 0;  // an error reply for that key (too large, out of memory): skipped
};

// The target.
class ItemWriter {
 public:
  virtual ~ItemWriter() = default;
  // Queues an add of item with exptime (memcached's: 0 none, up to 30 days relative, else unix
  // time). May send at once; never overwrites an existing key.
  virtual Status Add(const CopyItem& item, int64_t exptime) = 0;
  // Bytes queued and not yet sent.
  virtual size_t pending_bytes() const = 0;
  // Sends what is queued and waits for every reply, adding them to *out.
  virtual Status Flush(AddOutcomes* out) = 0;
};

// Counters of a copy, readable from any thread while it runs.
struct CopyProgress {
  std::atomic<uint64_t> listed{0};    // key names read from the source
  std::atomic<uint64_t> filtered{0};  // left out by the filter
  std::atomic<uint64_t> vanished{0};  // gone from the source before they were fetched
  std::atomic<uint64_t> expired{0};   // fetched with no time left
  std::atomic<uint64_t> copied{0};    // added to the target
  std::atomic<uint64_t> existed{0};   // the target had them (kept its value)
  std::atomic<uint64_t> refused{0};   // the target refused them
  std::atomic<uint64_t> bytes{0};     // value bytes added
  std::atomic<uint64_t> batches{0};
};

struct CopyOptions {
  size_t batch_keys = 128;                // names listed, then fetched, at a time
  size_t max_pending_bytes = 256 * 1024;  // the writer's queue is flushed past this
  // Keeps a key when true (null: every key).
  std::function<bool(std::string_view key)> filter;
  // The unix time (seconds) a TTL over 30 days is added to (null: the system clock).
  std::function<int64_t()> unix_now;
};

// memcached's largest relative exptime: larger numbers are unix times.
inline constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;

// The exptime that stores an item with `ttl` seconds left (-1: none) at unix time now; false
// when nothing is left (ttl 0 or below other than -1): the item is not copied.
bool ExptimeForTtl(int64_t ttl, int64_t unix_now, int64_t* exptime);

class KeyCopier {
 public:
  explicit KeyCopier(CopyOptions options) : options_(std::move(options)) {}

  // Copies every listed key through reader to writer. Stops at the first error of any of
  // them (the status names it), or between batches after Stop().
  Status Run(KeyLister& lister, ItemReader& reader, ItemWriter& writer);
  void Stop() { stop_.store(true, std::memory_order_relaxed); }
  const CopyProgress& progress() const { return progress_; }

 private:
  Status FlushWriter(ItemWriter& writer);

  const CopyOptions options_;
  CopyProgress progress_;
  std::atomic<bool> stop_{false};
};

}  // namespace memfleet::cluster
