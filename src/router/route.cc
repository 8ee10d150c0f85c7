#include "router/route.h"

#include <cstring>

namespace memfleet::router {

std::unique_ptr<char[]> ArenaBlockPool::Take(size_t size) {
  if (free_.empty()) return std::make_unique_for_overwrite<char[]>(size);
  std::unique_ptr<char[]> b = std::move(free_.back());
  free_.pop_back();
  return b;
}

void ArenaBlockPool::Give(std::unique_ptr<char[]> block) {
  if (free_.size() < max_blocks_) free_.push_back(std::move(block));
}

void* Arena::Allocate(size_t bytes, size_t align) {
  // REQUIRES: align is a power of two (alignof values are).
  auto pad_for = [align](const char* p) {
    return static_cast<size_t>(-reinterpret_cast<uintptr_t>(p) & (align - 1));
  };
  size_t pad = cur_ != nullptr ? pad_for(cur_) : 0;
  if (cur_ == nullptr || pad + bytes > left_) {
    if (bytes + align > kBlockSize) {
      // Larger than a block: a block of its own, freed at Reset.
      big_.push_back(std::make_unique_for_overwrite<char[]>(bytes + align));
      char* p = big_.back().get();
      used_total_ += bytes;
      return p + pad_for(p);
    }
    if (!spare_.empty()) {
      blocks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else if (pool_ != nullptr) {
      blocks_.push_back(pool_->Take(kBlockSize));
    } else {
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
    }
    cur_ = blocks_.back().get();
    left_ = kBlockSize;
    pad = pad_for(cur_);
  }
  char* p = cur_ + pad;
  cur_ += pad + bytes;
  left_ -= pad + bytes;
  used_total_ += pad + bytes;
  return p;
}

std::string_view Arena::Copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(Allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return std::string_view(p, s.size());
}

void Arena::Reset() {
  for (Destructor* d = destructors_; d != nullptr; d = d->next) d->destroy(d->object);
  destructors_ = nullptr;
  // A few standard blocks stay with this arena for its next request; the rest go back to the
  // thread's pool (a 100-key multi-get reuses blocks instead of allocating them again).
  for (auto& b : blocks_) {
    if (spare_.size() < kMaxSpareBlocks) {
      spare_.push_back(std::move(b));
    } else if (pool_ != nullptr) {
      pool_->Give(std::move(b));
    }
  }
  blocks_.clear();
  big_.clear();
  cur_ = nullptr;
  left_ = 0;
  used_total_ = 0;
}

void StoredResult::Assign(const protocol::Result& r, Arena& arena) {
  result = r;
  result.message = arena.Copy(r.message);
  result.value = arena.Copy(r.value);
  result.key = arena.Copy(r.key);
  result.opaque = arena.Copy(r.opaque);
  result.text = arena.Copy(r.text);
  set = true;
}

protocol::Result DefaultReply(Op op) {
  protocol::Result r;
  switch (op) {
    case Op::kGet:
    case Op::kGets:
    case Op::kGat:
    case Op::kGats:
    case Op::kTouch:
    case Op::kDelete:
    case Op::kIncr:
    case Op::kDecr:
      r.code = ResultCode::kNotFound;
      break;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
      r.code = ResultCode::kNotStored;
      break;
    default:
      r.code = ResultCode::kOk;
      break;
  }
  return r;
}

protocol::Result ErrorReply(std::string_view line, ResultCode code) {
  protocol::Result r;
  r.code = code;
  r.message = line;
  return r;
}

}  // namespace memfleet::router
