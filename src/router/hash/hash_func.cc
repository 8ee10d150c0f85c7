// Placeholder dispatch: only Modula, until the hash families land (the hash helper replaces this
// file).
#include "router/hash/hash_func.h"

#include <algorithm>
#include <cctype>

namespace memfleet::router::hash {
namespace {

class Modula final : public HashFunction {
 public:
  explicit Modula(size_t n) : n_(n) {}
  size_t Pick(std::string_view key) const override {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
    return h % n_;
  }
  size_t size() const override { return n_; }

 private:
  size_t n_;
};

}  // namespace

memfleet::Result<std::unique_ptr<HashFunction>> MakeHashFunction(const HashSpec& spec) {
  if (spec.servers.empty()) return Status::InvalidArgument("a pool needs at least one server");
  return std::unique_ptr<HashFunction>(std::make_unique<Modula>(spec.servers.size()));
}

}  // namespace memfleet::router::hash
