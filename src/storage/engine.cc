// ItemRef and ValueWriter: the pin and the value filler handed to the server. Engine::Create is
// in cache_engine.cc.
#include "storage/engine.h"

#include <cstring>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

const CacheEngine* Impl(Engine* e) { return static_cast<const CacheEngine*>(e); }
const ItemHeader* Hdr(void* p) { return static_cast<const ItemHeader*>(p); }

}  // namespace

ItemRef& ItemRef::operator=(ItemRef&& o) noexcept {
  if (this != &o) {
    Reset();
    engine_ = o.engine_;
    item_ = o.item_;
    o.item_ = nullptr;
  }
  return *this;
}

void ItemRef::Reset() {
  if (item_ == nullptr) return;
  static_cast<CacheEngine*>(engine_)->Release(static_cast<ItemHeader*>(item_));
  item_ = nullptr;
}

void ItemRef::ReleaseRaw(void* engine, void* item) {
  static_cast<CacheEngine*>(static_cast<Engine*>(engine))->Release(static_cast<ItemHeader*>(item));
}

std::string_view ItemRef::key() const { return Impl(engine_)->layout().KeyView(Hdr(item_)); }
uint32_t ItemRef::client_flags() const { return Impl(engine_)->layout().ClientFlags(Hdr(item_)); }
uint64_t ItemRef::cas() const { return Impl(engine_)->layout().Cas(Hdr(item_)); }
RelTime ItemRef::exptime() const { return Impl(engine_)->layout().Exptime(Hdr(item_)); }
RelTime ItemRef::last_access() const { return Hdr(item_)->atime.load(std::memory_order_relaxed); }
uint32_t ItemRef::value_length() const { return Hdr(item_)->nbytes; }
int ItemRef::slab_class() const { return Impl(engine_)->SlabClassOf(*this); }
bool ItemRef::chunked() const { return Hdr(item_)->Has(item_flag::kChunked); }

std::span<const char> ItemRef::value() const {
  const ItemHeader* it = Hdr(item_);
  return {Impl(engine_)->layout().Value(it), it->nbytes};
}

void ItemRef::ForEachSegment(const std::function<void(std::span<const char>)>& fn) const {
  const ItemHeader* it = Hdr(item_);
  const CacheEngine* e = Impl(engine_);
  if (!it->Has(item_flag::kChunked)) {
    fn({e->layout().Value(it), it->nbytes});
    return;
  }
  ItemId cid = e->layout().FirstChunk(it);
  while (cid != kNoItem) {
    const char* c = e->arena().Ptr(cid);
    ChunkHeader ch;
    std::memcpy(&ch, c, sizeof(ch));
    fn({c + sizeof(ChunkHeader), ch.used});
    cid = ch.next;
  }
}

void ItemRef::CopyValue(char* dst) const {
  ForEachSegment([&dst](std::span<const char> s) {
    std::memcpy(dst, s.data(), s.size());
    dst += s.size();
  });
}

ValueWriter::ValueWriter(ItemRef& item) : item_(item) {
  auto* it = static_cast<ItemHeader*>(item.raw());
  const CacheEngine* e = Impl(item.engine());
  remaining_ = it->nbytes;
  if (!it->Has(item_flag::kChunked)) {
    pos_ = e->layout().Value(it);
    chunk_room_ = it->nbytes;
    return;
  }
  ItemId cid = e->layout().FirstChunk(it);
  if (cid == kNoItem) return;
  char* c = e->arena().Ptr(cid);
  ChunkHeader ch;
  std::memcpy(&ch, c, sizeof(ch));
  chunk_ = c;
  pos_ = c + sizeof(ChunkHeader);
  chunk_room_ = ch.used;
}

size_t ValueWriter::Write(const char* data, size_t len) {
  size_t taken = 0;
  while (len > 0 && remaining_ > 0) {
    if (chunk_room_ == 0) {
      // Next chunk (only chunked items get here).
      ChunkHeader ch;
      std::memcpy(&ch, chunk_, sizeof(ch));
      if (ch.next == kNoItem) break;
      char* c = Impl(item_.engine())->arena().Ptr(ch.next);
      std::memcpy(&ch, c, sizeof(ch));
      chunk_ = c;
      pos_ = c + sizeof(ChunkHeader);
      chunk_room_ = ch.used;
      continue;
    }
    size_t n = len < chunk_room_ ? len : chunk_room_;
    std::memcpy(pos_, data, n);
    pos_ += n;
    chunk_room_ -= n;
    remaining_ -= n;
    written_ += n;
    data += n;
    len -= n;
    taken += n;
  }
  return taken;
}

}  // namespace memfleet::storage
