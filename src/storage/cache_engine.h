// CacheEngine: the memcached-style implementation of Engine (storage/engine.h).
//
// Owns the arena and slab allocator (slab/), the hash table and its stripe locks (hash/), the
// per-class segmented LRU queues (HOT, WARM, COLD, TEMP) and three background threads: the LRU
// maintainer (moves items between segments), the LRU crawler (reclaims expired and flushed
// items) and the hash expander. All public methods are thread-safe; the test hooks at the end
// (Run*Once, ExpandHashNow) must not run while Start()ed threads are running, except where
// noted. See storage/README.md for the design: lock order, LRU movement and expansion.
//
// Lock order: item stripe lock -> LRU queue lock -> slab class lock -> slab page lock. A thread
// blocks on at most one stripe lock and holds at most one queue lock at a time; code that already
// holds a queue lock (the LRU tail walk, which may run inside an allocation made under a stripe
// lock) only try_locks stripe locks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine.h"
#include "storage/hash/hash_table.h"
#include "storage/item.h"
#include "storage/session.h"
#include "storage/slab/arena.h"
#include "storage/slab/slab_allocator.h"

namespace memfleet::storage {

class CacheEngine final : public Engine {
 public:
  CacheEngine(const Settings& settings, Clock* clock, std::unique_ptr<Arena> arena);
  ~CacheEngine() override;

  void Start() override;
  void Stop() override;
  Session* NewSession() override;

  void Prefetch(const std::string_view* keys, size_t n) override;
  size_t PrefetchStart(const std::string_view* keys, size_t n, uint32_t* hv) override;
  void PrefetchFinish(const uint32_t* hv, size_t n) override;
  ItemRef Get(Session& s, std::string_view key) override;
  ItemRef GetAndTouch(Session& s, std::string_view key, RelTime exptime) override;
  bool Touch(Session& s, std::string_view key, RelTime exptime) override;
  AllocResult Allocate(Session& s, std::string_view key, uint32_t client_flags, RelTime exptime,
                       uint32_t value_length, ItemRef* out) override;
  StoreResult Store(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                    uint64_t* cas_out) override;
  DeleteResult Delete(Session& s, std::string_view key, uint64_t cas,
                      ItemRef* removed = nullptr) override;
  DeltaReply Delta(Session& s, const DeltaRequest& req) override;
  void Unlink(Session& s, std::string_view key) override;
  MetaGetReply MetaGet(Session& s, const MetaGetRequest& req) override;
  StoreResult MetaStore(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                        const MetaStoreOptions& opt, uint64_t* cas_out) override;
  DeleteResult MetaDelete(Session& s, const MetaDeleteRequest& req) override;
  MetaDeltaReply MetaDelta(Session& s, const MetaDeltaRequest& req) override;
  void FlushAll(RelTime when) override;
  bool SetMemoryLimit(uint64_t bytes) override;
  bool ItemSizeOk(size_t key_length, uint32_t value_length) const override;

  // Operator commands (cache_engine_mover.cc, cache_engine_crawler.cc, cache_engine_lru.cc).
  ReassignResult Reassign(int src, int dst) override;
  void SetAutomove(int level) override;
  void SetAutomoveRatio(double ratio) override;
  bool SetCrawlerEnabled(bool on) override;
  void SetCrawlerSleep(uint32_t micros) override;
  void SetCrawlerToCrawl(uint32_t items) override;
  void CurrentCrawlerSettings(Settings* s) const override;
  void CurrentRuntimeSettings(Settings* s) const override;
  CrawlResult Crawl(std::string_view classes) override;
  CrawlResult StartDump(std::string_view classes, DumpCursor* cursor) override;
  bool DumpStep(DumpCursor* cursor, uint64_t max_slices,
                const std::function<void(const ItemInfo&)>& fn) override;
  void CacheDump(int cls, uint32_t limit, const std::function<bool(const ItemInfo&)>& fn) override;
  int ClassCount() const override { return num_classes_; }
  void TuneLru(const LruTuning& t) override;
  void SetLruSegmented(bool on) override;
  void SetTempTtl(int ttl) override;
  void SetEvictionHook(EvictionHook hook) override;

  EngineGeneralStats GeneralStats() const override;
  void AppendGeneralStats(const StatSink& sink) const override;
  void AppendHashAndSlabStats(const StatSink& sink) const override;
  void AppendItemTotalsStats(const StatSink& sink) const override;
  void AppendItemsStats(const StatSink& sink) const override;
  void AppendSlabsStats(const StatSink& sink) const override;
  void AppendSizesStats(const StatSink& sink) const override;
  void SetSizesTracking(bool on, const StatSink& sink) override;
  void ResetStats() override;

