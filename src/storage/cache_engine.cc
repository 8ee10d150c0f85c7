// CacheEngine construction, item allocation and freeing, and linking into the hash table and
// the LRU. The commands are in cache_engine_ops.cc, the LRU in cache_engine_lru.cc.
#include "storage/cache_engine.h"

#include <algorithm>
#include <cstring>

#include "storage/slab/slab_classes.h"

namespace memfleet::storage {
namespace {

constexpr int kDefaultHashPower = 16;
constexpr int kLockPower = 12;
constexpr uint32_t kMinArenaPages = 32 * 1024;  // 32 GiB of address space, never resident
// memcached's fixed per-item overhead, used only to accept/reject sizes exactly as it does.
constexpr uint64_t kMemcachedItemHeader = 48;
constexpr int kAllocAttempts = 10;
// Fallback chunks (AllocFallbackChunk) are at least slab_chunk_max / this, so a value needs
// few of them; items at least that large may be stored CHUNKED when their class is stuck.
constexpr uint32_t kMinFallbackChunkFraction = 8;

}  // namespace

std::unique_ptr<Engine> Engine::Create(const Settings& settings, Clock* clock) {
  uint64_t limit_pages = settings.max_bytes / Arena::kPageSize + 1;
  uint64_t want = std::max<uint64_t>(kMinArenaPages, limit_pages + 256);
  want = std::min<uint64_t>(want, Arena::kMaxPages);
  auto arena = Arena::Create(static_cast<uint32_t>(want));
  if (arena == nullptr) return nullptr;
  return std::make_unique<CacheEngine>(settings, clock, std::move(arena));
}

CacheEngine::CacheEngine(const Settings& settings, Clock* clock, std::unique_ptr<Arena> arena)
    : settings_(settings),
      clock_(clock),
      segmented_(settings.lru_segmented && settings.lru_maintainer_thread),
      layout_(settings.use_cas),
      arena_(std::move(arena)),
      slabs_(arena_.get(), SlabClassSizesFor(settings, layout_.base()), settings.max_bytes),
      table_(arena_.get(), &layout_,
             HashFunctionByName(settings.hash_algorithm) != nullptr
                 ? HashFunctionByName(settings.hash_algorithm)
                 : &Murmur3Hash,
             settings.hashpower_init > 0 ? settings.hashpower_init : kDefaultHashPower, kLockPower),
      num_classes_(slabs_.largest_class()),
      queues_(std::make_unique<LruQueue[]>((num_classes_ + 1) * kNumSegments)),
      class_counters_(std::make_unique<ItemClassCounters[]>(num_classes_ + 1)),
      page_wanted_(std::make_unique<std::atomic<uint8_t>[]>(num_classes_ + 1)),
      page_wanted_muted_until_(num_classes_ + 1) {
  hot_lru_pct_ = settings_.hot_lru_pct;
  warm_lru_pct_ = settings_.warm_lru_pct;
  hot_max_factor_ = settings_.hot_max_factor;
  warm_max_factor_ = settings_.warm_max_factor;
  temp_lru_ = settings_.temp_lru;
  temporary_ttl_ = settings_.temporary_ttl;
  crawler_enabled_ = settings_.lru_crawler;
  crawler_sleep_ = static_cast<uint32_t>(std::max(settings_.lru_crawler_sleep, 0));
  crawler_tocrawl_ = settings_.lru_crawler_tocrawl;
  automove_ = settings_.slab_automove;
  automove_ratio_ = settings_.slab_automove_ratio;
  sizes_buckets_ = static_cast<size_t>(std::max(settings_.item_size_max, 1024)) / 32 + 64;
  if (settings_.track_sizes) {
    // From the start every item counts (memcached: cas_min 0).
    sizes_store_ = std::make_unique<std::atomic<uint64_t>[]>(sizes_buckets_);
    sizes_.store(sizes_store_.get(), std::memory_order_release);
  }
}

CacheEngine::~CacheEngine() { Stop(); }

Session* CacheEngine::NewSession() {
  std::lock_guard<std::mutex> g(sessions_mu_);
  sessions_.push_back(std::make_unique<Session>(num_classes_));
  return sessions_.back().get();
}

bool CacheEngine::MemcachedSizeOk(size_t nkey, uint32_t client_flags, uint64_t nbytes) const {
  uint64_t ntotal = kMemcachedItemHeader + (nkey + 1) + (client_flags != 0 ? 4 : 0) + nbytes + 2;
  if (settings_.use_cas) ntotal += 8;
  return ntotal <= static_cast<uint64_t>(settings_.item_size_max);
}

bool CacheEngine::ItemSizeOk(size_t key_length, uint32_t value_length) const {
  return MemcachedSizeOk(key_length, 0, value_length);
}

bool CacheEngine::IsFlushed(const ItemHeader* it, RelTime now) const {
  RelTime ol = oldest_live_.load(std::memory_order_acquire);
  if (ol == 0 || ol > now) return false;
  if (it->atime.load(std::memory_order_relaxed) <= ol) return true;
  uint64_t oc = oldest_cas_.load(std::memory_order_acquire);
  if (oc != 0) {
    uint64_t cas = layout_.Cas(it);
    if (cas != 0 && cas < oc) return true;
  }
  return false;
}

ItemId CacheEngine::AllocChunk(int cls, int held_lock) {
  ItemId id = kNoItem;
  int i = 0;
  for (; i < kAllocAttempts; i++) {
    // memcached's do_item_alloc without the segmented LRU (no maintainer to do it): reclaim
    // expired or flushed items at the COLD tail first, so they count as reclaimed.
    if (!segmented_) PullTail(cls, Segment::kCold, 0, false, 0, held_lock);
    id = slabs_.Alloc(cls);
    if (id != kNoItem) break;
    // Same steps as memcached's do_item_alloc_pull: evict from COLD, else push HOT down.
    if (PullTail(cls, Segment::kCold, 0, true, 0, held_lock) <= 0) {
      if (temp_lru_ && PullTail(cls, Segment::kTemp, 0, false, 0, held_lock) > 0) continue;
      if (segmented_) {
        PullTail(cls, Segment::kHot, 0, false, 0, held_lock);
      } else {
        break;
      }
    }
  }
  if (i > 0) class_counters_[cls].direct_reclaims.fetch_add(i, std::memory_order_relaxed);
  if (id == kNoItem && settings_.evict_to_free) {
    // Nothing evictable (every chunk of the class is held by an upload in flight or pinned by
    // a reader): take a page of the mover's reserve rather than fail the store. The mover
    // refills the reserve from a class with old items (cache_engine_mover.cc).
    id = slabs_.AllocFromReserve(cls);
    if (id != kNoItem) {
      reserve_wanted_.store(true, std::memory_order_relaxed);
      thread_cv_.notify_all();
    }
  }
  if (id == kNoItem) class_counters_[cls].outofmemory.fetch_add(1, std::memory_order_relaxed);
  return id;
}

ItemId CacheEngine::AllocFallbackChunk(int held_lock) {
  // Free chunks first (no eviction), then one eviction per class, largest chunks first.
  const int lc = slabs_.largest_class();
  const uint32_t min_size = slabs_.ChunkSize(lc) / kMinFallbackChunkFraction;
  for (int pass = 0; pass < 2; pass++) {
    for (int c = lc - 1; c >= 1 && slabs_.ChunkSize(c) >= min_size; c--) {
      ItemId id = slabs_.Alloc(c);
      if (id == kNoItem && pass == 1 && PullTail(c, Segment::kCold, 0, true, 0, held_lock) > 0) {
        id = slabs_.Alloc(c);
      }
      if (id != kNoItem) return id;
    }
  }
  return kNoItem;
}

ItemHeader* CacheEngine::AllocItem(std::string_view key, uint32_t client_flags, RelTime exptime,
                                   uint32_t nbytes, int held_lock, AllocResult* result) {
  if (key.empty() || key.size() > kKeyMaxLength ||
      !MemcachedSizeOk(key.size(), client_flags, nbytes)) {
    *result = AllocResult::kTooLarge;
    return nullptr;
  }
  const bool has_exp = exptime != 0;
  const bool has_cf = client_flags != 0;
  const uint32_t chunk_max = slabs_.ChunkSize(slabs_.largest_class());
  uint32_t head =
      layout_.HeadSize(static_cast<uint32_t>(key.size()), nbytes, has_exp, has_cf, false);
  bool chunked = head > chunk_max;
  if (chunked) {
    head = layout_.HeadSize(static_cast<uint32_t>(key.size()), nbytes, has_exp, has_cf, true);
  }
  int cls = slabs_.ClassFor(head);
  if (cls == 0) {
    *result = AllocResult::kTooLarge;
    return nullptr;
  }
  ItemId id = AllocChunk(cls, held_lock);
  if (id == kNoItem && !chunked && head >= chunk_max / kMinFallbackChunkFraction) {
    // A large item whose class has nothing to give (its few chunks all held by uploads in
    // flight): store it CHUNKED instead, from whatever classes can give chunks (below).
    chunked = true;
    head = layout_.HeadSize(static_cast<uint32_t>(key.size()), nbytes, has_exp, has_cf, true);
    cls = slabs_.ClassFor(head);
    id = AllocChunk(cls, held_lock);
  }
  if (id == kNoItem) {
    *result = AllocResult::kNoMemory;
    return nullptr;
  }
  ItemHeader* it = arena_->Item(id);
  layout_.Init(it, key, client_flags, exptime, nbytes, chunked, clock_->Now());
  if (chunked) {
    layout_.SetFirstChunk(it, kNoItem);
    ItemId* link = nullptr;
    char* prev_chunk = nullptr;
    uint32_t remaining = nbytes;
    while (remaining > 0) {
      uint32_t want = std::min<uint32_t>(remaining + sizeof(ChunkHeader), chunk_max);
      int ccls = slabs_.ClassFor(want);
      ItemId cid = AllocChunk(ccls, held_lock);
      if (cid == kNoItem && ccls != slabs_.largest_class()) {
        // As memcached: a tail chunk that its own class cannot give comes from the largest
        // class (whose LRU holds the CHUNKED items, so evicting there frees chunks).
        ccls = slabs_.largest_class();
        cid = AllocChunk(ccls, held_lock);
      }
      if (cid == kNoItem) {
        cid = AllocFallbackChunk(held_lock);
        if (cid != kNoItem) ccls = arena_->ClassOf(cid);
      }
      if (cid == kNoItem) {
        FreeItem(it);  // frees the chunks linked so far
        *result = AllocResult::kNoMemory;
        return nullptr;
      }
      char* c = arena_->Ptr(cid);
      ChunkHeader ch{kNoItem,
                     std::min<uint32_t>(remaining, slabs_.ChunkSize(ccls) -
                                                       static_cast<uint32_t>(sizeof(ChunkHeader)))};
      std::memcpy(c, &ch, sizeof(ch));
      if (prev_chunk == nullptr) {
        layout_.SetFirstChunk(it, cid);
      } else {
        std::memcpy(link, &cid, sizeof(cid));
      }
      prev_chunk = c;
      link = reinterpret_cast<ItemId*>(c);  // ChunkHeader::next is the first field
      remaining -= ch.used;
    }
  }
  *result = AllocResult::kOk;
  return it;
}

void CacheEngine::FreeItem(ItemHeader* it) {
  if (it->Has(item_flag::kChunked)) {
    ItemId cid = layout_.FirstChunk(it);
    while (cid != kNoItem) {
      ChunkHeader ch;
      std::memcpy(&ch, arena_->Ptr(cid), sizeof(ch));
      slabs_.Free(cid);
      cid = ch.next;
    }
  }
  slabs_.Free(arena_->IdOf(it));
}

void CacheEngine::Release(ItemHeader* it) {
  if ((it->refcount.fetch_sub(1, std::memory_order_acq_rel) & item_ref::kCountMask) == 1) {
    FreeItem(it);
  }
}

void CacheEngine::CopyValueInto(const ItemHeader* src, ItemHeader* dst, uint32_t dst_off) {
  // Walk destination pieces and source pieces in step.
  struct Cursor {
    const CacheEngine* e;
    const ItemHeader* it;
    ItemId chunk = kNoItem;
    char* pos = nullptr;
    uint32_t room = 0;
    void Init(uint32_t offset) {
      if (!it->Has(item_flag::kChunked)) {
        pos = const_cast<char*>(e->layout_.Value(it)) + offset;
        room = it->nbytes - offset;
        return;
      }
      chunk = e->layout_.FirstChunk(it);
      Load();
      while (offset > 0 && offset >= room) {
        offset -= room;
        Next();
      }
      pos += offset;
      room -= offset;
    }
    void Load() {
      char* c = e->arena_->Ptr(chunk);
      ChunkHeader ch;
      std::memcpy(&ch, c, sizeof(ch));
      pos = c + sizeof(ChunkHeader);
      room = ch.used;
    }
    void Next() {
      ChunkHeader ch;
      std::memcpy(&ch, e->arena_->Ptr(chunk), sizeof(ch));
      chunk = ch.next;
      if (chunk != kNoItem) {
        Load();
      } else {
        pos = nullptr;
        room = 0;
      }
    }
  };
  Cursor s{this, src};
  Cursor d{this, dst};
  s.Init(0);
  d.Init(dst_off);
  uint32_t left = src->nbytes;
  while (left > 0) {
    if (s.room == 0) s.Next();
    if (d.room == 0) d.Next();
    uint32_t n = std::min({left, s.room, d.room});
    std::memcpy(d.pos, s.pos, n);
    s.pos += n;
    s.room -= n;
    d.pos += n;
    d.room -= n;
    left -= n;
  }
}

void CacheEngine::SizesAdd(const ItemHeader* it, int64_t delta) {
  std::atomic<uint64_t>* hist = sizes_.load(std::memory_order_acquire);
  if (hist == nullptr) return;
  if (layout_.Cas(it) < sizes_cas_min_.load(std::memory_order_relaxed)) return;
  size_t bucket = (layout_.TotalSize(it) + 31) / 32;
  if (bucket >= sizes_buckets_) bucket = sizes_buckets_ - 1;
  std::atomic<uint64_t>& n = hist[bucket];
  if (delta > 0) {
    n.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
    return;
  }
  // An item counted before tracking was (re)enabled, or whose cas changed in place while
  // linked, may be removed without having been counted: never wrap below zero.
  uint64_t cur = n.load(std::memory_order_relaxed);
  const uint64_t dec = static_cast<uint64_t>(-delta);
  while (cur >= dec && !n.compare_exchange_weak(cur, cur - dec, std::memory_order_relaxed)) {
  }
}

ItemHeader* CacheEngine::FindLive(Session* s, uint32_t hv, std::string_view key, ItemId* id) {
  ItemHeader* it = table_.Find(hv, key, id);
  if (it == nullptr) return nullptr;
  RelTime now = clock_->Now();
  if (IsFlushed(it, now)) {
    UnlinkLocked(hv, *id, it);
    if (s != nullptr) s->get_flushed.Add();
    return nullptr;
  }
  if (IsExpired(it, now)) {
    UnlinkLocked(hv, *id, it);
    if (s != nullptr) s->get_expired.Add();
    return nullptr;
  }
  return it;
}

void CacheEngine::LinkLocked(uint32_t hv, ItemId id, ItemHeader* it, bool keep_cas) {
  RelTime now = clock_->Now();
  if (!keep_cas) layout_.SetCas(it, settings_.use_cas ? NextCas() : 0);
  it->atime.store(now, std::memory_order_relaxed);
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  it->flags.fetch_or(item_flag::kLinked, std::memory_order_acq_rel);
  arena_->SetHead(id, true);
  table_.Insert(hv, id);
  QueuePush(LruClassOf(it), id, it, InitialSegment(it, now));
  total_items_.fetch_add(1, std::memory_order_relaxed);
  SizesAdd(it, 1);
  MaybeWakeExpander();
}

void CacheEngine::UnlinkLocked(uint32_t hv, ItemId id, ItemHeader* it) {
  it->flags.fetch_and(static_cast<uint8_t>(~item_flag::kLinked), std::memory_order_acq_rel);
  arena_->SetHead(id, false);
  table_.Remove(hv, id);
  QueueRemove(LruClassOf(it), id, it);
  SizesAdd(it, -1);
  Release(it);
}

void CacheEngine::ReplaceLocked(uint32_t hv, ItemId old_id, ItemHeader* old_it, ItemId new_id,
                                ItemHeader* new_it, bool keep_cas) {
  UnlinkLocked(hv, old_id, old_it);
  LinkLocked(hv, new_id, new_it, keep_cas);
}

}  // namespace memfleet::storage

namespace memfleet::storage {

int CacheEngine::SlabClassOf(const ItemRef& ref) const { return arena_->ClassOfPtr(ref.raw()); }

Segment CacheEngine::SegmentOf(const ItemRef& ref) const {
  return static_cast<const ItemHeader*>(ref.raw())->segment();
}

uint64_t CacheEngine::refcount(const ItemRef& ref) const {
  return RefCount(static_cast<const ItemHeader*>(ref.raw()));
}

}  // namespace memfleet::storage
