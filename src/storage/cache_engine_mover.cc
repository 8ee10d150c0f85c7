// CacheEngine slab page mover: `slabs reassign`, `slabs automove` and the memory-limit shrink.
//
// One page moves at a time, on the mover thread. The page's class stops handing out its chunks
// (SlabAllocator::BeginEvacuation); then every chunk still in use is dealt with:
//
//  - a linked item head (recognised by its LINKED flag and confirmed by finding exactly that id
//    in the hash table under the key's stripe lock) that nobody pins is either relinked into a
//    free chunk of the same class elsewhere (a rescue: the hash chain and the LRU links are
//    switched to the new id under the stripe lock, then the queue lock), or, when the class has
//    no free chunk or the item is expired, unlinked (an eviction / reclaim). The head of a
//    CHUNKED item is rescued the same way: its value chunks do not point back at it;
//  - a pinned linked item is retried; after kBusyRounds rounds it is unlinked, and its chunk
//    comes back when the last reader lets go (memcached's slab_reassign_busy_deletes);
//  - value chunks of CHUNKED items (whose heads are elsewhere) are found by walking the largest
//    class's LRU, where every CHUNKED head is queued. Under the item's stripe lock, with nobody
//    pinning it, each chunk on the page is copied into a free chunk of the same class and the
//    link to it (the head's first-chunk id or the previous chunk's next) is switched to the
//    copy (slab_reassign_chunk_rescues); with no free chunk the item is evicted
//    (slab_reassign_evictions_nomem). Readers only reach chunks through a pin, and pins are only
//    taken under the stripe lock, so nobody can be reading a chunk while it moves;
//  - anything else (an allocation in flight, an unlinked item still being read) frees itself.
//
// When the page is empty it goes to the destination class as a spare page, or back to the
// global pool with its memory returned to the kernel. Workers only ever wait for one stripe
// lock held for one item's copy (for a CHUNKED item: the copy of its chunks on the page, one
// page at most).
//
// What moves, in the mover's order: a `slabs reassign` request; urgent moves (memory over a
// lowered limit, the reserve to refill: PickUrgentMove); with slab_automove=2, a page for each
// class that evicted since (PickEvictionMove, asked for by WantPageAfterEviction); and once a
// second the automove sample (PickMove). See README.md, "Slab page mover".
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

constexpr int kBusyRounds = 50;  // rounds (1 ms apart) before a pinned item is unlinked
constexpr int kGiveUpRounds = 5000;
constexpr uint32_t kEvacBatch = 16;  // slots whose hash buckets are prefetched together
constexpr auto kMoverRoundSleep = std::chrono::milliseconds(1);
constexpr auto kMoverIdleSleep = std::chrono::milliseconds(1000);
constexpr auto kMoverPollSleep = std::chrono::milliseconds(100);
// memcached's MIN_PAGES_FOR_SOURCE: a class gives pages away only while it has more than this.
constexpr uint64_t kMinPagesForSource = 2;
// The reserve (SlabAllocator): kReservePages with a memory limit of at least
// kReserveMinLimitPages pages, one page down to a quarter of that, none below.
constexpr uint32_t kReservePages = 2;
constexpr uint64_t kReserveMinLimitPages = 16;

}  // namespace

ReassignResult CacheEngine::Reassign(int src, int dst) {
  std::lock_guard<std::mutex> g(mover_mu_);
  if (move_pending_ || reassign_running_.load()) return ReassignResult::kRunning;
  if (src == dst) return ReassignResult::kSame;
  if (src == -1) {
    // memcached's slabs_reassign_pick_any: the next class (round robin) with a spare page.
    for (int i = 0; i < num_classes_; i++) {
      int c = (reassign_pick_ + i - 1) % num_classes_ + 1;
      if (c != dst && slabs_.Pages(c) > 1) {
        src = c;
        reassign_pick_ = c % num_classes_ + 1;
        break;
      }
    }
  }
  if (src < 0 || src > num_classes_ || dst < 0 || dst > num_classes_) {
    return ReassignResult::kBadClass;
  }
  if (src == 0) {
    return slabs_.TakePoolPage(dst, 2) ? ReassignResult::kOk : ReassignResult::kNoSpare;
  }
  if (slabs_.Pages(src) < 2) return ReassignResult::kNoSpare;
  move_src_ = src;
  move_dst_ = dst;
  move_pending_ = true;
  reassign_running_ = true;
  thread_cv_.notify_all();
  return ReassignResult::kOk;
}

