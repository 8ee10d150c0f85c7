// Item: the in-memory layout of one cached item, and the small helpers that read and write it.
//
// An item lives in one slab chunk (see slab/arena.h) and is named by a 32-bit ItemId, never by a
// 64-bit pointer, so every link field costs 4 bytes. This header is a plain layout description:
// it owns nothing. Which thread may touch which field is stated per field below; in short, links
// are guarded by locks (hash chain: the item's stripe lock; LRU links: the LRU lock of the item's
// queue), and the fields that readers holding only a pin may see change (atime, flags, refcount,
// exptime) are atomics.
//
// Where every byte goes (default settings: CAS on), for a 32-byte key and a 100-byte value:
//
//   offset size field
//   ------ ---- -------------------------------------------------------------------------------
//        0    4 h_next     next item in the hash bucket chain (ItemId; 0 ends the chain).
//                          Also the free-list link while the chunk is free.
//        4    4 lru_prev   neighbour towards the head of the item's LRU queue (ItemId)
//        8    4 lru_next   neighbour towards the tail of the item's LRU queue (ItemId)
//       12    4 atime      last access, relative seconds (updated at most once a minute)
//       16    4 nbytes     value length in bytes (no "\r\n" is stored)
//       20    2 refcount   pins + 1 while linked; the chunk is freed when it drops to 0
//                          (low 13 bits; the top 3 are meta-protocol bits, see item_ref)
//       22    1 flags      LINKED FETCHED ACTIVE CHUNKED HAS_EXPTIME HAS_CLIENT_FLAGS + 2 bits of
//                          LRU segment (HOT/WARM/COLD/TEMP)
//       23    1 nkey       key length (1..250)
//       24    8 cas        only when settings.use_cas (engine-wide), so no per-item bit
//   [   4 exptime ]        only when the item has a non-zero exptime (HAS_EXPTIME)
//   [   4 client flags ]   only when non-zero (HAS_CLIENT_FLAGS)
//           nkey key bytes (no terminating NUL)
//           nbytes value bytes; or, when CHUNKED, a 4-byte ItemId of the first value chunk
//
// Fixed header: 24 bytes, 32 with CAS; +4 with a TTL, +4 with non-zero client flags. The slab
// class is not stored: it is a property of the 1 MiB page the chunk lies in. The key hash is not
// stored either: it is recomputed when needed (expansion, eviction), as memcached does.
// A 32-byte key + 100-byte value item with no TTL and flags 0 therefore needs 164 bytes, and the
// default slab classes have a 164-byte class (memcached: 48 + 8 + 33 + 102 = 191, in a 192-byte
// chunk).
//
// Value chunks of a CHUNKED item are plain chunks laid out as ChunkHeader + data.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/clock.h"

namespace memfleet::storage {

// Names one chunk: (page << kSlotBits) | slot. 0 is never a valid item (page 0 is never used).
using ItemId = uint32_t;
inline constexpr ItemId kNoItem = 0;

enum class Segment : uint8_t { kHot = 0, kWarm = 1, kCold = 2, kTemp = 3 };
inline constexpr int kNumSegments = 4;

namespace item_flag {
inline constexpr uint8_t kLinked = 1 << 0;          // in the hash table and an LRU queue
inline constexpr uint8_t kFetched = 1 << 1;         // read at least once since stored
inline constexpr uint8_t kActive = 1 << 2;          // read twice; moves up at the queue tail
inline constexpr uint8_t kChunked = 1 << 3;         // value lives in a chain of chunks
inline constexpr uint8_t kHasExptime = 1 << 4;      // 4-byte exptime slot present
inline constexpr uint8_t kHasClientFlags = 1 << 5;  // 4-byte client flags slot present
inline constexpr int kSegmentShift = 6;
inline constexpr uint8_t kSegmentMask = 3 << kSegmentShift;
}  // namespace item_flag

struct ItemHeader {
  ItemId h_next;                   // guarded by the stripe lock (or the slab class lock when free)
  ItemId lru_prev;                 // guarded by the LRU queue lock
  ItemId lru_next;                 // guarded by the LRU queue lock
  std::atomic<RelTime> atime;      // any thread
  uint32_t nbytes;                 // immutable once allocated
  std::atomic<uint16_t> refcount;  // any thread
  std::atomic<uint8_t> flags;      // any thread; segment bits change under stripe + LRU lock
  uint8_t nkey;                    // immutable once allocated

  uint8_t Flags() const { return flags.load(std::memory_order_acquire); }
  bool Has(uint8_t f) const { return (Flags() & f) != 0; }
  Segment segment() const {
    return static_cast<Segment>((Flags() & item_flag::kSegmentMask) >> item_flag::kSegmentShift);
  }
};
static_assert(sizeof(ItemHeader) == 24, "item header must stay 24 bytes");

// The meta protocol's per-item bits live in the top of the 16-bit refcount, because the flags
// byte is full and the header must stay 24 bytes: pins never approach 2^13 (the engine refuses
// to pin beyond kMaxPins). Every read or comparison of the count must mask with kCountMask.
// The bits are set and cleared with fetch_or/fetch_and under the item's stripe lock; Init()
// (refcount = 1) clears them for a fresh item.
namespace item_ref {
inline constexpr uint16_t kStale = 1 << 15;      // md ... I: served with X until replaced
inline constexpr uint16_t kTokenSent = 1 << 14;  // a W was handed out: others get Z
inline constexpr uint16_t kKeyBinary = 1 << 13;  // stored with a base64 (b) key
inline constexpr uint16_t kMetaBits = kStale | kTokenSent | kKeyBinary;
inline constexpr uint16_t kCountMask = kKeyBinary - 1;
}  // namespace item_ref

// The pin count of it, without the meta bits.
inline uint16_t RefCount(const ItemHeader* it,
                         std::memory_order order = std::memory_order_relaxed) {
  return it->refcount.load(order) & item_ref::kCountMask;
}

// Header of each value chunk of a CHUNKED item.
struct ChunkHeader {
  ItemId next;    // next chunk, 0 for the last
  uint32_t used;  // value bytes in this chunk
};
static_assert(sizeof(ChunkHeader) == 8);

// Offsets that depend on engine-wide settings (CAS on or off). One per engine; immutable.
class ItemLayout {
 public:
  explicit ItemLayout(bool use_cas)
      : base_(sizeof(ItemHeader) + (use_cas ? 8 : 0)), cas_(use_cas) {}

