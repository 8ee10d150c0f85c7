// CacheEngine LRU: queue operations, the tail walk (memcached's lru_pull_tail), the
// maintainer's juggle and the crawler's bucket visit. See README.md, "LRU movement".
#include <algorithm>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

constexpr int kTailSearch = 5;      // items looked at from the tail, as memcached
constexpr int kJuggleRounds = 500;  // per class per maintainer pass, as memcached

}  // namespace

Segment CacheEngine::InitialSegment(const ItemHeader* it, RelTime now) const {
  if (temp_lru_.load(std::memory_order_relaxed)) {
    RelTime e = layout_.Exptime(it);
    // memcached: exptime - current_time <= temporary_ttl, in unsigned arithmetic.
    if (e != 0 && static_cast<RelTime>(e - now) <=
                      static_cast<RelTime>(temporary_ttl_.load(std::memory_order_relaxed))) {
      return Segment::kTemp;
    }
  }
  return segmented_ ? Segment::kHot : Segment::kCold;
}

void CacheEngine::QueuePushLocked(LruQueue& q, ItemId id, ItemHeader* it, Segment seg) {
  it->lru_prev = kNoItem;
  it->lru_next = q.head;
  if (q.head != kNoItem) arena_->Item(q.head)->lru_prev = id;
  q.head = id;
  if (q.tail == kNoItem) q.tail = id;
  uint8_t f = it->flags.load(std::memory_order_relaxed);
  uint8_t nf;
  do {
    nf = static_cast<uint8_t>((f & ~item_flag::kSegmentMask) |
                              (static_cast<uint8_t>(seg) << item_flag::kSegmentShift));
  } while (!it->flags.compare_exchange_weak(f, nf, std::memory_order_acq_rel));
  q.count.fetch_add(1, std::memory_order_relaxed);
  q.bytes.fetch_add(layout_.TotalSize(it), std::memory_order_relaxed);
}

void CacheEngine::QueueRemoveLocked(LruQueue& q, ItemId id, ItemHeader* it) {
  (void)id;
  if (it->lru_prev != kNoItem) {
    arena_->Item(it->lru_prev)->lru_next = it->lru_next;
  } else {
    q.head = it->lru_next;
  }
  if (it->lru_next != kNoItem) {
    arena_->Item(it->lru_next)->lru_prev = it->lru_prev;
  } else {
    q.tail = it->lru_prev;
  }
  it->lru_prev = kNoItem;
  it->lru_next = kNoItem;
  q.count.fetch_sub(1, std::memory_order_relaxed);
  q.bytes.fetch_sub(layout_.TotalSize(it), std::memory_order_relaxed);
}

void CacheEngine::QueuePush(int cls, ItemId id, ItemHeader* it, Segment seg) {
  LruQueue& q = Queue(cls, seg);
  std::lock_guard<std::mutex> g(q.mu);
  QueuePushLocked(q, id, it, seg);
}

void CacheEngine::QueueRemove(int cls, ItemId id, ItemHeader* it) {
  LruQueue& q = Queue(cls, it->segment());
  std::lock_guard<std::mutex> g(q.mu);
  QueueRemoveLocked(q, id, it);
}

void CacheEngine::CacheDump(int cls, uint32_t limit,
                            const std::function<bool(const ItemInfo&)>& fn) {
  if (cls < 1 || cls > num_classes_) return;
  LruQueue& q = Queue(cls, Segment::kCold);
  std::lock_guard<std::mutex> g(q.mu);
  uint32_t shown = 0;
  // Items stay queued (and their memory allocated) while the queue lock is held; like
  // memcached, fields a stripe-locked writer may change (exptime) are read without that lock.
  for (ItemId id = q.head; id != kNoItem && (limit == 0 || shown < limit);) {
    const ItemHeader* it = arena_->Item(id);
    id = it->lru_next;
    if (it->refcount.load(std::memory_order_relaxed) & item_ref::kKeyBinary) continue;
    ItemInfo info;
    info.key = layout_.KeyView(it);
    info.exptime = layout_.Exptime(it);
    info.last_access = it->atime.load(std::memory_order_relaxed);
    info.slab_class = cls;
    info.size = layout_.TotalSize(it);
    info.value_length = it->nbytes;
    if (!fn(info)) return;
    shown++;
  }
}

