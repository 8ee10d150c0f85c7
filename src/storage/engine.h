// Engine: the one command-level interface between the server and item storage.
//
// An Engine owns all item memory (slab pages), the hash table, the segmented LRU queues and the
// background threads that keep them (LRU maintainer, crawler, hash expander). It is shared by all
// worker threads; every method below is thread-safe unless stated otherwise. Each worker thread
// gets one Session (from NewSession) and passes it to every call it makes: a Session holds that
// worker's lock-free statistics and is used by exactly one thread at a time.
//
// Items are handed out as ItemRef: a move-only pin on one item. While an ItemRef is alive the
// item's memory stays valid and unchanged even if another thread deletes, replaces or evicts it;
// dropping the ItemRef releases the pin. A store is two steps so that value bytes can be copied
// from the network straight into item memory: Allocate() returns an unlinked item with room for
// the value, the caller fills it through a ValueWriter, then Store() links it (or not).
//
// Times are relative seconds from common/clock.h; 0 as an exptime means "never expires".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"

namespace memfleet::storage {

inline constexpr size_t kKeyMaxLength = 250;

class Engine;
class Session;

// A pinned item. Empty (false) when a lookup missed.
class ItemRef {
 public:
  ItemRef() = default;
  ItemRef(Engine* engine, void* item) : engine_(engine), item_(item) {}
  ItemRef(ItemRef&& o) noexcept : engine_(o.engine_), item_(o.item_) { o.item_ = nullptr; }
  ItemRef& operator=(ItemRef&& o) noexcept;
  ItemRef(const ItemRef&) = delete;
  ItemRef& operator=(const ItemRef&) = delete;
  ~ItemRef() { Reset(); }

  explicit operator bool() const { return item_ != nullptr; }
  void Reset();

  // REQUIRES for all accessors: *this is non-empty.
  std::string_view key() const;
  uint32_t client_flags() const;
  uint64_t cas() const;
  RelTime exptime() const;  // 0 = never
  RelTime last_access() const;
  uint32_t value_length() const;  // value bytes, without any trailing "\r\n"
  // True when the value is stored in more than one chunk (values above slab_chunk_max).
  bool chunked() const;
  // The value as one span. REQUIRES: !chunked().
  std::span<const char> value() const;
  // Calls fn(span) for each contiguous piece of the value, in order (one call unless chunked).
  void ForEachSegment(const std::function<void(std::span<const char>)>& fn) const;
  // Copies the whole value to dst, which must have room for value_length() bytes.
  void CopyValue(char* dst) const;
  // Slab class of the item's (head) chunk (`watch` log lines).
  int slab_class() const;

  // Engine-internal.
  Engine* engine() const { return engine_; }
  void* raw() const { return item_; }
  void* release() {
    void* p = item_;
    item_ = nullptr;
    return p;
  }
  // Drops the reference of an item given up by release(), for a holder that keeps it without
  // an ItemRef (the server's net::Pin adapter, server/item_pin.h): engine is engine(), item what
  // release() returned. Its signature is net::Pin::ReleaseFn's.
  static void ReleaseRaw(void* engine, void* item);

 private:
  Engine* engine_ = nullptr;
  void* item_ = nullptr;
};

// Writes value bytes, in order, into an item returned by Engine::Allocate.
class ValueWriter {
 public:
  explicit ValueWriter(ItemRef& item);
  // Appends up to the remaining room; returns how many bytes were taken.
  size_t Write(const char* data, size_t len);
  size_t remaining() const { return remaining_; }

