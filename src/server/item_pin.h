// PinItem: hands a cache item's reference to a net::Pin, so that a net::OutBuffer can send the
// item's value in place (zero copy) and drop the reference once the bytes are out.
//
// The ItemRef gives up its item pointer into the Pin, whose release function is the engine's own
// (storage::ItemRef::ReleaseRaw): no allocation and no virtual call, one indirect call per value
// when it is released, as ItemRef's destructor makes one direct call. Any thread that may hold
// the ItemRef may call it; the Pin is then used on that thread.
#pragma once

#include <utility>

#include "net/pin.h"
#include "storage/engine.h"

namespace memfleet::server {

// Moves item's reference into a Pin (an empty item gives an empty Pin).
inline net::Pin PinItem(storage::ItemRef item) {
  storage::Engine* engine = item.engine();
  void* raw = item.release();
  return net::Pin(&storage::ItemRef::ReleaseRaw, engine, raw);
}

}  // namespace memfleet::server