RelTime CacheEngine::TailAge(int cls, Segment seg, RelTime now) const {
  const LruQueue& q = Queue(cls, seg);
  std::lock_guard<std::mutex> g(q.mu);
  if (q.tail == kNoItem) return 0;
  RelTime at = arena_->Item(q.tail)->atime.load(std::memory_order_relaxed);
  return now > at ? now - at : 0;
}

int CacheEngine::PullTail(int cls, Segment seg, uint64_t total_bytes, bool evict, RelTime max_age,
                          int held_lock) {
  LruQueue& q = Queue(cls, seg);
  ItemClassCounters& cc = class_counters_[cls];
  const RelTime now = clock_->Now();
  int removed = 0;
  int evicted = 0;
  // Items taken off this queue for another one: pushed (and their stripe locks released) after
  // this queue's lock is let go, so that two queue locks are never held together.
  struct Move {
    ItemHeader* it;
    ItemId id;
    Segment to;
    std::mutex* hold;
    int lock_index;
  };
  Move moves[kTailSearch];
  int nmoves = 0;
  ItemHeader* unlinked[kTailSearch];
  int nunlinked = 0;
  {
    std::lock_guard<std::mutex> ql(q.mu);
    ItemId id = q.tail;
    for (int tries = kTailSearch; tries > 0 && id != kNoItem; tries--) {
      ItemHeader* it = arena_->Item(id);
      const ItemId next = it->lru_prev;
      const uint32_t hv = table_.Hash(layout_.KeyView(it));
      const int li = static_cast<int>(table_.LockIndex(hv));
      bool held = li == held_lock;
      for (int k = 0; k < nmoves; k++) held = held || moves[k].lock_index == li;
      if (held) {
        id = next;
        continue;
      }
      std::mutex& m = table_.LockAt(li);
      if (!m.try_lock()) {
        id = next;
        continue;
      }
      if (RefCount(it, std::memory_order_acquire) != 1) {
        // Pinned by a reader: skip it, as memcached.
        cc.lrutail_reflocked.fetch_add(1, std::memory_order_relaxed);
        m.unlock();
        id = next;
        continue;
      }
      const uint8_t f = it->Flags();
      auto unlink_here = [&] {
        it->flags.fetch_and(static_cast<uint8_t>(~item_flag::kLinked), std::memory_order_acq_rel);
        arena_->SetHead(id, false);
        table_.Remove(hv, id);
        QueueRemoveLocked(q, id, it);
        SizesAdd(it, -1);
        m.unlock();
        unlinked[nunlinked++] = it;
        removed++;
      };
      if (IsExpired(it, now) || IsFlushed(it, now)) {
        cc.reclaimed.fetch_add(1, std::memory_order_relaxed);
        if (!(f & item_flag::kFetched))
          cc.expired_unfetched.fetch_add(1, std::memory_order_relaxed);
        unlink_here();
        id = next;
        continue;
      }
      bool keep_going = false;
      auto start_move = [&](Segment to) {
        QueueRemoveLocked(q, id, it);
        moves[nmoves++] = Move{it, id, to, &m, li};
        removed++;
      };
      switch (seg) {
        case Segment::kHot:
        case Segment::kWarm: {
          const int pct = seg == Segment::kHot ? hot_lru_pct_.load() : warm_lru_pct_.load();
          const uint64_t limit = total_bytes * static_cast<uint64_t>(pct) / 100;
          const RelTime at = it->atime.load(std::memory_order_relaxed);
          const RelTime age = now > at ? now - at : 0;
          if (f & item_flag::kActive) {
            it->flags.fetch_and(static_cast<uint8_t>(~item_flag::kActive));
            if (seg == Segment::kWarm) {
              cc.moves_within_lru.fetch_add(1, std::memory_order_relaxed);
              QueueRemoveLocked(q, id, it);
              QueuePushLocked(q, id, it, Segment::kWarm);
              m.unlock();
              removed++;
              keep_going = true;
            } else {
              cc.moves_to_warm.fetch_add(1, std::memory_order_relaxed);
              start_move(Segment::kWarm);
            }
          } else if (q.bytes.load(std::memory_order_relaxed) > limit || age > max_age) {
            cc.moves_to_cold.fetch_add(1, std::memory_order_relaxed);
            start_move(Segment::kCold);
          } else {
            m.unlock();
          }
          break;
        }
        case Segment::kCold:
          if ((f & item_flag::kActive) && segmented_) {
            // Hit twice since it came to COLD (Bump only marks it): it goes to WARM, whether
            // this pull evicts or not, and an eviction looks further up the tail.
            cc.moves_to_warm.fetch_add(1, std::memory_order_relaxed);
            it->flags.fetch_and(static_cast<uint8_t>(~item_flag::kActive));
            it->atime.store(now, std::memory_order_relaxed);
            start_move(Segment::kWarm);
            keep_going = evict;
          } else if (evict) {
            if (!settings_.evict_to_free) {
              m.unlock();
              break;
            }
            const RelTime at = it->atime.load(std::memory_order_relaxed);
            cc.evicted.fetch_add(1, std::memory_order_relaxed);
            cc.evicted_time.store(now > at ? now - at : 0, std::memory_order_relaxed);
            if (layout_.Exptime(it) != 0)
              cc.evicted_nonzero.fetch_add(1, std::memory_order_relaxed);
            if (!(f & item_flag::kFetched))
              cc.evicted_unfetched.fetch_add(1, std::memory_order_relaxed);
            if (f & item_flag::kActive) cc.evicted_active.fetch_add(1, std::memory_order_relaxed);
            if (has_eviction_hook_.load(std::memory_order_relaxed)) NotifyEviction(it, now);
            unlink_here();
            evicted++;
          } else {
            m.unlock();
          }
          break;
        case Segment::kTemp:
          m.unlock();
          break;
      }
      if (!keep_going) break;
      id = next;
    }
  }
  for (int i = 0; i < nmoves; i++) {
    QueuePush(cls, moves[i].id, moves[i].it, moves[i].to);
    moves[i].hold->unlock();
  }
  for (int i = 0; i < nunlinked; i++) Release(unlinked[i]);
  if (evicted > 0) WantPageAfterEviction(cls);
  return removed;
}