 private:
  ItemRef& item_;
  size_t written_ = 0;
  size_t remaining_ = 0;
  void* chunk_ = nullptr;  // current chunk (engine-defined meaning)
  char* pos_ = nullptr;    // next byte to write in the current chunk
  size_t chunk_room_ = 0;  // bytes left in the current chunk
};

enum class StoreOp : uint8_t { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

enum class StoreResult : uint8_t {
  kStored,     // STORED
  kNotStored,  // NOT_STORED (add on hit, replace/append/prepend on miss)
  kExists,     // EXISTS (cas mismatch)
  kNotFound,   // NOT_FOUND (cas on a missing key)
  kNoMemory,   // SERVER_ERROR out of memory storing object
};

enum class AllocResult : uint8_t {
  kOk,
  kTooLarge,  // SERVER_ERROR object too large for cache
  kNoMemory,  // SERVER_ERROR out of memory storing object
};

enum class DeleteResult : uint8_t { kDeleted, kNotFound, kExists };

enum class DeltaResult : uint8_t {
  kOk,
  kNotFound,
  kNonNumeric,  // CLIENT_ERROR cannot increment or decrement non-numeric value
  kExists,      // cas given and different
  kNoMemory,
};

struct DeltaRequest {
  std::string_view key;
  bool incr = true;
  uint64_t delta = 0;
  uint64_t cas = 0;  // 0 = no cas check
};

struct DeltaReply {
  DeltaResult result = DeltaResult::kNotFound;
  uint64_t value = 0;  // the new value when kOk
  uint64_t cas = 0;    // the item's new cas when kOk
};

// Operator commands (slabs reassign, lru_crawler): results mirror memcached's replies.
enum class ReassignResult : uint8_t {
  kOk,        // OK
  kRunning,   // BUSY currently processing reassign request
  kBadClass,  // BADCLASS invalid src or dst class id
  kNoSpare,   // NOSPARE source class has no spare pages
  kSame,      // SAME src and dst class are identical
};
enum class CrawlResult : uint8_t {
  kOk,          // OK
  kRunning,     // BUSY currently processing crawler request
  kBadClass,    // BADCLASS invalid class id
  kNotStarted,  // NOTSTARTED no items to crawl
  kError,       // FAILED to start crawler
  kDisabled,    // CLIENT_ERROR lru crawler disabled
};
// One live item as seen by metadump / mgdump (times are relative, 0 exptime = never). The key
// points into item memory and is valid only during the callback that receives it.
struct ItemInfo {
  std::string_view key;
  RelTime exptime = 0;
  RelTime last_access = 0;
  uint64_t cas = 0;
  bool fetched = false;
  bool key_binary = false;  // stored by a meta command with a base64 (b) key
  int slab_class = 0;
  uint32_t size = 0;
  uint32_t value_length = 0;  // value bytes
};
// How far a metadump / mgdump has come. The hash table is cut into `slices` slices (its bucket
// count when the dump started; slice p holds every item whose hash is p modulo slices), which
// stay valid when the table expands, so a dump that takes many steps still lists every item
// that lives through it exactly once. Plain data, owned by the caller; made by StartDump,
// advanced by DumpStep.
struct DumpCursor {
  std::vector<uint8_t> classes;  // per LRU class: 1 = dump its items
  uint64_t slices = 0;
  uint64_t next = 0;  // next slice to visit
};
// Run-time LRU tuning (`lru tune|mode|temp_ttl`).
struct LruTuning {
  int hot_lru_pct = 20;
  int warm_lru_pct = 40;
  double hot_max_factor = 0.2;
  double warm_max_factor = 2.0;
};
// Storage events for `watch evictions` (called on the evicting thread; must not block).
struct EvictionEvent {
  std::string_view key;
  RelTime exptime = 0;
  RelTime last_access = 0;
  int slab_class = 0;
  bool fetched = false;
};
using EvictionHook = std::function<void(const EvictionEvent&)>;

// --- Meta protocol (mg/ms/md/ma/me). Every decision about win (W), stale (X) and token-sent
// (Z) is made under the item's stripe lock, so two racing clients get exactly one W.

struct MetaGetRequest {
  std::string_view key;
  bool bump = true;    // false for u (no LRU bump, no access-time update)
  bool peek = false;   // me: no bump, no hit/miss counters
  bool touch = false;  // T: set exptime
  RelTime exptime = 0;
  bool vivify = false;  // N: create an empty item on a miss (the caller gets a W)
  RelTime vivify_exptime = 0;
  bool key_binary = false;  // the vivified item's key came base64-encoded
  bool recache = false;     // R: win when the remaining TTL is below recache_time
  RelTime recache_time = 0;
  bool recache_sees_touch = false;  // T came before R on the line (R sees the new exptime)
};

struct MetaGetReply {
  ItemRef item;             // empty on a miss
  bool created = false;     // vivified by this call
  bool win = false;         // W
  bool token_sent = false;  // Z: a W was handed out before this call
  bool stale = false;       // X
  bool key_binary = false;
  bool fetched = false;     // h: fetched before this call
  RelTime old_exptime = 0;  // before this call's T (0 = never)
  RelTime last_access = 0;  // before this call
  int slab_class = 0;
  uint32_t total_size = 0;
};

struct MetaStoreOptions {
  bool set_stale = false;   // I with C: an older cas on a stale item is stored, kept stale
  bool key_binary = false;  // the key came base64-encoded
};

struct MetaDeleteRequest {
  std::string_view key;
  bool has_cas = false;
  uint64_t cas = 0;
  bool invalidate = false;  // I: mark stale (new cas, token cleared) instead of removing
  bool touch = false;       // T with I: new exptime
  RelTime exptime = 0;
  ItemRef* removed = nullptr;  // if set, receives the deleted (or invalidated) item, pinned
};

struct MetaDeltaRequest {
  std::string_view key;
  bool incr = true;
  uint64_t delta = 1;
  uint64_t cas = 0;     // 0 = no cas check
  bool vivify = false;  // N: create with `initial` on a miss
  uint64_t initial = 0;
  RelTime vivify_exptime = 0;
  bool touch = false;  // T
  RelTime exptime = 0;
  bool key_binary = false;
};

struct MetaDeltaReply {
  DeltaResult result = DeltaResult::kNotFound;
  uint64_t value = 0;
  uint64_t cas = 0;
  bool created = false;
  RelTime old_exptime = 0;  // before this call's T/N (0 = never)
};

// Receives statistics as name/value pairs, in the order memcached prints them.
using StatSink = std::function<void(std::string_view name, std::string_view value)>;

struct EngineGeneralStats {
  uint64_t curr_items = 0;
  uint64_t total_items = 0;
  uint64_t bytes = 0;  // memcached's "bytes": sum of item sizes stored
  uint64_t evictions = 0;
  uint64_t reclaimed = 0;
  uint64_t expired_unfetched = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t evicted_active = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t get_expired = 0;
  uint64_t get_flushed = 0;
  uint64_t total_malloced = 0;  // bytes of slab pages handed out
  uint64_t limit_maxbytes = 0;
  // Command counters kept by the engine (summed over sessions, since the last ResetStats). In
  // memcached the general get_hits, cmd_set, delete_hits, incr_hits, decr_hits, cas_hits,
  // cas_badval and touch_hits are the sums of the per-class counters of `stats slabs`, so the
  // server should print these rather than count them itself.
  uint64_t cmd_set = 0;   // Store() calls
  uint64_t get_hits = 0;  // Get + GetAndTouch hits
  uint64_t get_misses = 0;
  uint64_t touch_hits = 0;  // Touch + GetAndTouch hits
  uint64_t touch_misses = 0;
  uint64_t delete_hits = 0;
  uint64_t delete_misses = 0;
  uint64_t incr_hits = 0;
  uint64_t incr_misses = 0;
  uint64_t decr_hits = 0;
  uint64_t decr_misses = 0;
  uint64_t cas_hits = 0;
  uint64_t cas_misses = 0;
  uint64_t cas_badval = 0;
};

class Engine {
 public:
  // Builds an engine sized from settings (-m, -f, -n, -I, slab_chunk_max, hashpower, LRU
  // options). Background threads do not run until Start().
  static std::unique_ptr<Engine> Create(const Settings& settings, Clock* clock);
  virtual ~Engine() = default;