void CacheEngine::SetAutomove(int level) { automove_ = level; }
void CacheEngine::SetAutomoveRatio(double ratio) { automove_ratio_ = ratio; }

bool CacheEngine::SlotKeyHash(uint32_t page, uint32_t slot, uint32_t* hv) const {
  const ItemId id = Arena::MakeId(page, slot);
  // Only the head of a linked item is read: a value chunk or an item not yet linked may be
  // being written by an upload. The head bit is set (release) after the key is written and the
  // key does not change while linked; a chunk of this page freed since will not be handed out
  // again (BeginEvacuation), so what the bit vouched for stays readable. A free slot has no
  // head bit (it is cleared when the item is unlinked, before its chunk is freed). The hash
  // table lookup under the stripe lock (EvacuateSlot) is what proves the item is still linked.
  if (!arena_->IsHead(id)) return false;
  const ItemHeader* it = arena_->Item(id);
  const uint32_t key_end =
      static_cast<uint32_t>(layout_.Key(it) - reinterpret_cast<const char*>(it)) + it->nkey;
  if (it->nkey == 0 || key_end > arena_->PageChunkSize(page)) return false;
  *hv = table_.Hash(layout_.KeyView(it));
  table_.PrefetchBucket(*hv);
  return true;
}

void CacheEngine::EvacuateSlot(int cls, uint32_t page, uint32_t slot, uint32_t hv, bool force) {
  const ItemId id = Arena::MakeId(page, slot);
  ItemHeader* it = arena_->Item(id);
  const std::string_view key = layout_.KeyView(it);
  std::unique_lock<std::mutex> l(table_.LockFor(hv));
  ItemId found = kNoItem;
  if (table_.Find(hv, key, &found) != it || found != id) return;
  const RelTime now = clock_->Now();
  const uint16_t rc = RefCount(it, std::memory_order_acquire);
  if (IsExpired(it, now) || IsFlushed(it, now)) {
    reassign_inline_reclaim_.fetch_add(1, std::memory_order_relaxed);
    UnlinkLocked(hv, id, it);
    return;
  }
  if (rc != 1) {
    reassign_busy_items_.fetch_add(1, std::memory_order_relaxed);
    if (force) {
      reassign_busy_deletes_.fetch_add(1, std::memory_order_relaxed);
      UnlinkLocked(hv, id, it);
    }
    return;
  }
  const ItemId nid = slabs_.AllocNoGrow(cls);
  if (nid == kNoItem) {
    reassign_evictions_nomem_.fetch_add(1, std::memory_order_relaxed);
    ItemClassCounters& cc = class_counters_[LruClassOf(it)];
    cc.evicted.fetch_add(1, std::memory_order_relaxed);
    if (has_eviction_hook_.load(std::memory_order_relaxed)) NotifyEviction(it, now);
    UnlinkLocked(hv, id, it);
    return;
  }
  // Rescue: copy the head (for a CHUNKED item: header, key and first-chunk id), then switch the
  // LRU links and the hash chain to the copy. The copy is made under the queue lock: the item's
  // LRU links change whenever a neighbour is unlinked or moved, under that lock and not under
  // this item's stripe lock. (The item cannot change queue: that takes its stripe lock.)
  ItemHeader* nit = arena_->Item(nid);
  const uint32_t bytes =
      layout_.HeadSize(it->nkey, it->nbytes, it->Has(item_flag::kHasExptime),
                       it->Has(item_flag::kHasClientFlags), it->Has(item_flag::kChunked));
  {
    LruQueue& q = Queue(LruClassOf(it), it->segment());
    std::lock_guard<std::mutex> ql(q.mu);
    std::memcpy(static_cast<void*>(nit), static_cast<const void*>(it), bytes);
    if (nit->lru_prev != kNoItem) {
      arena_->Item(nit->lru_prev)->lru_next = nid;
    } else {
      q.head = nid;
    }
    if (nit->lru_next != kNoItem) {
      arena_->Item(nit->lru_next)->lru_prev = nid;
    } else {
      q.tail = nid;
    }
  }
  // Whoever finds the copy through the queue needs this stripe lock, still held, to act on it.
  arena_->SetHead(nid, true);
  arena_->SetHead(id, false);
  table_.Remove(hv, id);
  table_.Insert(hv, nid);
  it->flags.store(0, std::memory_order_release);
  it->refcount.store(0, std::memory_order_release);
  l.unlock();
  slabs_.Free(id);
  reassign_rescues_.fetch_add(1, std::memory_order_relaxed);
}

