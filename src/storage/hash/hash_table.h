// HashTable: key -> item index, chained through the items' h_next fields, with lock striping and
// incremental expansion.
//
// The table owns its bucket arrays and the item stripe locks; it does not own items. Every
// lookup or change of a bucket happens under the stripe lock for the key's hash
// (LockFor(hash)); callers take it and keep it for the whole read-modify-write of one key. A
// thread blocks on at most one stripe lock at a time; code that already holds a stripe or an LRU
// lock only try_locks further stripes.
//
// Expansion (Redis's dict.c and memcached's assoc.c, explained): when the item count passes 1.5
// items per bucket, a new table of twice the size is published next to the old one and a
// background thread migrates old buckets one at a time, in index order. Migrating old bucket b
// moves each of its items to new bucket b or b + old_size. The stripe count never exceeds the old
// bucket count, so every item of old bucket b (and of both its new buckets) is covered by the
// same stripe lock, which the migrator holds while it moves the chain and then advances
// `expand_bucket_`. A reader holding that stripe lock sees a stable answer to "has my bucket
// moved yet?" (it cannot change without the lock), so it looks in the old table if
// (hash & old_mask) >= expand_bucket_ and in the new one otherwise. The table geometry lives in
// an immutable TableState published by pointer; states are kept until the table is destroyed
// (a few dozen bytes per expansion), and an old bucket array is freed only after every bucket
// has moved, when no reader can be looking at it. Workers therefore never wait for more than one
// bucket's migration.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "storage/hash/hash_function.h"
#include "storage/item.h"
#include "storage/slab/arena.h"

namespace memfleet::storage {

class HashTable {
 public:
  // hashpower: log2 of the initial bucket count. lock_power: log2 of the stripe count, capped
  // at hashpower.
  HashTable(const Arena* arena, const ItemLayout* layout, HashFn hash, int hashpower,
            int lock_power);

  uint32_t Hash(std::string_view key) const { return hash_(key.data(), key.size()); }
  std::mutex& LockFor(uint32_t hv) { return locks_[hv & lock_mask_]; }
  uint32_t LockIndex(uint32_t hv) const { return hv & lock_mask_; }
  std::mutex& LockAt(uint32_t index) { return locks_[index]; }
  uint32_t lock_count() const { return lock_mask_ + 1; }

  // All REQUIRE LockFor(hv) held.
  ItemHeader* Find(uint32_t hv, std::string_view key, ItemId* id_out) const;
  void Insert(uint32_t hv, ItemId id);
  // Removes exactly this item from its chain; false if it was not there.
  bool Remove(uint32_t hv, ItemId id);

  // Prefetching, for a batch of lookups about to happen (a pipeline, a multi-get): the first
  // pass brings in the stripe lock and bucket lines without reading them, so it needs no lock;
  // the second pass reads the bucket under a try_lock of the stripe and brings in the first item
  // of the chain. Both are hints: they change nothing and may do nothing.
  void PrefetchBucket(uint32_t hv) const {
    __builtin_prefetch(&locks_[hv & lock_mask_]);
    const TableState* s = state_.load(std::memory_order_acquire);
    __builtin_prefetch(&s->primary[hv & s->primary_mask]);
  }
  void PrefetchChain(uint32_t hv);

  uint64_t item_count() const { return items_.load(std::memory_order_relaxed); }
  int hashpower() const;
  uint64_t bucket_count() const { return uint64_t{1} << hashpower(); }
  bool expanding() const;
  // True when the table is not expanding and holds more than 1.5 items per bucket.
  bool NeedsExpansion() const;

  // Expansion, driven by one thread at a time (the expander, or a test).
  // Publishes a table of twice the size; false if already expanding or at the maximum size.
  bool StartExpansion();
  // Migrates up to max_buckets old buckets, each under its stripe lock. Returns true when the
  // expansion is complete (and the old table freed).
  bool ExpandStep(uint32_t max_buckets);

  // Calls fn(id, item) for every item of the bucket group that covers bucket index `pos` of the
  // current table, under the stripe lock. Used by the crawler; `pos` < bucket_count().
  // fn may unlink the item it is given (it receives the hash value too).
  template <typename Fn>
  void VisitBucket(uint64_t pos, Fn&& fn);

 private:
  struct TableState {
    uint32_t* primary = nullptr;
    uint32_t primary_mask = 0;
    int primary_power = 0;
    uint32_t* old = nullptr;  // non-null while expanding
    uint32_t old_mask = 0;
  };

  // REQUIRES: the stripe lock for hv.
  uint32_t* BucketFor(uint32_t hv) const;

  const Arena* arena_;
  const ItemLayout* layout_;
  HashFn hash_;
  uint32_t lock_mask_;
  std::unique_ptr<std::mutex[]> locks_;
  std::atomic<uint64_t> items_{0};
  std::atomic<uint64_t> expand_threshold_;
  std::atomic<const TableState*> state_;
  std::atomic<uint32_t> expand_bucket_{0};
  // Owned by the expanding thread (and the constructor/destructor).
  std::vector<std::unique_ptr<TableState>> states_;
  std::vector<std::unique_ptr<uint32_t[]>> arrays_;  // [0] current; [1] old while expanding
};

template <typename Fn>
void HashTable::VisitBucket(uint64_t pos, Fn&& fn) {
  std::lock_guard<std::mutex> g(locks_[pos & lock_mask_]);
  const TableState* s = state_.load(std::memory_order_acquire);
  if (pos > s->primary_mask) return;
  uint32_t* bucket;
  if (s->old != nullptr && (pos & s->old_mask) >= expand_bucket_.load(std::memory_order_acquire)) {
    if (pos > s->old_mask) return;  // still in the old bucket, visited as pos & old_mask
    bucket = &s->old[pos];
  } else {
    bucket = &s->primary[pos];
  }
  ItemId id = *bucket;
  while (id != kNoItem) {
    ItemHeader* it = arena_->Item(id);
    ItemId next = it->h_next;
    fn(id, it, Hash(layout_->KeyView(it)));
    id = next;
  }
}

}  // namespace memfleet::storage