  // Starts / stops (joins) the background threads. Stop() is idempotent.
  virtual void Start() = 0;
  virtual void Stop() = 0;

  // A per-thread handle; the Engine owns it and it lives as long as the Engine.
  virtual Session* NewSession() = 0;

  // Returns the live item under key, or an empty ref. Counts a hit or a miss for stats. Bumps the
  // item in its LRU (at most once a minute, as memcached).
  virtual ItemRef Get(Session& s, std::string_view key) = 0;

  // A hint that these keys are about to be looked up (the rest of a pipeline, a multi-get): an
  // engine may bring their memory into the cache so that the lookups' misses overlap. Changes
  // nothing; at most kMaxPrefetch keys are looked at.
  static constexpr size_t kMaxPrefetch = 16;
  virtual void Prefetch(const std::string_view* keys, size_t n) {
    (void)keys;
    (void)n;
  }
  // Prefetch in two steps, for a caller that has other work to overlap with the first one (the
  // reads of an event batch): PrefetchStart hashes the keys into hv (kMaxPrefetch entries) and
  // starts loading what the hash leads to; PrefetchFinish, later, follows that to the items.
  // Returns how many hash values were written.
  virtual size_t PrefetchStart(const std::string_view* keys, size_t n, uint32_t* hv) {
    (void)keys;
    (void)n;
    (void)hv;
    return 0;
  }
  virtual void PrefetchFinish(const uint32_t* hv, size_t n) {
    (void)hv;
    (void)n;
  }
  // Get and set a new exptime (gat/gats). Counts a touch.
  virtual ItemRef GetAndTouch(Session& s, std::string_view key, RelTime exptime) = 0;
  // Sets a new exptime; false when the key is missing.
  virtual bool Touch(Session& s, std::string_view key, RelTime exptime) = 0;