void CacheEngine::CollectChunkedOnPage(uint32_t page, std::vector<std::string>* keys) {
  // Under each queue lock, which keeps queued items and their chains alive.
  keys->clear();
  const int lc = slabs_.largest_class();
  for (int s = 0; s < kNumSegments; s++) {
    LruQueue& q = Queue(lc, static_cast<Segment>(s));
    std::lock_guard<std::mutex> ql(q.mu);
    for (ItemId id = q.head; id != kNoItem; id = arena_->Item(id)->lru_next) {
      const ItemHeader* it = arena_->Item(id);
      if (!it->Has(item_flag::kChunked)) continue;
      for (ItemId c = layout_.FirstChunk(it); c != kNoItem;) {
        if (Arena::PageOf(c) == page) {
          keys->emplace_back(layout_.KeyView(it));
          break;
        }
        ChunkHeader ch;
        std::memcpy(&ch, arena_->Ptr(c), sizeof(ch));
        c = ch.next;
      }
    }
  }
}

bool CacheEngine::RescueChunkedItem(const std::string& key, uint32_t page, bool force) {
  const uint32_t hv = table_.Hash(key);
  std::lock_guard<std::mutex> l(table_.LockFor(hv));
  ItemId id;
  ItemHeader* it = table_.Find(hv, key, &id);
  if (it == nullptr || !it->Has(item_flag::kChunked)) return true;
  if (RefCount(it, std::memory_order_acquire) != 1) {
    // A reader may be walking the chain: retry, unlink when it takes too long.
    reassign_busy_items_.fetch_add(1, std::memory_order_relaxed);
    if (!force) return false;
    reassign_busy_deletes_.fetch_add(1, std::memory_order_relaxed);
    UnlinkLocked(hv, id, it);
    return true;
  }
  RescueChunksLocked(hv, id, it, page);
  return true;
}

void CacheEngine::RescueChunksLocked(uint32_t hv, ItemId id, ItemHeader* it, uint32_t page) {
  // `link` is where the id of chunk c is stored: the head's first-chunk slot, then each
  // chunk's ChunkHeader::next (its first field).
  char* link = layout_.Value(it);
  for (ItemId c = layout_.FirstChunk(it); c != kNoItem;) {
    char* cp = arena_->Ptr(c);
    ChunkHeader ch;
    std::memcpy(&ch, cp, sizeof(ch));
    if (Arena::PageOf(c) != page) {
      link = cp;
      c = ch.next;
      continue;
    }
    const ItemId nc = slabs_.AllocNoGrow(arena_->ClassOf(c));
    if (nc == kNoItem) {
      // No room in the class: evict the item (its chunks, moved or not, go back on release).
      reassign_evictions_nomem_.fetch_add(1, std::memory_order_relaxed);
      class_counters_[LruClassOf(it)].evicted.fetch_add(1, std::memory_order_relaxed);
      if (has_eviction_hook_.load(std::memory_order_relaxed)) NotifyEviction(it, clock_->Now());
      UnlinkLocked(hv, id, it);
      return;
    }
    char* np = arena_->Ptr(nc);
    std::memcpy(np, cp, sizeof(ChunkHeader) + ch.used);
    std::memcpy(link, &nc, sizeof(nc));
    slabs_.Free(c);
    reassign_chunk_rescues_.fetch_add(1, std::memory_order_relaxed);
    link = np;
    c = ch.next;
  }
}

