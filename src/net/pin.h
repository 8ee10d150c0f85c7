// Pin: a move-only handle that keeps bytes owned by someone else alive until they are sent.
//
// An OutBuffer queues large values in place instead of copying them; the Pin handed over with
// them holds whatever reference keeps their memory valid (a cache item's reference count, a
// shared buffer) and drops it when the Pin is destroyed or reset. It is three words and no
// allocation: an owner, an object and a plain release function, called once per pinned value
// (never per byte). src/net knows nothing of what is pinned; the server adapts storage::ItemRef
// (server/item_pin.h). A Pin is used by one thread at a time; whether release may run on another
// thread than the one that made the Pin is the release function's business.
#pragma once

namespace memfleet::net {

class Pin {
 public:
  // Drops the reference (owner, object) stands for.
  using ReleaseFn = void (*)(void* owner, void* object);

  Pin() = default;
  // REQUIRES: release != nullptr when object != nullptr.
  Pin(ReleaseFn release, void* owner, void* object)
      : release_(release), owner_(owner), object_(object) {}
  Pin(Pin&& o) noexcept : release_(o.release_), owner_(o.owner_), object_(o.object_) {
    o.object_ = nullptr;
  }
  Pin& operator=(Pin&& o) noexcept {
    if (this != &o) {
      Reset();
      release_ = o.release_;
      owner_ = o.owner_;
      object_ = o.object_;
      o.object_ = nullptr;
    }
    return *this;
  }
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;
  ~Pin() { Reset(); }

  // True while it holds a reference.
  explicit operator bool() const { return object_ != nullptr; }
  // Drops the reference now (no-op when empty).
  void Reset() {
    if (object_ != nullptr) {
      void* object = object_;
      object_ = nullptr;
      release_(owner_, object);
    }
  }

 private:
  ReleaseFn release_ = nullptr;
  void* owner_ = nullptr;
  void* object_ = nullptr;
};

}  // namespace memfleet::net
