#include "protocol/text/key_scan.h"

#include <cstring>

#include "protocol/key.h"

namespace memfleet::protocol::text {
namespace {

enum class Layout : uint8_t {
  kUnknown,
  kNoKey,       // mn
  kKey,         // get, gets, mg, md, ma, touch, delete, incr, decr: the key is token 1
  kExptimeKey,  // gat, gats: token 1 is the exptime, token 2 the first key
  kStorage,     // set, add, replace, append, prepend, cas: key flags exptime bytes ...
  kMetaSet,     // ms: key datalen ...
};

Layout Classify(std::string_view cmd) {
  switch (cmd.size()) {
    case 2:
      if (cmd == "mg" || cmd == "md" || cmd == "ma") return Layout::kKey;
      if (cmd == "ms") return Layout::kMetaSet;
      if (cmd == "mn") return Layout::kNoKey;
      return Layout::kUnknown;
    case 3:
      if (cmd == "get") return Layout::kKey;
      if (cmd == "set" || cmd == "add" || cmd == "cas") return Layout::kStorage;
      if (cmd == "gat") return Layout::kExptimeKey;
      return Layout::kUnknown;
    case 4:
      if (cmd == "gets" || cmd == "incr" || cmd == "decr") return Layout::kKey;
      if (cmd == "gats") return Layout::kExptimeKey;
      return Layout::kUnknown;
    case 5:
      return cmd == "touch" ? Layout::kKey : Layout::kUnknown;
    case 6:
      if (cmd == "delete") return Layout::kKey;
      if (cmd == "append") return Layout::kStorage;
      return Layout::kUnknown;
    case 7:
      return cmd == "replace" || cmd == "prepend" ? Layout::kStorage : Layout::kUnknown;
    default:
      return Layout::kUnknown;
  }
}

std::string_view NextToken(std::string_view line, size_t* pos) {
  size_t i = *pos;
  while (i < line.size() && line[i] == ' ') i++;
  const size_t start = i;
  const void* sp = std::memchr(line.data() + i, ' ', line.size() - i);
  i = sp == nullptr ? line.size() : static_cast<size_t>(static_cast<const char*>(sp) - line.data());
  *pos = i;
  return line.substr(start, i - start);
}

// A data block length: 1 to 10 digits (anything else stops the scan; the parser reports it).
bool ParseLength(std::string_view t, size_t* out) {
  if (t.empty() || t.size() > 10) return false;
  size_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

KeyScanResult ScanKeys(std::string_view buf, std::string_view* keys, size_t max_keys) {
  KeyScanResult r;
  size_t pos = 0;
  while (r.keys < max_keys && pos < buf.size()) {
    const void* nl = std::memchr(buf.data() + pos, '\n', buf.size() - pos);
    if (nl == nullptr) break;
    const size_t eol = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
    std::string_view line = buf.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t tp = 0;
    const Layout layout = Classify(NextToken(line, &tp));
    if (layout == Layout::kUnknown) break;
    size_t next = eol + 1;
    std::string_view key;
    if (layout != Layout::kNoKey) {
      if (layout == Layout::kExptimeKey) NextToken(line, &tp);
      key = NextToken(line, &tp);
    }
    if (layout == Layout::kStorage || layout == Layout::kMetaSet) {
      if (layout == Layout::kStorage) {
        NextToken(line, &tp);  // flags
        NextToken(line, &tp);  // exptime
      }
      size_t bytes = 0;
      if (!ParseLength(NextToken(line, &tp), &bytes)) break;
      next += bytes + 2;
      if (next > buf.size()) break;  // the data block has not arrived
    }
    if (protocol::KeyLengthOk(key)) keys[r.keys++] = key;
    pos = next;
  }
  r.scanned = pos;
  return r;
}

}  // namespace memfleet::protocol::text
