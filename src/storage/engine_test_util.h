// Test helpers for the storage tests: builds a CacheEngine on an injected clock and wraps the
// two-step store in one call. Test code only; single-threaded unless a test says otherwise.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/settings.h"
#include "storage/cache_engine.h"

namespace memfleet::storage::testing {

// a + b without operator+(const char*, std::string&&), which trips GCC 12's -Wrestrict at -O3.
inline std::string Cat(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size());
  s.append(a);
  s.append(b);
  return s;
}

inline Settings SmallSettings() {
  Settings s;
  s.max_bytes = 8ull << 20;
  s.hashpower_init = 12;
  return s;
}

struct TestEngine {
  explicit TestEngine(const Settings& settings = SmallSettings()) {
    clock.Set(1000);
    auto e = Engine::Create(settings, &clock);
    engine.reset(static_cast<CacheEngine*>(e.release()));
    session = engine->NewSession();
  }

  StoreResult Store(StoreOp op, std::string_view key, std::string_view value, uint32_t flags = 0,
                    RelTime exptime = 0, uint64_t cas = 0, uint64_t* cas_out = nullptr) {
    ItemRef ref;
    AllocResult r =
        engine->Allocate(*session, key, flags, exptime, static_cast<uint32_t>(value.size()), &ref);
    if (r != AllocResult::kOk) return StoreResult::kNoMemory;
    ValueWriter w(ref);
    if (w.Write(value.data(), value.size()) != value.size()) return StoreResult::kNoMemory;
    return engine->Store(*session, op, ref, cas, cas_out);
  }
  StoreResult Set(std::string_view key, std::string_view value, uint32_t flags = 0,
                  RelTime exptime = 0) {
    return Store(StoreOp::kSet, key, value, flags, exptime);
  }
  std::optional<std::string> Get(std::string_view key) {
    ItemRef ref = engine->Get(*session, key);
    if (!ref) return std::nullopt;
    return Value(ref);
  }
  static std::string Value(const ItemRef& ref) {
    std::string out(ref.value_length(), '\0');
    ref.CopyValue(out.data());
    return out;
  }

  Clock clock;
  std::unique_ptr<CacheEngine> engine;
  Session* session = nullptr;
};

}  // namespace memfleet::storage::testing