int CacheEngine::Juggle(int cls) {
  int did = 0;
  if (temp_lru_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kJuggleRounds; i++) {
      if (PullTail(cls, Segment::kTemp, 0, false, 0, -1) <= 0) break;
      did++;
    }
  }
  if (!segmented_) return did;
  const RelTime now = clock_->Now();
  const RelTime cold_age = TailAge(cls, Segment::kCold, now);
  const uint64_t total = Queue(cls, Segment::kHot).bytes.load(std::memory_order_relaxed) +
                         Queue(cls, Segment::kWarm).bytes.load(std::memory_order_relaxed) +
                         Queue(cls, Segment::kCold).bytes.load(std::memory_order_relaxed);
  const auto hot_age = static_cast<RelTime>(cold_age * hot_max_factor_.load());
  const auto warm_age = static_cast<RelTime>(cold_age * warm_max_factor_.load());
  for (int i = 0; i < kJuggleRounds; i++) {
    int more = 0;
    if (PullTail(cls, Segment::kHot, total, false, hot_age, -1) > 0 ||
        PullTail(cls, Segment::kWarm, total, false, warm_age, -1) > 0) {
      more++;
    }
    more += PullTail(cls, Segment::kCold, 0, false, 0, -1);
    if (more == 0) break;
    did++;
  }
  return did;
}

int CacheEngine::RunMaintainerOnce() {
  int did = 0;
  for (int cls = 1; cls <= num_classes_; cls++) {
    uint64_t n = 0;
    for (int s = 0; s < kNumSegments; s++) {
      n += Queue(cls, static_cast<Segment>(s)).count.load(std::memory_order_relaxed);
    }
    if (n > 0) did += Juggle(cls);
  }
  maintainer_juggles_.fetch_add(1, std::memory_order_relaxed);
  return did;
}