  // --- Used by ItemRef / ValueWriter.
  const ItemLayout& layout() const { return layout_; }
  const Arena& arena() const { return *arena_; }
  // Drops one reference; frees the item's chunks when it was the last.
  void Release(ItemHeader* it);

  // --- Introspection and test hooks.
  HashTable& hash_table() { return table_; }
  const SlabAllocator& slabs() const { return slabs_; }
  // Slab class of the item's (head) chunk.
  int SlabClassOf(const ItemRef& ref) const;
  // The LRU segment the item is in (meaningful while it is linked).
  Segment SegmentOf(const ItemRef& ref) const;
  uint64_t QueueCount(int lru_class, Segment seg) const;
  uint64_t refcount(const ItemRef& ref) const;
  // One maintainer pass over every class; returns the number of items moved.
  int RunMaintainerOnce();
  // One full crawler pass; returns the number of items reclaimed. With tocrawl > 0 it checks at
  // most that many items of each class (as `lru_crawler crawl` does).
  uint64_t RunCrawlerOnce(uint32_t tocrawl = 0);
  // Doubles the hash table now (the whole migration, synchronously). Must not run concurrently
  // with the expander thread.
  void ExpandHashNow();
  // Empties one page of class src and gives it to dst (0: the global pool), synchronously;
  // false if src has no spare page. Must not run concurrently with the mover thread.
  bool MovePageNow(int src, int dst);
  // One automove decision (as the mover thread makes every second); true if a move started.
  bool RunAutomoveOnce();
  // Snapshot of the per-class LRU statistics (`stats items` counters).
  struct ClassItemStats {
    uint64_t evicted = 0, evicted_nonzero = 0, evicted_time = 0, outofmemory = 0, tailrepairs = 0,
             reclaimed = 0, expired_unfetched = 0, evicted_unfetched = 0, evicted_active = 0,
             crawler_reclaimed = 0, crawler_items_checked = 0, lrutail_reflocked = 0,
             moves_to_cold = 0, moves_to_warm = 0, moves_within_lru = 0, direct_reclaims = 0;
  };
  ClassItemStats ItemStatsFor(int cls) const;
  ClassItemStats ItemStatsTotal() const;

 private:
  struct alignas(64) LruQueue {
    mutable std::mutex mu;
    ItemId head = kNoItem;  // most recent
    ItemId tail = kNoItem;  // oldest
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> bytes{0};
  };
  struct ItemClassCounters {
    std::atomic<uint64_t> evicted{0}, evicted_nonzero{0}, evicted_time{0}, outofmemory{0},
        tailrepairs{0}, reclaimed{0}, expired_unfetched{0}, evicted_unfetched{0}, evicted_active{0},
        crawler_reclaimed{0}, crawler_items_checked{0}, lrutail_reflocked{0}, moves_to_cold{0},
        moves_to_warm{0}, moves_within_lru{0}, direct_reclaims{0};
  };
  // Sums of all sessions' counters.
  struct SessionTotals {
    std::vector<uint64_t> cls;  // kClassCounterCount per class
    uint64_t get_misses = 0, get_expired = 0, get_flushed = 0, touch_misses = 0, delete_misses = 0,
             incr_misses = 0, decr_misses = 0, cas_misses = 0;
  };
  static constexpr int kClassCounterCount = 12;

  // --- Items (cache_engine.cc).
  ItemHeader* AllocItem(std::string_view key, uint32_t client_flags, RelTime exptime,
                        uint32_t nbytes, int held_lock, AllocResult* result);
  ItemId AllocChunk(int cls, int held_lock);
  // Last resort for a value chunk when the class that fits and the largest cannot give one
  // (every chunk held by uploads in flight): a free, else evictable, chunk of another large
  // class (at least slab_chunk_max / 8); kNoItem if none.
  ItemId AllocFallbackChunk(int held_lock);
  void FreeItem(ItemHeader* it);
  bool MemcachedSizeOk(size_t nkey, uint32_t client_flags, uint64_t nbytes) const;
  bool IsExpired(const ItemHeader* it, RelTime now) const {
    RelTime e = layout_.Exptime(it);
    return e != 0 && e <= now;
  }
  bool IsFlushed(const ItemHeader* it, RelTime now) const;
  ItemRef TouchImpl(Session& s, std::string_view key, RelTime exptime);
  StoreResult StoreImpl(Session& s, StoreOp op, ItemRef& item, uint64_t cas, bool set_stale,
                        uint64_t* cas_out);
  // incr/decr of the live item it (id) under the stripe lock li; *result (if not null) gets the
  // item holding the new value on kOk.
  DeltaReply DeltaLocked(Session& s, const DeltaRequest& req, int li, uint32_t hv, ItemId id,
                         ItemHeader* it, ItemHeader** result);

