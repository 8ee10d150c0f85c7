// DumpState: the per-connection state of a streaming `lru_crawler metadump|mgdump` (see
// connection.h): the engine's cursor, the line format, and what the connection has produced in
// the current turn of its worker's loop. Owned by one Connection while a dump runs; held through a
// shared_ptr only so that a resume task posted to the loop can tell, through a weak_ptr, that the
// dump or the connection is gone. Used only on the connection's worker thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/engine.h"

namespace memfleet::server {

struct DumpState {
  enum class Format : uint8_t {
    kMetadump,  // "key=<uriencoded> exp=.. la=.. cas=.. fetch=.. cls=.. size=..\n" ... "END\r\n"
    kMgdump,    // "mg <key>\r\n" (binary keys: "mg <base64> b\r\n") ... "EN\r\n"
  };

  explicit DumpState(Format f) : format(f) {}

  Format format;
  storage::DumpCursor cursor;
  size_t turn_bytes = 0;       // output produced since the dump last yielded to the loop
  uint64_t turn_slices = 0;    // hash slices visited since then
  bool resume_posted = false;  // a task that continues the dump is queued on the loop
};

}  // namespace memfleet::server
