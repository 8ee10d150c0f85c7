// UDP framing: memcached's 8-byte datagram header and how a batch of replies is cut into
// datagrams, as memcached 1.6.18 does it (doc/protocol.txt "UDP protocol", and its behaviour on
// the wire, which this follows where the document is silent).
//
// Every datagram, both ways, starts with four 16-bit big-endian fields: request id, sequence
// number, total number of datagrams in the message, reserved (0). A request must fit in one
// datagram: one that says it has more than one (total != 1) is dropped unanswered. Replies:
// each reply of the batch a datagram carried is its own message (sequence numbers from 0, its own
// total), cut into datagrams of at most kMaxDatagram bytes, header included. A multi-key text get
// answers each key as a reply of its own (END goes with the last key). Replies to noreply/quiet
// requests are skipped; an empty reply (a missed key of a multi-get, a quiet binary miss, quit)
// is not skipped but sent as a bare header with total 0 when it is the first of its batch;
// empty replies right after a sent one are dropped. These rules are memcached's transmit loop
// (one reply per sendmsg; after each datagram the replies it completed, and the empty and
// skipped ones after them, are retired).
//
// Pure functions and a value type; no I/O. Any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace memfleet::server::udp {

inline constexpr size_t kHeaderSize = 8;
// The largest datagram sent, header included (memcached's UDP_MAX_PAYLOAD_SIZE).
inline constexpr size_t kMaxDatagram = 1400;
inline constexpr size_t kMaxData = kMaxDatagram - kHeaderSize;
// Requests are read into a buffer this large (memcached's UDP_READ_BUFFER_SIZE); no UDP
// datagram is larger.
inline constexpr size_t kReadBufferSize = 65536;

struct Header {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

// The header of a request datagram, or nothing when the datagram is too short to carry a
// request (memcached ignores datagrams of 8 bytes or fewer).
std::optional<Header> ParseRequestHeader(std::span<const char> datagram);
// Whether a request with this header is served: only single-datagram requests are.
inline bool Serves(const Header& h) { return h.total == 1; }
// Writes h in network byte order at out[0, kHeaderSize).
void WriteHeader(const Header& h, char* out);

// One reply of a batch: its length in the batch's output (its bytes follow the previous
// reply's), and whether it is skipped (its bytes, if any, are never sent).
struct Reply {
  size_t length = 0;
  bool skip = false;
};

// One datagram to send: the header, and which bytes of the batch's output follow it.
struct Datagram {
  Header header;
  size_t offset = 0;  // into the batch's output
  size_t length = 0;  // <= kMaxData
};

// The datagrams that answer one batch of replies, in sending order.
void PlanDatagrams(uint16_t request_id, std::span<const Reply> replies, std::vector<Datagram>* out);

}  // namespace memfleet::server::udp