  // Allocates an unlinked item with room for value_length bytes. On kOk, *out holds it.
  // REQUIRES: key.size() <= kKeyMaxLength.
  virtual AllocResult Allocate(Session& s, std::string_view key, uint32_t client_flags,
                               RelTime exptime, uint32_t value_length, ItemRef* out) = 0;
  // Links a filled item according to op. cas is compared for kCas (and ignored otherwise).
  // On kStored, *cas_out (if not null) receives the stored item's cas.
  virtual StoreResult Store(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                            uint64_t* cas_out) = 0;
  // Removes the item under key (only if its cas matches, when cas != 0). With `removed`, a
  // deleted item is also handed back pinned (for `watch deletions`; its memory stays until the
  // ref is let go).
  virtual DeleteResult Delete(Session& s, std::string_view key, uint64_t cas,
                              ItemRef* removed = nullptr) = 0;
  // incr/decr with memcached's semantics: 64-bit wrap on incr, floor at 0 on decr, the value
  // rewritten in place (space padded) when it fits.
  virtual DeltaReply Delta(Session& s, const DeltaRequest& req) = 0;
  // Unlinks the item under key if present (used after a failed set, as memcached does).
  virtual void Unlink(Session& s, std::string_view key) = 0;

  // Meta protocol. MetaGet counts a hit (a touch hit with T) or a miss like Get; a vivified
  // item counts as a hit. MetaStore is Store with the meta options. MetaDelete counts
  // delete_hits / delete_misses (a cas mismatch counts as a miss, as memcached).
  virtual MetaGetReply MetaGet(Session& s, const MetaGetRequest& req) = 0;
  virtual StoreResult MetaStore(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                                const MetaStoreOptions& opt, uint64_t* cas_out) = 0;
  virtual DeleteResult MetaDelete(Session& s, const MetaDeleteRequest& req) = 0;
  virtual MetaDeltaReply MetaDelta(Session& s, const MetaDeltaRequest& req) = 0;

  // Invalidates every item stored at or before `when` (a relative time; now or in the future).
  virtual void FlushAll(RelTime when) = 0;

  // Changes -m at run time; shrinking evicts until under the new limit. False if the new
  // limit is too small to hold the pages already promised to slab classes.
  virtual bool SetMemoryLimit(uint64_t bytes) = 0;

  // True when a value of this size (with this key) could ever be stored (item_size_ok).
  virtual bool ItemSizeOk(size_t key_length, uint32_t value_length) const = 0;

