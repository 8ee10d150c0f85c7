// CacheEngine statistics: sums of the sessions' counters and of the per-class LRU counters,
// printed with memcached's names and in memcached's order.
#include <string>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

enum ClassCounterIndex {
  kGetHits,
  kCmdSet,
  kDeleteHits,
  kIncrHits,
  kDecrHits,
  kCasHits,
  kCasBadval,
  kTouchHits,
  kHitsToHot,  // .. kHitsToHot + 3
};

void Emit(const StatSink& sink, std::string_view name, uint64_t v) {
  sink(name, std::to_string(v));
}

}  // namespace

CacheEngine::SessionTotals CacheEngine::SumSessions() const {
  SessionTotals t;
  t.cls.assign(static_cast<size_t>(num_classes_ + 1) * kClassCounterCount, 0);
  for (const auto& s : sessions_) {
    for (int c = 1; c <= num_classes_; c++) {
      const ClassCounters& cc = s->cls(c);
      uint64_t* o = &t.cls[static_cast<size_t>(c) * kClassCounterCount];
      o[kGetHits] += cc.get_hits.Get();
      o[kCmdSet] += cc.cmd_set.Get();
      o[kDeleteHits] += cc.delete_hits.Get();
      o[kIncrHits] += cc.incr_hits.Get();
      o[kDecrHits] += cc.decr_hits.Get();
      o[kCasHits] += cc.cas_hits.Get();
      o[kCasBadval] += cc.cas_badval.Get();
      o[kTouchHits] += cc.touch_hits.Get();
      for (int i = 0; i < 4; i++) o[kHitsToHot + i] += cc.hits_to[i].Get();
    }
    t.get_misses += s->get_misses.Get();
    t.get_expired += s->get_expired.Get();
    t.get_flushed += s->get_flushed.Get();
    t.touch_misses += s->touch_misses.Get();
    t.delete_misses += s->delete_misses.Get();
    t.incr_misses += s->incr_misses.Get();
    t.decr_misses += s->decr_misses.Get();
    t.cas_misses += s->cas_misses.Get();
  }
  return t;
}

// REQUIRES: sessions_mu_ held.
CacheEngine::SessionTotals CacheEngine::SessionsSinceReset() const {
  SessionTotals t = SumSessions();
  if (baseline_ == nullptr) return t;
  const SessionTotals& b = *baseline_;
  for (size_t i = 0; i < t.cls.size(); i++) t.cls[i] -= b.cls[i];
  t.get_misses -= b.get_misses;
  t.get_expired -= b.get_expired;
  t.get_flushed -= b.get_flushed;
  t.touch_misses -= b.touch_misses;
  t.delete_misses -= b.delete_misses;
  t.incr_misses -= b.incr_misses;
  t.decr_misses -= b.decr_misses;
  t.cas_misses -= b.cas_misses;
  return t;
}

CacheEngine::ClassItemStats CacheEngine::ItemStatsFor(int cls) const {
  const ItemClassCounters& c = class_counters_[cls];
  auto g = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  ClassItemStats s;
  s.evicted = g(c.evicted);
  s.evicted_nonzero = g(c.evicted_nonzero);
  s.evicted_time = g(c.evicted_time);
  s.outofmemory = g(c.outofmemory);
  s.tailrepairs = g(c.tailrepairs);
  s.reclaimed = g(c.reclaimed);
  s.expired_unfetched = g(c.expired_unfetched);
  s.evicted_unfetched = g(c.evicted_unfetched);
  s.evicted_active = g(c.evicted_active);
  s.crawler_reclaimed = g(c.crawler_reclaimed);
  s.crawler_items_checked = g(c.crawler_items_checked);
  s.lrutail_reflocked = g(c.lrutail_reflocked);
  s.moves_to_cold = g(c.moves_to_cold);
  s.moves_to_warm = g(c.moves_to_warm);
  s.moves_within_lru = g(c.moves_within_lru);
  s.direct_reclaims = g(c.direct_reclaims);
  return s;
}