void CacheEngine::CrawlBucket(uint64_t pos, uint64_t* reclaimed,
                              const std::vector<uint8_t>* classes, CrawlBudget* budget) {
  const RelTime now = clock_->Now();
  table_.VisitBucket(pos, [&](ItemId id, ItemHeader* it, uint32_t hv) {
    const int lc = LruClassOf(it);
    if (classes != nullptr && !(*classes)[lc]) return;
    if (budget != nullptr) {
      uint32_t& n = budget->checked[static_cast<size_t>(lc)];
      if (n >= budget->per_class) return;
      if (++n == budget->per_class) budget->classes_left--;
    }
    ItemClassCounters& cc = class_counters_[lc];
    cc.crawler_items_checked.fetch_add(1, std::memory_order_relaxed);
    const bool flushed = IsFlushed(it, now);
    if (!flushed && !IsExpired(it, now)) return;
    cc.crawler_reclaimed.fetch_add(1, std::memory_order_relaxed);
    if (!flushed && !it->Has(item_flag::kFetched)) {
      cc.expired_unfetched.fetch_add(1, std::memory_order_relaxed);
    }
    UnlinkLocked(hv, id, it);
    (*reclaimed)++;
  });
}

uint64_t CacheEngine::RunCrawlerOnce(uint32_t tocrawl) {
  crawler_running_.store(true, std::memory_order_relaxed);
  crawler_starts_.fetch_add(1, std::memory_order_relaxed);
  uint64_t reclaimed = 0;
  std::optional<CrawlBudget> budget = MakeCrawlBudget(nullptr, tocrawl);
  CrawlBudget* b = budget ? &*budget : nullptr;
  const uint64_t n = table_.bucket_count();
  for (uint64_t pos = 0; pos < n && (b == nullptr || b->classes_left > 0); pos++) {
    CrawlBucket(pos, &reclaimed, nullptr, b);
  }
  crawler_running_.store(false, std::memory_order_relaxed);
  return reclaimed;
}

void CacheEngine::NotifyEviction(const ItemHeader* it, RelTime now) {
  (void)now;
  std::lock_guard<std::mutex> g(hook_mu_);
  if (!eviction_hook_) return;
  EvictionEvent ev;
  ev.key = layout_.KeyView(it);
  ev.exptime = layout_.Exptime(it);
  ev.last_access = it->atime.load(std::memory_order_relaxed);
  ev.slab_class = LruClassOf(it);
  ev.fetched = it->Has(item_flag::kFetched);
  eviction_hook_(ev);
}

void CacheEngine::SetEvictionHook(EvictionHook hook) {
  std::lock_guard<std::mutex> g(hook_mu_);
  eviction_hook_ = std::move(hook);
  has_eviction_hook_.store(static_cast<bool>(eviction_hook_), std::memory_order_relaxed);
}

void CacheEngine::TuneLru(const LruTuning& t) {
  hot_lru_pct_ = t.hot_lru_pct;
  warm_lru_pct_ = t.warm_lru_pct;
  hot_max_factor_ = t.hot_max_factor;
  warm_max_factor_ = t.warm_max_factor;
}

void CacheEngine::SetLruSegmented(bool on) {
  // Without the maintainer nothing would move items out of HOT: stay flat then (memcached
  // refuses `lru mode` without it; the server checks).
  segmented_ = on && settings_.lru_maintainer_thread;
}

void CacheEngine::SetTempTtl(int ttl) {
  if (ttl < 0) {
    temp_lru_ = false;
    return;
  }
  temporary_ttl_ = ttl;
  temp_lru_ = true;
}

void CacheEngine::CurrentRuntimeSettings(Settings* s) const {
  CurrentCrawlerSettings(s);
  s->slab_automove = automove_.load();
  s->slab_automove_ratio = automove_ratio_.load();
  s->hot_lru_pct = hot_lru_pct_.load();
  s->warm_lru_pct = warm_lru_pct_.load();
  s->hot_max_factor = hot_max_factor_.load();
  s->warm_max_factor = warm_max_factor_.load();
  // Without the maintainer `lru mode` is refused and segmented_ is flat from the start, while
  // memcached still shows the lru_segmented it was started with.
  if (settings_.lru_maintainer_thread) s->lru_segmented = segmented_.load();
  s->temp_lru = temp_lru_.load();
  s->temporary_ttl = temporary_ttl_.load();
  s->max_bytes = slabs_.limit();  // cache_memlimit
}

uint64_t CacheEngine::QueueCount(int lru_class, Segment seg) const {
  return Queue(lru_class, seg).count.load(std::memory_order_relaxed);
}

}  // namespace memfleet::storage