  // --- Operator commands (defaults: not supported).
  // slabs reassign: moves one page from class src (0 = the global pool, -1 = any) to dst (0 =
  // back to the global pool) in the background.
  virtual ReassignResult Reassign(int /*src*/, int /*dst*/) { return ReassignResult::kBadClass; }
  // slabs automove 0|1|2 and slabs automove ratio <r>.
  virtual void SetAutomove(int /*level*/) {}
  virtual void SetAutomoveRatio(double /*ratio*/) {}
  // lru_crawler enable|disable|sleep|tocrawl; false when the state cannot change.
  virtual bool SetCrawlerEnabled(bool /*on*/) { return false; }
  virtual void SetCrawlerSleep(uint32_t /*micros*/) {}
  // tocrawl: one `lru_crawler crawl` checks at most `items` items of each class (0 = no limit);
  // the periodic crawl always checks every item.
  virtual void SetCrawlerToCrawl(uint32_t /*items*/) {}
  // Overwrites the fields of *s that `lru_crawler enable|disable|sleep|tocrawl` change at run
  // time (lru_crawler, lru_crawler_sleep, lru_crawler_tocrawl) with their current values, for
  // `stats settings`.
  virtual void CurrentCrawlerSettings(Settings* /*s*/) const {}
  // The same for every field an operator command changes at run time: those of
  // CurrentCrawlerSettings, slab_automove and slab_automove_ratio (`slabs automove`),
  // hot_lru_pct, warm_lru_pct, hot_max_factor, warm_max_factor (`lru tune`), lru_segmented
  // (`lru mode`), temp_lru and temporary_ttl (`lru temp_ttl`), max_bytes (`cache_memlimit`).
  virtual void CurrentRuntimeSettings(Settings* s) const { CurrentCrawlerSettings(s); }
  // lru_crawler crawl <classes>: "all" or comma-separated class ids; reclaims expired items in
  // the background.
  virtual CrawlResult Crawl(std::string_view /*classes*/) { return CrawlResult::kError; }
  // lru_crawler metadump|mgdump <classes|all|hash>, in bounded steps: StartDump checks the
  // argument (kOk, kBadClass, or kDisabled while the crawler is disabled) and sets *cursor up;
  // each DumpStep then calls fn for every live item of those classes in the next max_slices
  // slices (see DumpCursor), on the calling thread, one bucket locked at a time, and returns
  // true once the whole table has been visited.
  virtual CrawlResult StartDump(std::string_view /*classes*/, DumpCursor* /*cursor*/) {
    return CrawlResult::kError;
  }
  virtual bool DumpStep(DumpCursor* /*cursor*/, uint64_t /*max_slices*/,
                        const std::function<void(const ItemInfo&)>& /*fn*/) {
    return true;
  }
  // The whole dump in one call (tests and tools; a server streams it with DumpStep).
  CrawlResult Metadump(std::string_view classes, const std::function<void(const ItemInfo&)>& fn) {
    DumpCursor cursor;
    CrawlResult r = StartDump(classes, &cursor);
    if (r != CrawlResult::kOk) return r;
    while (!DumpStep(&cursor, 1024, fn)) {
    }
    return r;
  }
  // stats cachedump <class> <limit>: calls fn for the items of class cls's COLD queue, most
  // recently queued first, as memcached's item_cachedump (which lists COLD only: with the
  // segmented LRU a fresh item is in HOT until the maintainer moves it), skipping keys stored
  // base64-encoded, until `limit` items were listed (0: no limit) or fn returns false. fn runs
  // under the queue's lock: it must only copy what it needs. Nothing for a class that does not
  // exist.
  virtual void CacheDump(int /*cls*/, uint32_t /*limit*/,
                         const std::function<bool(const ItemInfo&)>& /*fn*/) {}
  // The number of slab classes (ids 1..ClassCount()).
  virtual int ClassCount() const { return 0; }
  // lru tune / mode / temp_ttl (ttl < 0 disables the TEMP LRU).
  virtual void TuneLru(const LruTuning& /*t*/) {}
  virtual void SetLruSegmented(bool /*on*/) {}
  virtual void SetTempTtl(int /*ttl*/) {}
  // Called for every eviction (from the evicting thread) while set; nullptr clears.
  virtual void SetEvictionHook(EvictionHook /*hook*/) {}

  // Statistics.
  virtual EngineGeneralStats GeneralStats() const = 0;
  // The lines of `stats` that belong to storage, after the server's own (hash_power_level,
  // hash_bytes, hash_is_expanding, slab_reassign_*, lru_* ...), in memcached's order.
  virtual void AppendGeneralStats(const StatSink& sink) const = 0;
  // The two halves of AppendGeneralStats, for a server that prints its own lines (log_*,
  // unexpected_napi_ids, round_robin_fallback) between them as memcached does:
  // hash_power_level .. malloc_fails, then bytes .. lru_bumps_dropped.
  virtual void AppendHashAndSlabStats(const StatSink& sink) const { AppendGeneralStats(sink); }
  virtual void AppendItemTotalsStats(const StatSink& /*sink*/) const {}
  virtual void AppendItemsStats(const StatSink& sink) const = 0;  // `stats items`
  virtual void AppendSlabsStats(const StatSink& sink) const = 0;  // `stats slabs`
  virtual void AppendSizesStats(const StatSink& sink) const = 0;  // `stats sizes`
  // `stats sizes_enable` / `stats sizes_disable`: starts (counting items stored from now on) or
  // stops the `stats sizes` histogram at run time and reports the new sizes_status.
  virtual void SetSizesTracking(bool /*on*/, const StatSink& /*sink*/) {}
  // `stats reset`: zero the counters that memcached resets.
  virtual void ResetStats() = 0;
};

}  // namespace memfleet::storage
