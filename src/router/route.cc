#include "router/route.h"

#include <cstring>

namespace memfleet::router {

void* Arena::Allocate(size_t bytes, size_t align) {
  auto pad_for = [align](const char* p) {
    uintptr_t v = reinterpret_cast<uintptr_t>(p);
    return static_cast<size_t>((align - v % align) % align);
  };
  size_t pad = cur_ ? pad_for(cur_) : 0;
  if (cur_ == nullptr || pad + bytes > left_) {
    if (blocks_.empty() || cur_ != nullptr || bytes + align > kBlockSize) {
      // A new block (a request bigger than a block gets one of its own size).
      size_t size = bytes + align > kBlockSize ? bytes + align : kBlockSize;
      if (blocks_.empty()) first_is_standard_ = size == kBlockSize;
      blocks_.push_back(std::make_unique<char[]>(size));
      cur_ = blocks_.back().get();
      left_ = size;
    } else {
      cur_ = blocks_[0].get();  // the block kept from the last request
      left_ = kBlockSize;
    }
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
  // blocks_[0] is always of the standard size (the first Allocate of a fresh arena makes a
  // standard block unless the request is larger; such a block is not kept).
  if (!blocks_.empty()) {
    std::unique_ptr<char[]> keep;
    if (first_is_standard_) keep = std::move(blocks_[0]);
    blocks_.clear();
    if (keep) blocks_.push_back(std::move(keep));
  }
  first_is_standard_ = !blocks_.empty();
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