bool CacheEngine::EvacuatePage(int src, int dst, uint32_t page) {
  const uint32_t per = slabs_.PerPage(src);
  std::vector<std::string> chunked;  // keys of CHUNKED items with a value chunk on the page
  for (int round = 0;; round++) {
    if (slabs_.EvacInUse(src) == 0) break;
    {
      std::lock_guard<std::mutex> g(thread_mu_);
      if (stopping_) {
        slabs_.AbortEvacuation(src);
        return false;
      }
    }
    if (round >= kGiveUpRounds) {
      // Something holds a chunk of the page and never lets go (an upload that stalls
      // forever): give the page back to its class rather than spin.
      slabs_.AbortEvacuation(src);
      return false;
    }
    const bool force = round >= kBusyRounds;
    // In batches: the keys' hash buckets are prefetched for the whole batch first, so that
    // their cache misses overlap instead of following one another (a page of small items holds
    // thousands of them).
    for (uint32_t base = 0; base < per; base += kEvacBatch) {
      const uint32_t n = std::min(per - base, kEvacBatch);
      uint32_t hv[kEvacBatch];
      bool head[kEvacBatch];
      for (uint32_t i = 0; i < n; i++) head[i] = SlotKeyHash(page, base + i, &hv[i]);
      for (uint32_t i = 0; i < n; i++) {
        if (head[i]) EvacuateSlot(src, page, base + i, hv[i], force);
      }
    }
    if (slabs_.EvacInUse(src) == 0) break;
    // What is left may be value chunks of CHUNKED items (or allocations in flight, which free
    // themselves). Walking the largest class's LRU for them is not free, so it is done every
    // tenth round (items linked meanwhile by uploads in flight are found then); the items
    // found are retried every round, as pinned heads are.
    if (round % 10 == 0) CollectChunkedOnPage(page, &chunked);
    std::erase_if(chunked,
                  [&](const std::string& key) { return RescueChunkedItem(key, page, force); });
    if (slabs_.EvacInUse(src) == 0) break;
    std::unique_lock<std::mutex> l(thread_mu_);
    thread_cv_.wait_for(l, kMoverRoundSleep, [this] { return stopping_; });
  }
  slabs_.FinishEvacuation(src, dst);
  slabs_moved_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool CacheEngine::MovePageNow(int src, int dst) {
  uint32_t page = slabs_.BeginEvacuation(src);
  if (page == 0) return false;
  reassign_running_ = true;
  bool ok = EvacuatePage(src, dst, page);
  reassign_running_ = false;
  return ok;
}

uint32_t CacheEngine::ReserveTarget() const {
  // Pages set aside for classes that cannot allocate even after evicting (SlabAllocator's
  // reserve): part of automove, and never with -M, where a refill's evictions are not allowed.
  if (automove_.load(std::memory_order_relaxed) == 0 || !settings_.evict_to_free) return 0;
  const uint64_t limit_pages = slabs_.limit() / Arena::kPageSize;
  if (limit_pages >= kReserveMinLimitPages) return kReservePages;
  return limit_pages >= kReserveMinLimitPages / 4 ? 1 : 0;
}

bool CacheEngine::PickUrgentMove(int* src, int* dst) {
  // Over the memory limit (cache_memlimit lowered): give pages back from the largest class.
  const uint64_t limit_pages = slabs_.limit() / Arena::kPageSize;
  if (shrinking_.load() && slabs_.pages_in_use() <= limit_pages) shrinking_ = false;
  if (shrinking_.load()) {
    int best = 0;
    uint64_t best_pages = 1;
    for (int c = 1; c <= num_classes_; c++) {
      uint64_t p = slabs_.Pages(c);
      if (p > best_pages) {
        best = c;
        best_pages = p;
      }
    }
    if (best != 0) {
      *src = best;
      *dst = 0;
      return true;
    }
    shrinking_ = false;  // every class is down to its first page
  }
  // Refill the reserve, once memory is full (before, classes simply grow): from free pages of
  // the pool if there are any, else a page of the class with the oldest COLD tail that keeps
  // at least two pages (memcached's MIN_PAGES_FOR_SOURCE).
  reserve_wanted_.store(false, std::memory_order_relaxed);
  const uint32_t target = ReserveTarget();
  if (slabs_.reserve_pages() >= target) return false;
  if (slabs_.pages_in_use() + slabs_.reserve_pages() < limit_pages) return false;
  while (slabs_.reserve_pages() < target && slabs_.ReservePoolPage()) {
  }
  if (slabs_.reserve_pages() >= target) return false;
  const int oldest = OldestTailSource(0, clock_->Now());
  if (oldest == -1) return false;
  *src = oldest;
  *dst = SlabAllocator::kToReserve;
  return true;
}

int CacheEngine::OldestTailSource(int except, RelTime now) const {
  int oldest = -1;
  RelTime oldest_age = 0;
  for (int c = 1; c <= num_classes_; c++) {
    if (c == except || slabs_.Pages(c) <= kMinPagesForSource) continue;
    const RelTime a = TailAge(c, Segment::kCold, now);
    if (oldest == -1 || a > oldest_age) {
      oldest = c;
      oldest_age = a;
    }
  }
  return oldest;
}

void CacheEngine::WantPageAfterEviction(int cls) {
  if (automove_.load(std::memory_order_relaxed) != 2 ||
      page_wanted_[cls].load(std::memory_order_relaxed) != 0 ||
      page_wanted_[cls].exchange(1, std::memory_order_relaxed) != 0) {
    return;
  }
  page_wanted_any_.store(true, std::memory_order_relaxed);
  // Under the mutex, so that the mover cannot miss it between its check and its wait.
  std::lock_guard<std::mutex> g(thread_mu_);
  thread_cv_.notify_all();
}

bool CacheEngine::PickEvictionMove(int* src, int* dst, std::chrono::steady_clock::time_point now) {
  // memcached's slab_automove=2 asks for a page on every eviction (items.c lru_pull_tail) and
  // moves it at once; memcached takes it from the next class round robin, we take it from the
  // class whose COLD tail is oldest, as the one-second automove does. One request per class is
  // pending at a time: evictions during a move ask again, so moves follow each other while the
  // class keeps evicting.
  using Clock = std::chrono::steady_clock;
  page_wanted_any_.store(false, std::memory_order_relaxed);
  const bool on = automove_.load(std::memory_order_relaxed) == 2;
  const RelTime rel_now = clock_->Now();
  for (int i = 0; i < num_classes_; i++) {
    const int c = (page_wanted_next_ - 1 + i) % num_classes_ + 1;
    if (page_wanted_[c].load(std::memory_order_relaxed) == 0) continue;
    Clock::time_point& muted = page_wanted_muted_until_[c];
    if (muted != Clock::time_point{}) {
      if (now < muted) continue;
      // Nobody could give it a page a second ago: drop that request, the next eviction asks
      // afresh.
      muted = {};
      page_wanted_[c].store(0, std::memory_order_relaxed);
      continue;
    }
    const int from = on ? OldestTailSource(c, rel_now) : -1;
    if (from == -1) {
      muted = now + kMoverIdleSleep;
      continue;
    }
    page_wanted_[c].store(0, std::memory_order_relaxed);
    page_wanted_next_ = c % num_classes_ + 1;
    *src = from;
    *dst = c;
    return true;
  }
  return false;
}

bool CacheEngine::PickMove(int* src, int* dst) {
  const int level = automove_.load(std::memory_order_relaxed);
  if (level == 0) return false;
  // memcached's slab_automove (doc/new_lru.txt, "slab_automove"): over a sliding window of
  // one-second samples, a class with free memory to spare for the whole window gives a page
  // back to the pool; otherwise the class with the oldest tail gives a page to the class that
  // evicted (or failed a store: outofmemory) in the window and whose tail is youngest, when
  // that age is below ratio x the oldest. A class that failed stores in the last second goes
  // first: a failed store costs more than an eviction.
  const int window = std::max(1, settings_.slab_automove_window);
  const size_t nc = static_cast<size_t>(num_classes_ + 1);
  if (automove_last_evicted_.size() != nc) {
    automove_last_evicted_.assign(nc, 0);
    automove_last_oom_.assign(nc, 0);
    for (size_t c = 1; c < nc; c++) {
      const ClassItemStats is = ItemStatsFor(static_cast<int>(c));
      automove_last_evicted_[c] = is.evicted;
      automove_last_oom_[c] = is.outofmemory;
    }
    automove_window_.assign(nc * static_cast<size_t>(window), 0);
    automove_free_window_.assign(nc * static_cast<size_t>(window), 0);
  }
  const size_t w = static_cast<size_t>(automove_tick_++ % static_cast<uint64_t>(window));
  const RelTime now = clock_->Now();
  int oldest = -1, youngest = -1, failing = -1;
  RelTime oldest_age = 0, youngest_age = 0;
  uint64_t failing_ooms = 0;
  for (int c = 1; c <= num_classes_; c++) {
    const size_t base = static_cast<size_t>(c) * static_cast<size_t>(window);
    const ClassItemStats is = ItemStatsFor(c);
    const uint64_t ooms = is.outofmemory - automove_last_oom_[c];
    const bool evicted = is.evicted > automove_last_evicted_[c] || ooms > 0;
    automove_last_evicted_[c] = is.evicted;
    automove_last_oom_[c] = is.outofmemory;
    SlabAllocator::ClassStats st = slabs_.Stats(c);
    automove_window_[base + w] = evicted ? 1 : 0;
    automove_free_window_[base + w] =
        (st.total_pages > 2 &&
         st.free_chunks + st.free_chunks_end > static_cast<uint64_t>(st.chunks_per_page) * 5 / 2)
            ? 1
            : 0;
    int evicted_sum = 0, free_sum = 0;
    for (int i = 0; i < window; i++) {
      evicted_sum += automove_window_[base + static_cast<size_t>(i)];
      free_sum += automove_free_window_[base + static_cast<size_t>(i)];
    }
    if (free_sum >= window && automove_tick_ >= static_cast<uint64_t>(window)) {
      *src = c;
      *dst = 0;
      return true;
    }
    if (st.total_pages == 0) continue;
    const RelTime age = TailAge(c, Segment::kCold, now);
    if (st.total_pages > kMinPagesForSource && (oldest == -1 || age > oldest_age)) {
      oldest = c;
      oldest_age = age;
    }
    if (evicted_sum > 0 && (youngest == -1 || age < youngest_age)) {
      youngest = c;
      youngest_age = age;
    }
    if (ooms > failing_ooms) {
      failing = c;
      failing_ooms = ooms;
    }
  }
  if (failing != -1 && oldest != -1 && oldest != failing && oldest_age > 0) {
    *src = oldest;
    *dst = failing;
    return true;
  }
  // Level 2 moves on every eviction at once (PickEvictionMove), not once a second.
  if (level == 2) return false;
  if (youngest != -1 && oldest != -1 && youngest != oldest &&
      static_cast<double>(youngest_age) <
          static_cast<double>(oldest_age) * automove_ratio_.load(std::memory_order_relaxed)) {
    *src = oldest;
    *dst = youngest;
    return true;
  }
  return false;
}

bool CacheEngine::RunAutomoveOnce() {
  int src = 0, dst = 0;
  if (!PickUrgentMove(&src, &dst) &&
      !PickEvictionMove(&src, &dst, std::chrono::steady_clock::now()) && !PickMove(&src, &dst)) {
    return false;
  }
  return MovePageNow(src, dst);
}

void CacheEngine::MoverMain() {
  auto last_pick = std::chrono::steady_clock::now() - kMoverIdleSleep;
  std::unique_lock<std::mutex> l(thread_mu_);
  while (!stopping_) {
    l.unlock();
    int src = 0, dst = 0;
    bool have = false;
    {
      std::lock_guard<std::mutex> g(mover_mu_);
      if (move_pending_) {
        src = move_src_;
        dst = move_dst_;
        move_pending_ = false;
        have = true;
      }
    }
    // Shrinking and refilling the reserve are urgent, then a page for a class that evicted
    // (slab_automove=2); automove samples once a second.
    if (!have) have = PickUrgentMove(&src, &dst);
    const auto t = std::chrono::steady_clock::now();
    if (!have) have = PickEvictionMove(&src, &dst, t);
    if (!have && t - last_pick >= kMoverIdleSleep) {
      last_pick = t;
      have = PickMove(&src, &dst);
    }
    if (have) {
      uint32_t page = slabs_.BeginEvacuation(src);
      if (page != 0) {
        reassign_running_ = true;
        EvacuatePage(src, dst, page);
      }
      reassign_running_ = false;
    }
    l.lock();
    if (!have) {
      thread_cv_.wait_for(l, kMoverPollSleep, [this] {
        if (stopping_ || reserve_wanted_.load(std::memory_order_relaxed)) return true;
        if (page_wanted_any_.load(std::memory_order_relaxed)) return true;
        std::lock_guard<std::mutex> g(mover_mu_);
        return move_pending_;
      });
    }
  }
}

}  // namespace memfleet::storage