  uint32_t base() const { return base_; }
  bool use_cas() const { return cas_; }

  // Total chunk bytes an item needs (for a CHUNKED item: the head chunk only).
  uint32_t HeadSize(uint32_t nkey, uint32_t nbytes, bool has_exptime, bool has_client_flags,
                    bool chunked) const {
    return base_ + (has_exptime ? 4 : 0) + (has_client_flags ? 4 : 0) + nkey +
           (chunked ? 4 : nbytes);
  }
  // The size an item is accounted at ("bytes", mem_requested, sizes): header + key + value.
  uint32_t TotalSize(const ItemHeader* it) const {
    uint8_t f = it->Flags();
    return base_ + ((f & item_flag::kHasExptime) ? 4 : 0) +
           ((f & item_flag::kHasClientFlags) ? 4 : 0) + it->nkey + it->nbytes;
  }

  uint64_t Cas(const ItemHeader* it) const {
    if (!cas_) return 0;
    uint64_t v;
    std::memcpy(&v, Bytes(it) + sizeof(ItemHeader), 8);
    return v;
  }
  // REQUIRES: nobody else can read the item (unlinked, or linked with no other pin, under its
  // stripe lock).
  void SetCas(ItemHeader* it, uint64_t v) const {
    if (cas_) std::memcpy(Bytes(it) + sizeof(ItemHeader), &v, 8);
  }

  RelTime Exptime(const ItemHeader* it) const {
    if (!it->Has(item_flag::kHasExptime)) return 0;
    return std::atomic_ref<uint32_t>(*ExptimeSlot(it)).load(std::memory_order_relaxed);
  }
  // REQUIRES: the item has an exptime slot.
  void SetExptime(ItemHeader* it, RelTime t) const {
    std::atomic_ref<uint32_t>(*ExptimeSlot(it)).store(t, std::memory_order_relaxed);
  }

  uint32_t ClientFlags(const ItemHeader* it) const {
    uint8_t f = it->Flags();
    if (!(f & item_flag::kHasClientFlags)) return 0;
    uint32_t v;
    std::memcpy(&v, Bytes(it) + base_ + ((f & item_flag::kHasExptime) ? 4 : 0), 4);
    return v;
  }

  char* Key(ItemHeader* it) const { return Bytes(it) + KeyOffset(it); }
  const char* Key(const ItemHeader* it) const {
    return reinterpret_cast<const char*>(it) + KeyOffset(it);
  }
  std::string_view KeyView(const ItemHeader* it) const { return {Key(it), it->nkey}; }
  char* Value(ItemHeader* it) const { return Key(it) + it->nkey; }
  const char* Value(const ItemHeader* it) const { return Key(it) + it->nkey; }

  // REQUIRES: CHUNKED.
  ItemId FirstChunk(const ItemHeader* it) const {
    ItemId id;
    std::memcpy(&id, Value(it), 4);
    return id;
  }
  void SetFirstChunk(ItemHeader* it, ItemId id) const { std::memcpy(Value(it), &id, 4); }

  // Fills a fresh chunk's header and optional slots; copies the key.
  void Init(ItemHeader* it, std::string_view key, uint32_t client_flags, RelTime exptime,
            uint32_t nbytes, bool chunked, RelTime now) const {
    it->h_next = kNoItem;
    it->lru_prev = kNoItem;
    it->lru_next = kNoItem;
    it->atime.store(now, std::memory_order_relaxed);
    it->nbytes = nbytes;
    it->refcount.store(1, std::memory_order_relaxed);
    uint8_t f = (exptime != 0 ? item_flag::kHasExptime : 0) |
                (client_flags != 0 ? item_flag::kHasClientFlags : 0) |
                (chunked ? item_flag::kChunked : 0);
    it->flags.store(f, std::memory_order_relaxed);
    it->nkey = static_cast<uint8_t>(key.size());
    SetCas(it, 0);
    char* p = Bytes(it) + base_;
    if (exptime != 0) {
      std::memcpy(p, &exptime, 4);
      p += 4;
    }
    if (client_flags != 0) {
      std::memcpy(p, &client_flags, 4);
      p += 4;
    }
    std::memcpy(p, key.data(), key.size());
  }

 private:
  static char* Bytes(ItemHeader* it) { return reinterpret_cast<char*>(it); }
  static const char* Bytes(const ItemHeader* it) { return reinterpret_cast<const char*>(it); }
  uint32_t* ExptimeSlot(const ItemHeader* it) const {
    return reinterpret_cast<uint32_t*>(const_cast<char*>(Bytes(it)) + base_);
  }
  uint32_t KeyOffset(const ItemHeader* it) const {
    uint8_t f = it->Flags();
    return base_ + ((f & item_flag::kHasExptime) ? 4 : 0) +
           ((f & item_flag::kHasClientFlags) ? 4 : 0);
  }

  uint32_t base_;
  bool cas_;
};

}  // namespace memfleet::storage