CacheEngine::ClassItemStats CacheEngine::ItemStatsTotal() const {
  ClassItemStats t;
  for (int c = 1; c <= num_classes_; c++) {
    ClassItemStats s = ItemStatsFor(c);
    t.evicted += s.evicted;
    t.evicted_nonzero += s.evicted_nonzero;
    t.outofmemory += s.outofmemory;
    t.tailrepairs += s.tailrepairs;
    t.reclaimed += s.reclaimed;
    t.expired_unfetched += s.expired_unfetched;
    t.evicted_unfetched += s.evicted_unfetched;
    t.evicted_active += s.evicted_active;
    t.crawler_reclaimed += s.crawler_reclaimed;
    t.crawler_items_checked += s.crawler_items_checked;
    t.lrutail_reflocked += s.lrutail_reflocked;
    t.moves_to_cold += s.moves_to_cold;
    t.moves_to_warm += s.moves_to_warm;
    t.moves_within_lru += s.moves_within_lru;
    t.direct_reclaims += s.direct_reclaims;
  }
  return t;
}

EngineGeneralStats CacheEngine::GeneralStats() const {
  EngineGeneralStats g;
  SessionTotals t;
  {
    std::lock_guard<std::mutex> l(sessions_mu_);
    t = SessionsSinceReset();
    g.total_items = total_items_.load(std::memory_order_relaxed) - total_items_base_;
  }
  for (int c = 1; c <= num_classes_; c++) {
    for (int s = 0; s < kNumSegments; s++) {
      const LruQueue& q = Queue(c, static_cast<Segment>(s));
      g.curr_items += q.count.load(std::memory_order_relaxed);
      g.bytes += q.bytes.load(std::memory_order_relaxed);
    }
    const uint64_t* o = &t.cls[static_cast<size_t>(c) * kClassCounterCount];
    g.get_hits += o[kGetHits];
    g.cmd_set += o[kCmdSet];
    g.delete_hits += o[kDeleteHits];
    g.incr_hits += o[kIncrHits];
    g.decr_hits += o[kDecrHits];
    g.cas_hits += o[kCasHits];
    g.cas_badval += o[kCasBadval];
    g.touch_hits += o[kTouchHits];
  }
  ClassItemStats it = ItemStatsTotal();
  g.evictions = it.evicted;
  g.reclaimed = it.reclaimed;
  g.expired_unfetched = it.expired_unfetched;
  g.evicted_unfetched = it.evicted_unfetched;
  g.evicted_active = it.evicted_active;
  g.crawler_reclaimed = it.crawler_reclaimed;
  g.get_expired = t.get_expired;
  g.get_flushed = t.get_flushed;
  g.get_misses = t.get_misses;
  g.touch_misses = t.touch_misses;
  g.delete_misses = t.delete_misses;
  g.incr_misses = t.incr_misses;
  g.decr_misses = t.decr_misses;
  g.cas_misses = t.cas_misses;
  g.total_malloced = slabs_.total_malloced();
  g.limit_maxbytes = slabs_.limit();
  return g;
}

void CacheEngine::AppendHashAndSlabStats(const StatSink& sink) const {
  Emit(sink, "hash_power_level", static_cast<uint64_t>(table_.hashpower()));
  Emit(sink, "hash_bytes", table_.bucket_count() * sizeof(ItemId));
  Emit(sink, "hash_is_expanding", table_.expanding() ? 1 : 0);
  if (settings_.slab_reassign) {
    auto g = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    Emit(sink, "slab_reassign_rescues", g(reassign_rescues_));
    Emit(sink, "slab_reassign_chunk_rescues", g(reassign_chunk_rescues_));
    Emit(sink, "slab_reassign_evictions_nomem", g(reassign_evictions_nomem_));
    Emit(sink, "slab_reassign_inline_reclaim", g(reassign_inline_reclaim_));
    Emit(sink, "slab_reassign_busy_items", g(reassign_busy_items_));
    Emit(sink, "slab_reassign_busy_deletes", g(reassign_busy_deletes_));
    Emit(sink, "slab_reassign_running", reassign_running_.load() ? 1 : 0);
    Emit(sink, "slabs_moved", g(slabs_moved_));
  }
  if (crawler_enabled_.load()) {  // lru_crawler enable|disable changes it, as memcached
    Emit(sink, "lru_crawler_running", crawler_running_.load(std::memory_order_relaxed) ? 1 : 0);
    Emit(sink, "lru_crawler_starts", crawler_starts_.load(std::memory_order_relaxed));
  }
  if (settings_.lru_maintainer_thread) {
    Emit(sink, "lru_maintainer_juggles", maintainer_juggles_.load(std::memory_order_relaxed));
  }
  Emit(sink, "malloc_fails", slabs_.malloc_fails());
}

