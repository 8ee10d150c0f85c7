#include "net/buffer_pool.h"

#include "net/out_buffer.h"

namespace memfleet::net {

BufferPool::BufferPool(size_t read_block, size_t max_free)
    : read_block_(read_block), max_free_(max_free) {}

BufferPool::~BufferPool() = default;

std::unique_ptr<char[]> BufferPool::LendReadBlock() {
  ++read_lent_;
  if (free_blocks_.empty()) return std::make_unique_for_overwrite<char[]>(read_block_);
  std::unique_ptr<char[]> block = std::move(free_blocks_.back());
  free_blocks_.pop_back();
  return block;
}

void BufferPool::ReturnReadBlock(std::unique_ptr<char[]> block) {
  --read_lent_;
  if (free_blocks_.size() < max_free_) free_blocks_.push_back(std::move(block));
}

std::unique_ptr<OutArea> BufferPool::LendOutArea() {
  ++out_lent_;
  if (free_areas_.empty()) return std::make_unique<OutArea>();
  std::unique_ptr<OutArea> area = std::move(free_areas_.back());
  free_areas_.pop_back();
  return area;
}

void BufferPool::ReturnOutArea(std::unique_ptr<OutArea> area) {
  --out_lent_;
  if (free_areas_.size() < max_free_) free_areas_.push_back(std::move(area));
}

}  // namespace memfleet::net
