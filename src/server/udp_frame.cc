#include "server/udp_frame.h"

#include <algorithm>
#include <climits>

namespace memfleet::server::udp {
namespace {

uint16_t Get16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

void Put16(uint16_t v, char* p) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v & 0xff);
}

}  // namespace

std::optional<Header> ParseRequestHeader(std::span<const char> datagram) {
  if (datagram.size() <= kHeaderSize) return std::nullopt;
  const char* p = datagram.data();
  return Header{Get16(p), Get16(p + 2), Get16(p + 4), Get16(p + 6)};
}

void WriteHeader(const Header& h, char* out) {
  Put16(h.request_id, out);
  Put16(h.sequence, out + 2);
  Put16(h.total, out + 4);
  Put16(h.reserved, out + 6);
}

void PlanDatagrams(uint16_t request_id, std::span<const Reply> replies,
                   std::vector<Datagram>* out) {
  size_t i = 0;       // the reply at the head of the queue
  size_t offset = 0;  // where reply i's unsent bytes start in the output
  size_t sent = 0;    // bytes of reply i already sent
  uint16_t sequence = 0;
  uint16_t total = 0;
  while (i < replies.size()) {
    const Reply& head = replies[i];
    if (head.skip) {
      offset += head.length;
      ++i;
      continue;
    }
    if (sent == 0) {
      // The datagram count of a message is fixed when its first datagram is built; a
      // reply longer than 65535 datagrams says 65535, as memcached.
      size_t n = (head.length + kMaxData - 1) / kMaxData;
      total = static_cast<uint16_t>(std::min<size_t>(n, USHRT_MAX));
    }
    const size_t len = std::min(head.length - sent, kMaxData);
    out->push_back(Datagram{Header{request_id, sequence, total, 0}, offset + sent, len});
    ++sequence;
    sent += len;
    if (sent < head.length) continue;
    // The head is complete: retire it and every skipped or empty reply right behind it.
    offset += head.length;
    ++i;
    while (i < replies.size() && (replies[i].skip || replies[i].length == 0)) {
      offset += replies[i].length;
      ++i;
    }
    sent = 0;
    sequence = 0;
  }
}

}  // namespace memfleet::server::udp