void CacheEngine::AppendItemTotalsStats(const StatSink& sink) const {
  EngineGeneralStats g = GeneralStats();
  ClassItemStats it = ItemStatsTotal();
  Emit(sink, "bytes", g.bytes);
  Emit(sink, "curr_items", g.curr_items);
  Emit(sink, "total_items", g.total_items);
  Emit(sink, "slab_global_page_pool", slabs_.global_page_pool());
  Emit(sink, "expired_unfetched", it.expired_unfetched);
  Emit(sink, "evicted_unfetched", it.evicted_unfetched);
  if (settings_.lru_maintainer_thread) Emit(sink, "evicted_active", it.evicted_active);
  Emit(sink, "evictions", it.evicted);
  Emit(sink, "reclaimed", it.reclaimed);
  Emit(sink, "crawler_reclaimed", it.crawler_reclaimed);
  Emit(sink, "crawler_items_checked", it.crawler_items_checked);
  Emit(sink, "lrutail_reflocked", it.lrutail_reflocked);
  if (settings_.lru_maintainer_thread) {
    Emit(sink, "moves_to_cold", it.moves_to_cold);
    Emit(sink, "moves_to_warm", it.moves_to_warm);
    Emit(sink, "moves_within_lru", it.moves_within_lru);
    Emit(sink, "direct_reclaims", it.direct_reclaims);
    Emit(sink, "lru_bumps_dropped", lru_bumps_dropped_.load(std::memory_order_relaxed));
  }
}

void CacheEngine::AppendGeneralStats(const StatSink& sink) const {
  AppendHashAndSlabStats(sink);
  AppendItemTotalsStats(sink);
}

void CacheEngine::AppendItemsStats(const StatSink& sink) const {
  const RelTime now = clock_->Now();
  SessionTotals t;
  {
    std::lock_guard<std::mutex> l(sessions_mu_);
    t = SessionsSinceReset();
  }
  std::string name;
  for (int c = 1; c <= num_classes_; c++) {
    uint64_t n[kNumSegments];
    uint64_t total = 0, bytes = 0;
    for (int s = 0; s < kNumSegments; s++) {
      const LruQueue& q = Queue(c, static_cast<Segment>(s));
      n[s] = q.count.load(std::memory_order_relaxed);
      total += n[s];
      bytes += q.bytes.load(std::memory_order_relaxed);
    }
    if (total == 0) continue;
    const std::string prefix = "items:" + std::to_string(c) + ":";
    auto emit = [&](const char* field, uint64_t v) {
      name = prefix;
      name += field;
      Emit(sink, name, v);
    };
    ClassItemStats is = ItemStatsFor(c);
    emit("number", total);
    if (segmented_) {
      emit("number_hot", n[0]);
      emit("number_warm", n[1]);
      emit("number_cold", n[2]);
      if (temp_lru_.load(std::memory_order_relaxed)) emit("number_temp", n[3]);
      emit("age_hot", TailAge(c, Segment::kHot, now));
      emit("age_warm", TailAge(c, Segment::kWarm, now));
    }
    emit("age", TailAge(c, Segment::kCold, now));
    emit("mem_requested", bytes);
    emit("evicted", is.evicted);
    emit("evicted_nonzero", is.evicted_nonzero);
    emit("evicted_time", is.evicted_time);
    emit("outofmemory", is.outofmemory);
    emit("tailrepairs", is.tailrepairs);
    emit("reclaimed", is.reclaimed);
    emit("expired_unfetched", is.expired_unfetched);
    emit("evicted_unfetched", is.evicted_unfetched);
    if (settings_.lru_maintainer_thread) emit("evicted_active", is.evicted_active);
    emit("crawler_reclaimed", is.crawler_reclaimed);
    emit("crawler_items_checked", is.crawler_items_checked);
    emit("lrutail_reflocked", is.lrutail_reflocked);
    if (settings_.lru_maintainer_thread) {
      const uint64_t* o = &t.cls[static_cast<size_t>(c) * kClassCounterCount];
      emit("moves_to_cold", is.moves_to_cold);
      emit("moves_to_warm", is.moves_to_warm);
      emit("moves_within_lru", is.moves_within_lru);
      emit("direct_reclaims", is.direct_reclaims);
      emit("hits_to_hot", o[kHitsToHot]);
      emit("hits_to_warm", o[kHitsToHot + 1]);
      emit("hits_to_cold", o[kHitsToHot + 2]);
      emit("hits_to_temp", o[kHitsToHot + 3]);
    }
  }
}