  // --- Meta protocol (cache_engine_meta.cc); all REQUIRE the stripe lock li for hv.
  // Links new_it in place of old (a stale store); returns the linked item (new_it, or a copy
  // of it with room for old's exptime, whose allocation reference the caller drops), or null.
  ItemHeader* StoreStaleLocked(int li, uint32_t hv, ItemId old_id, ItemHeader* old,
                               ItemHeader* new_it);
  // Makes a linked copy of it with the given exptime (and, when bump_cas, a new cas), carrying
  // its meta bits; returns the copy (linked, no extra reference) or null when out of memory.
  ItemHeader* CopyLinkedLocked(int li, uint32_t hv, ItemId id, ItemHeader* it, RelTime exptime,
                               bool bump_cas);
  // Sets it's exptime, copying it when it has no exptime slot; returns the (possibly new) item.
  ItemHeader* SetExptimeLocked(int li, uint32_t hv, ItemId* id, ItemHeader* it, RelTime exptime);
  uint64_t NextCas() { return cas_counter_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // LRU class: CHUNKED items are queued with the largest class, whose memory they hold.
  int LruClassOf(const ItemHeader* it) const {
    return it->Has(item_flag::kChunked) ? slabs_.largest_class() : arena_->ClassOfPtr(it);
  }
  // Copies value bytes of src (all of them) to dst starting at value offset dst_off.
  void CopyValueInto(const ItemHeader* src, ItemHeader* dst, uint32_t dst_off);

  // --- Linking; all REQUIRE the stripe lock for hv.
  // REQUIRES: the item's stripe lock. A new pin on it (empty when it has too many pins).
  ItemRef PinLocked(ItemHeader* it);
  ItemHeader* FindLive(Session* s, uint32_t hv, std::string_view key, ItemId* id);
  void LinkLocked(uint32_t hv, ItemId id, ItemHeader* it, bool keep_cas);
  void UnlinkLocked(uint32_t hv, ItemId id, ItemHeader* it);
  void ReplaceLocked(uint32_t hv, ItemId old_id, ItemHeader* old_it, ItemId new_id,
                     ItemHeader* new_it, bool keep_cas);
  void Bump(Session& s, ItemId id, ItemHeader* it, RelTime now);
  void CountHit(Session& s, const ItemHeader* it);
  void SizesAdd(const ItemHeader* it, int64_t delta);

  // --- LRU queues (cache_engine_lru.cc).
  LruQueue& Queue(int cls, Segment seg) {
    return queues_[cls * kNumSegments + static_cast<int>(seg)];
  }
  const LruQueue& Queue(int cls, Segment seg) const {
    return queues_[cls * kNumSegments + static_cast<int>(seg)];
  }
  Segment InitialSegment(const ItemHeader* it, RelTime now) const;
  // REQUIRE q.mu held.
  void QueuePushLocked(LruQueue& q, ItemId id, ItemHeader* it, Segment seg);
  void QueueRemoveLocked(LruQueue& q, ItemId id, ItemHeader* it);
  void QueuePush(int cls, ItemId id, ItemHeader* it, Segment seg);
  void QueueRemove(int cls, ItemId id, ItemHeader* it);
  // memcached's lru_pull_tail: looks at up to 5 items at the tail of (cls, seg); reclaims
  // expired ones and moves/evicts per segment rules. Returns the number of items reclaimed,
  // moved or evicted.
  int PullTail(int cls, Segment seg, uint64_t total_bytes, bool evict, RelTime max_age,
               int held_lock);
  int Juggle(int cls);
  RelTime TailAge(int cls, Segment seg, RelTime now) const;
  // What one crawl may still check per class (`lru_crawler tocrawl`).
  struct CrawlBudget {
    uint32_t per_class = 0;         // 0 = no limit
    std::vector<uint32_t> checked;  // per LRU class, this crawl
    int classes_left = 0;           // classes asked for that have not reached the limit
  };
  // Crawls one hash bucket: reclaims the expired and flushed items of the classes asked for
  // (all when classes is null), within budget (none when null).
  void CrawlBucket(uint64_t pos, uint64_t* reclaimed, const std::vector<uint8_t>* classes,
                   CrawlBudget* budget);
  // A budget for one crawl of `classes` (null: all) when tocrawl > 0.
  std::optional<CrawlBudget> MakeCrawlBudget(const std::vector<uint8_t>* classes,
                                             uint32_t tocrawl) const;
  // Calls fn(id, it, hv) under its stripe lock for every item in slice p of `slices` (buckets p,
  // p + slices, ... of the current table; see DumpCursor), once each even while the table
  // expands. REQUIRES: slices is a power of two no larger than the table.
  void VisitSlice(uint64_t p, uint64_t slices,
                  const std::function<void(ItemId, ItemHeader*, uint32_t)>& fn);
  // Parses "all" / "1,2,3" into a per-class mask; false on a bad class id.
  bool ParseClassList(std::string_view arg, std::vector<uint8_t>* mask) const;
  void NotifyEviction(const ItemHeader* it, RelTime now);

  // --- Page mover (cache_engine_mover.cc).
  void MoverMain();
  // Works on the pending move until it is done or `stopping_`; true when the page moved.
  bool EvacuatePage(int src, int dst, uint32_t page);
  // False when the slot of the page being evacuated holds no linked item's head; else *hv is
  // its key's hash, whose bucket is being prefetched.
  bool SlotKeyHash(uint32_t page, uint32_t slot, uint32_t* hv) const;
  // Frees (relinks or evicts) the item whose head is in the slot (SlotKeyHash said so), if it
  // is still linked there.
  void EvacuateSlot(int cls, uint32_t page, uint32_t slot, uint32_t hv, bool force);
  // The keys of the CHUNKED items (all queued in the largest class) with a value chunk on the
  // page.
  void CollectChunkedOnPage(uint32_t page, std::vector<std::string>* keys);
  // Rescues (or evicts) the value chunks on the page of the CHUNKED item under key; false when
  // it is pinned and must be retried (when force, it is unlinked instead).
  bool RescueChunkedItem(const std::string& key, uint32_t page, bool force);
  // Moves the chunks of it (id, unpinned) that lie on the page into free chunks of their class,
  // or evicts it when a class has none. REQUIRES: the stripe lock for hv.
  void RescueChunksLocked(uint32_t hv, ItemId id, ItemHeader* it, uint32_t page);
  // Picks an urgent move: memory over the limit (cache_memlimit lowered), or the reserve of
  // free pages (SlabAllocator) below ReserveTarget() while memory is full; false if none.
  bool PickUrgentMove(int* src, int* dst);
  // One automove decision (memcached's one-second sample); false if no move.
  bool PickMove(int* src, int* dst);
  // slab_automove=2: a page for a class an allocation evicted from (page_wanted_), from the
  // class with the oldest COLD tail; false if none is wanted or can be given. A class no other
  // class can give a page to stays wanted (so its evictions do not wake the mover) for a
  // second, then its request is dropped.
  bool PickEvictionMove(int* src, int* dst, std::chrono::steady_clock::time_point now);
  // slab_automove=2 (memcached's aggressive mode): called after an allocation evicted from
  // cls; asks the mover for a page for cls unless a request is pending (one relaxed load).
  void WantPageAfterEviction(int cls);
  // The class with the oldest COLD tail among those with more than kMinPagesForSource pages,
  // other than `except` (0: none); -1 if none.
  int OldestTailSource(int except, RelTime now) const;
  // Pages the mover keeps in the reserve for stores that could not allocate even after
  // evicting.
  uint32_t ReserveTarget() const;

  // --- Background threads (cache_engine_threads.cc).
  void MaintainerMain();
  void CrawlerMain();
  void ExpanderMain();
  void MaybeWakeExpander();

  // --- Stats (cache_engine_stats.cc).
  SessionTotals SumSessions() const;
  SessionTotals SessionsSinceReset() const;

  const Settings settings_;
  Clock* const clock_;
  std::atomic<bool> segmented_;  // lru mode can change it at run time
  const ItemLayout layout_;
  std::unique_ptr<Arena> arena_;
  SlabAllocator slabs_;
  HashTable table_;
  const int num_classes_;
  std::unique_ptr<LruQueue[]> queues_;
  std::unique_ptr<ItemClassCounters[]> class_counters_;
  // `stats sizes` histogram (32-byte buckets): sizes_ points at sizes_store_ while tracking is
  // on. The store is allocated at the first enable and kept until destruction, so a thread that
  // still holds the pointer after a disable writes to valid memory. Only items whose cas is at
  // least sizes_cas_min_ (stored since the last enable) are counted, as memcached.
  std::mutex sizes_mu_;                                   // serializes enable/disable
  std::unique_ptr<std::atomic<uint64_t>[]> sizes_store_;  // guarded by sizes_mu_
  std::atomic<std::atomic<uint64_t>*> sizes_{nullptr};
  std::atomic<uint64_t> sizes_cas_min_{0};
  size_t sizes_buckets_ = 0;

  std::atomic<uint64_t> cas_counter_{0};
  std::atomic<RelTime> oldest_live_{0};
  std::atomic<uint64_t> oldest_cas_{0};

  std::atomic<uint64_t> total_items_{0};
  std::atomic<uint64_t> lru_bumps_dropped_{0};
  std::atomic<uint64_t> maintainer_juggles_{0};
  std::atomic<uint64_t> crawler_starts_{0};
  std::atomic<bool> crawler_running_{false};
  // Run-time LRU tuning (lru tune/mode/temp_ttl); start from settings_.
  std::atomic<int> hot_lru_pct_{20}, warm_lru_pct_{40};
  std::atomic<double> hot_max_factor_{0.2}, warm_max_factor_{2.0};
  std::atomic<bool> temp_lru_{false};
  std::atomic<int> temporary_ttl_{61};
  // Crawler control.
  std::atomic<bool> crawler_enabled_{true};
  std::atomic<uint32_t> crawler_sleep_{100};
  std::atomic<uint32_t> crawler_tocrawl_{0};
  std::mutex crawl_mask_mu_;
  std::vector<uint8_t> crawl_mask_;  // classes of the requested crawl; guarded by crawl_mask_mu_
  std::mutex hook_mu_;
  EvictionHook eviction_hook_;  // guarded by hook_mu_
  std::atomic<bool> has_eviction_hook_{false};
  // Page mover.
  std::atomic<int> automove_{1};
  std::atomic<double> automove_ratio_{0.8};
  std::mutex mover_mu_;
  int move_src_ = 0, move_dst_ = 0;  // pending request; guarded by mover_mu_
  bool move_pending_ = false;        // guarded by mover_mu_
  std::atomic<bool> reassign_running_{false};
  std::atomic<bool> shrinking_{false};  // cache_memlimit lowered below the pages in use
  std::atomic<uint64_t> reassign_rescues_{0}, reassign_chunk_rescues_{0},
      reassign_evictions_nomem_{0}, reassign_inline_reclaim_{0}, reassign_busy_items_{0},
      reassign_busy_deletes_{0}, slabs_moved_{0};
  // Automove's sliding window: per class, evictions seen in each of the last N seconds.
  std::vector<uint64_t> automove_last_evicted_;
  std::vector<uint64_t> automove_last_oom_;
  // Set (with a notify) when an allocation took a reserve page, so the mover refills it soon.
  std::atomic<bool> reserve_wanted_{false};
  // slab_automove=2: per class, 1 while an eviction's request for a page is pending; set by
  // allocations (WantPageAfterEviction), cleared by the mover. page_wanted_any_ wakes it.
  std::unique_ptr<std::atomic<uint8_t>[]> page_wanted_;
  std::atomic<bool> page_wanted_any_{false};
  // Mover thread only: per class, until when a request no class could serve is left pending.
  std::vector<std::chrono::steady_clock::time_point> page_wanted_muted_until_;
  int page_wanted_next_ = 1;  // mover thread only: where the next scan of page_wanted_ starts
  std::vector<uint8_t> automove_window_;  // (class * window + i): 1 = evicted that second
  std::vector<uint8_t> automove_free_window_;
  uint64_t automove_tick_ = 0;
  int reassign_pick_ = 1;          // round robin for src -1
  uint64_t total_items_base_ = 0;  // guarded by sessions_mu_

  mutable std::mutex sessions_mu_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::unique_ptr<SessionTotals> baseline_;  // guarded by sessions_mu_

  // Background threads.
  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stopping_ = false;  // guarded by thread_mu_
  bool running_ = false;   // guarded by thread_mu_
  std::atomic<bool> expand_wanted_{false};
  std::atomic<bool> crawl_wanted_{false};
  std::thread maintainer_;
  std::thread crawler_;
  std::thread expander_;
  std::thread mover_;
};

}  // namespace memfleet::storage