void CacheEngine::AppendSlabsStats(const StatSink& sink) const {
  SessionTotals t;
  {
    std::lock_guard<std::mutex> l(sessions_mu_);
    t = SessionsSinceReset();
  }
  int active = 0;
  std::string name;
  for (int c = 1; c <= num_classes_; c++) {
    SlabAllocator::ClassStats s = slabs_.Stats(c);
    if (s.total_pages == 0) continue;
    active++;
    const std::string prefix = std::to_string(c) + ":";
    auto emit = [&](const char* field, uint64_t v) {
      name = prefix;
      name += field;
      Emit(sink, name, v);
    };
    const uint64_t* o = &t.cls[static_cast<size_t>(c) * kClassCounterCount];
    emit("chunk_size", s.chunk_size);
    emit("chunks_per_page", s.chunks_per_page);
    emit("total_pages", s.total_pages);
    emit("total_chunks", s.total_chunks);
    emit("used_chunks", s.used_chunks);
    emit("free_chunks", s.free_chunks);
    emit("free_chunks_end", s.free_chunks_end);
    emit("get_hits", o[kGetHits]);
    emit("cmd_set", o[kCmdSet]);
    emit("delete_hits", o[kDeleteHits]);
    emit("incr_hits", o[kIncrHits]);
    emit("decr_hits", o[kDecrHits]);
    emit("cas_hits", o[kCasHits]);
    emit("cas_badval", o[kCasBadval]);
    emit("touch_hits", o[kTouchHits]);
  }
  Emit(sink, "active_slabs", static_cast<uint64_t>(active));
  Emit(sink, "total_malloced", slabs_.total_malloced());
}

void CacheEngine::AppendSizesStats(const StatSink& sink) const {
  const std::atomic<uint64_t>* hist = sizes_.load(std::memory_order_acquire);
  if (hist == nullptr) {
    sink("sizes_status", "disabled");
    return;
  }
  for (size_t b = 0; b < sizes_buckets_; b++) {
    uint64_t n = hist[b].load(std::memory_order_relaxed);
    if (n != 0) Emit(sink, std::to_string(b * 32), n);
  }
}

void CacheEngine::SetSizesTracking(bool on, const StatSink& sink) {
  std::lock_guard<std::mutex> g(sizes_mu_);
  if (!on) {
    sizes_.store(nullptr, std::memory_order_release);
    sink("sizes_status", "disabled");
    return;
  }
  // memcached tells items stored after the enable by their cas, so it needs cas.
  if (!settings_.use_cas) {
    sink("sizes_status", "error");
    sink("sizes_error", "cas_support_disabled");
    return;
  }
  if (sizes_.load(std::memory_order_relaxed) == nullptr) {
    if (sizes_store_ == nullptr) {
      sizes_store_ = std::make_unique<std::atomic<uint64_t>[]>(sizes_buckets_);
    } else {
      for (size_t b = 0; b < sizes_buckets_; b++)
        sizes_store_[b].store(0, std::memory_order_relaxed);
    }
    sizes_cas_min_.store(cas_counter_.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
    sizes_.store(sizes_store_.get(), std::memory_order_release);
  }
  sink("sizes_status", "enabled");
}

void CacheEngine::ResetStats() {
  {
    std::lock_guard<std::mutex> l(sessions_mu_);
    baseline_ = std::make_unique<SessionTotals>(SumSessions());
    total_items_base_ = total_items_.load(std::memory_order_relaxed);
  }
  for (int c = 0; c <= num_classes_; c++) {
    ItemClassCounters& k = class_counters_[c];
    for (std::atomic<uint64_t>* a :
         {&k.evicted, &k.evicted_nonzero, &k.evicted_time, &k.outofmemory, &k.tailrepairs,
          &k.reclaimed, &k.expired_unfetched, &k.evicted_unfetched, &k.evicted_active,
          &k.crawler_reclaimed, &k.crawler_items_checked, &k.lrutail_reflocked, &k.moves_to_cold,
          &k.moves_to_warm, &k.moves_within_lru, &k.direct_reclaims}) {
      a->store(0, std::memory_order_relaxed);
    }
  }
  lru_bumps_dropped_.store(0, std::memory_order_relaxed);
  maintainer_juggles_.store(0, std::memory_order_relaxed);
  crawler_starts_.store(0, std::memory_order_relaxed);
}

}  // namespace memfleet::storage
