// translation_check: proves, against live servers, that the translation layer
// (src/protocol/translate.h) answers a client exactly as the server would have answered it.
//
// It reads a corpus of client requests (text, meta, or binary ones described by fields), and for
// each one:
//   1. sends the request as is to the DIRECT server and keeps its reply bytes;
//   2. parses the same bytes with the server-side parsers into the neutral model, composes the
//      upstream request(s) (meta, or text for version/stats/flush_all), sends them to the
//      TRANSLATED server, parses its replies and composes the client's reply from them;
//   3. compares the two replies byte for byte.
// The two servers start empty and see the same operations in the same order, so their cas values
// agree. Each exchange ends with a barrier (text/meta "mn", binary noop) whose reply marks the end
// of the reply, so no reply is ever cut by timing. Every wait is bounded (5 s).
//
// Usage: translation_check DIRECT_HOST:PORT TRANSLATED_HOST:PORT CORPUS
// Corpus lines ('#' starts a comment; C escapes \r \n \t \\ \xHH; "$CAS" is replaced by the last
// cas the direct server returned):
//   text <request bytes>                 e.g.  text set k 0 0 2\r\nhi\r\n
//   meta <request bytes>                 e.g.  meta mg k v f c k Oabc\r\n
//   binary <opcode> [k=KEY] [v=VALUE] [f=FLAGS] [e=EXPTIME] [c=CAS|$CAS] [d=DELTA] [i=INITIAL]
//          [o=OPAQUE]                    e.g.  binary getkq k=foo o=7
// Prints one line per case and a summary "N passed, M failed"; exits 1 on any failure.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/binary/binary.h"
#include "protocol/binary/client.h"
#include "protocol/client_request.h"
#include "protocol/meta/client.h"
#include "protocol/meta/meta.h"
#include "protocol/model.h"
#include "protocol/text/client.h"
#include "protocol/text/request.h"
#include "protocol/translate.h"

namespace {

namespace p = memfleet::protocol;
namespace text = memfleet::protocol::text;
namespace meta = memfleet::protocol::meta;
namespace bin = memfleet::protocol::binary;

constexpr int kWaitMs = 5000;
constexpr uint32_t kBarrierOpaque = 0xfeedface;
constexpr std::string_view kTextBarrier = "mn\r\n";
constexpr std::string_view kTextBarrierReply = "MN\r\n";

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[5];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      case 's':
        out += ' ';
        break;
      case 'x': {
        if (i + 2 >= s.size() + 0 && i + 2 > s.size()) return std::nullopt;
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

class Conn {
 public:
  bool Open(const std::string& hostport) {
    size_t colon = hostport.rfind(':');
    if (colon == std::string::npos) return false;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1))));
    if (inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &a.sin_addr) != 1) return false;
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return true;
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  bool Send(std::string_view b) {
    while (!b.empty()) {
      ssize_t n = send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      b.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until the bytes received end with `tail`; returns them without the tail.
  std::optional<std::string> ReadUntilTail(std::string_view tail) {
    std::string got;
    while (got.size() < tail.size() ||
           std::string_view(got).substr(got.size() - tail.size()) != tail) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, kWaitMs) != 1) return std::nullopt;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return std::nullopt;
      got.append(buf, static_cast<size_t>(n));
    }
    got.resize(got.size() - tail.size());
    return got;
  }

 private:
  int fd_ = -1;
};

std::string BinaryBarrier() {
  p::Request r;
  r.op = p::Op::kNoop;
  r.protocol = p::Protocol::kBinary;
  r.binary_opcode = static_cast<uint8_t>(bin::Opcode::kNoop);
  r.opaque = kBarrierOpaque;
  std::string out;
  bin::ComposeRequest(r, &out);
  return out;
}

std::string BinaryBarrierReply() {
  char h[bin::kHeaderSize];
  bin::EncodeResponseHeader(h, static_cast<uint8_t>(bin::Opcode::kNoop), bin::Status::kSuccess, 0,
                            0, 0, kBarrierOpaque, 0);
  return std::string(h, sizeof(h));
}

const std::map<std::string, bin::Opcode>& BinaryOpcodes() {
  static const auto* m = new std::map<std::string, bin::Opcode>{
      {"get", bin::Opcode::kGet},         {"getq", bin::Opcode::kGetQ},
      {"getk", bin::Opcode::kGetK},       {"getkq", bin::Opcode::kGetKQ},
      {"set", bin::Opcode::kSet},         {"setq", bin::Opcode::kSetQ},
      {"add", bin::Opcode::kAdd},         {"addq", bin::Opcode::kAddQ},
      {"replace", bin::Opcode::kReplace}, {"replaceq", bin::Opcode::kReplaceQ},
      {"delete", bin::Opcode::kDelete},   {"deleteq", bin::Opcode::kDeleteQ},
      {"incr", bin::Opcode::kIncrement},  {"incrq", bin::Opcode::kIncrementQ},
      {"decr", bin::Opcode::kDecrement},  {"decrq", bin::Opcode::kDecrementQ},
      {"append", bin::Opcode::kAppend},   {"appendq", bin::Opcode::kAppendQ},
      {"prepend", bin::Opcode::kPrepend}, {"prependq", bin::Opcode::kPrependQ},
      {"touch", bin::Opcode::kTouch},     {"gat", bin::Opcode::kGat},
      {"gatq", bin::Opcode::kGatQ},       {"gatk", bin::Opcode::kGatK},
      {"gatkq", bin::Opcode::kGatKQ},     {"noop", bin::Opcode::kNoop},
      {"version", bin::Opcode::kVersion}, {"flush", bin::Opcode::kFlush},
      {"flushq", bin::Opcode::kFlushQ},
  };
  return *m;
}

// Builds a binary request from "opcode k=.. v=.. ..." fields through the library's composer.
std::optional<std::string> ComposeBinary(std::string_view spec, uint64_t last_cas) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t sp = spec.find(' ', pos);
    if (sp == std::string_view::npos) sp = spec.size();
    if (sp > pos) fields.emplace_back(spec.substr(pos, sp - pos));
    pos = sp + 1;
  }
  if (fields.empty()) return std::nullopt;
  auto it = BinaryOpcodes().find(fields[0]);
  if (it == BinaryOpcodes().end()) return std::nullopt;
  // The neutral request is filled the way binary::ToNeutral would; ComposeRequest uses the opcode.
  std::string key, value;
  p::Request r;
  r.protocol = p::Protocol::kBinary;
  r.binary_opcode = static_cast<uint8_t>(it->second);
  bin::OpcodeInfo info = bin::DescribeOpcode(r.binary_opcode);
  r.noreply = info.quiet;
  uint32_t exptime = 0;
  bool has_exptime = false;
  for (size_t i = 1; i < fields.size(); ++i) {
    std::string_view f = fields[i];
    if (f.size() < 2 || f[1] != '=') return std::nullopt;
    std::optional<std::string> v = Unescape(f.substr(2));
    if (!v) return std::nullopt;
    switch (f[0]) {
      case 'k':
        key = *v;
        break;
      case 'v':
        value = *v;
        break;
      case 'f':
        r.client_flags = static_cast<uint32_t>(std::stoul(*v));
        break;
      case 'e':
        exptime = static_cast<uint32_t>(std::stoul(*v));
        has_exptime = true;
        break;
      case 'c':
        r.cas = *v == "$CAS" ? last_cas : std::stoull(*v);
        break;
      case 'd':
        r.delta = std::stoull(*v);
        break;
      case 'i':
        r.initial = std::stoull(*v);
        break;
      case 'o':
        r.opaque = static_cast<uint32_t>(std::stoul(*v));
        break;
      default:
        return std::nullopt;
    }
  }
  static std::string held_key, held_value;  // the views below must outlive this call
  held_key = key;
  held_value = value;
  r.key = held_key;
  r.keys = held_key;
  r.value = held_value;
  r.value_length = static_cast<uint32_t>(held_value.size());
  r.exptime = exptime;
  switch (info.base) {
    case bin::Opcode::kGet:
    case bin::Opcode::kGetK:
      r.op = p::Op::kGet;
      break;
    case bin::Opcode::kGat:
    case bin::Opcode::kGatK:
      r.op = p::Op::kGat;
      break;
    case bin::Opcode::kTouch:
      r.op = p::Op::kTouch;
      break;
    case bin::Opcode::kSet:
      r.op = r.cas ? p::Op::kCas : p::Op::kSet;
      break;
    case bin::Opcode::kAdd:
      r.op = p::Op::kAdd;
      break;
    case bin::Opcode::kReplace:
      r.op = p::Op::kReplace;
      break;
    case bin::Opcode::kAppend:
      r.op = p::Op::kAppend;
      break;
    case bin::Opcode::kPrepend:
      r.op = p::Op::kPrepend;
      break;
    case bin::Opcode::kDelete:
      r.op = p::Op::kDelete;
      break;
    case bin::Opcode::kIncrement:
      r.op = p::Op::kIncr;
      break;
    case bin::Opcode::kDecrement:
      r.op = p::Op::kDecr;
      break;
    case bin::Opcode::kNoop:
      r.op = p::Op::kNoop;
      break;
    case bin::Opcode::kVersion:
      r.op = p::Op::kVersion;
      break;
    case bin::Opcode::kFlush:
      r.op = p::Op::kFlushAll;
      r.has_number = has_exptime;
      break;
    default:
      return std::nullopt;
  }
  if (r.op == p::Op::kIncr || r.op == p::Op::kDecr) {
    r.create = !has_exptime || exptime != bin::kNoCreate;
  }
  std::string out;
  bin::ComposeRequest(r, &out);
  return out;
}

// The client's request in the neutral model, through the server-side parsers
// (ParseClientRequest); a request refused there is answered locally, as the server would.
struct Parsed {
  p::ClientRequest client;
  std::string error;
  std::optional<std::string> local_reply;
};

bool ParseClient(p::Protocol proto, std::string_view bytes, Parsed* out) {
  p::ClientParse pr = p::ParseClientRequest(
      proto == p::Protocol::kBinary ? p::Protocol::kBinary : p::Protocol::kText, bytes,
      &out->client);
  switch (pr.status) {
    case p::ClientParseStatus::kOk:
      return true;
    case p::ClientParseStatus::kError:
      if (proto != p::Protocol::kBinary) {
        out->local_reply = pr.noreply ? std::string() : std::string(pr.error) + "\r\n";
        return false;
      }
      out->error = "binary request refused";
      return false;
    default:
      out->error = "request does not parse into the neutral model";
      return false;
  }
}

// Sends one upstream request (one key) and returns the client-reply bytes it translates to.
std::optional<std::string> Translate(Conn& up, const p::Request& req, std::string* why) {
  std::string wire;
  p::ComposeUpstreamRequest(req, &wire);
  wire += kTextBarrier;
  if (!up.Send(wire)) {
    *why = "send to translated server failed";
    return std::nullopt;
  }
  // A request with its own barrier (UpstreamHasBarrier) ends in that barrier's MN, then ours; so
  // does mn itself. Reading only up to the first MN would leave the second for the next request.
  bool own_mn = p::UpstreamHasBarrier(req) || req.op == p::Op::kNoop;
  std::string tail(kTextBarrierReply);
  if (own_mn) tail += kTextBarrierReply;
  std::optional<std::string> reply = up.ReadUntilTail(tail);
  if (reply && own_mn) *reply += kTextBarrierReply;
  if (!reply) {
    *why = "no reply from translated server";
    return std::nullopt;
  }
  std::string out;
  std::string_view rest = *reply;
  // A stats reply is many parts; every other upstream reply is one.
  bool multi = req.op == p::Op::kStats;
  std::string stats_body;
  while (true) {
    p::Result r;
    p::ReplyParse pr = p::ParseUpstreamReply(rest, req, &r);
    if (pr.status != p::ReplyStatus::kOk) {
      *why = "upstream reply does not parse: " + Escape(rest.substr(0, 200)) + " (upstream " +
             Escape(wire.substr(0, 200)) + ")";
      return std::nullopt;
    }
    rest.remove_prefix(pr.consumed);
    if (!multi) {
      if (!rest.empty()) {
        *why = "upstream reply has bytes past one reply: " + Escape(rest.substr(0, 200));
        return std::nullopt;
      }
      p::ComposeClientReply(req, r, &out);
      return out;
    }
    if (pr.part == p::ReplyPart::kStat) {
      out += "STAT ";
      out += r.text;
      out += "\r\n";
      continue;
    }
    out += "END\r\n";
    return out;
  }
}

struct Servers {
  Conn direct_text, direct_binary, upstream;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIRECT_HOST:PORT TRANSLATED_HOST:PORT CORPUS\n", argv[0]);
    return 2;
  }
  Servers s;
  if (!s.direct_text.Open(argv[1]) || !s.direct_binary.Open(argv[1]) || !s.upstream.Open(argv[2])) {
    std::fprintf(stderr, "cannot connect\n");
    return 2;
  }
  std::ifstream in(argv[3]);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[3]);
    return 2;
  }
  const std::string bin_barrier = BinaryBarrier();
  const std::string bin_barrier_reply = BinaryBarrierReply();
  uint64_t last_cas = 0;
  int passed = 0, failed = 0, lineno = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find(' ');
    std::string kind = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    p::Protocol proto;
    std::optional<std::string> bytes;
    if (kind == "text" || kind == "meta") {
      proto = kind == "text" ? p::Protocol::kText : p::Protocol::kMeta;
      size_t at = rest.find("$CAS");
      if (at != std::string::npos) rest.replace(at, 4, std::to_string(last_cas));
      bytes = Unescape(rest);
    } else if (kind == "binary") {
      proto = p::Protocol::kBinary;
      bytes = ComposeBinary(rest, last_cas);
    } else {
      std::fprintf(stderr, "line %d: unknown kind '%s'\n", lineno, kind.c_str());
      return 2;
    }
    if (!bytes) {
      std::fprintf(stderr, "line %d: bad corpus line\n", lineno);
      return 2;
    }
    // 1. Direct.
    Conn& direct = proto == p::Protocol::kBinary ? s.direct_binary : s.direct_text;
    std::string_view barrier =
        proto == p::Protocol::kBinary ? std::string_view(bin_barrier) : kTextBarrier;
    std::string_view barrier_reply =
        proto == p::Protocol::kBinary ? std::string_view(bin_barrier_reply) : kTextBarrierReply;
    std::optional<std::string> want;
    // A text/meta request that ends in its own mn is answered with an MN before the barrier's:
    // read up to both (the two can arrive in separate reads), then keep the request's own.
    const bool own_mn = proto != p::Protocol::kBinary && bytes->ends_with(kTextBarrier);
    std::string direct_tail(barrier_reply);
    if (own_mn) direct_tail += kTextBarrierReply;
    if (direct.Send(*bytes + std::string(barrier))) want = direct.ReadUntilTail(direct_tail);
    if (want && own_mn) *want += kTextBarrierReply;
    // 2. Translated.
    Parsed parsed;
    std::string why;
    std::optional<std::string> got;
    if (!want) {
      why = "no reply from the direct server";
    } else if (ParseClient(proto, *bytes, &parsed)) {
      const p::Request& req = parsed.client.req;
      if (proto == p::Protocol::kText && p::IsRetrieval(req.op)) {
        std::string out;
        bool ok = true, error = false;
        text::KeyIterator keys(req.keys);
        std::string_view key;
        while (ok && !error && keys.Next(&key)) {
          p::Request one = p::SingleKey(req, key);
          std::string w;
          p::ComposeUpstreamRequest(one, &w);
          w += kTextBarrier;
          std::optional<std::string> reply;
          if (s.upstream.Send(w)) reply = s.upstream.ReadUntilTail(kTextBarrierReply);
          p::Result r;
          p::ReplyParse pr{};
          if (reply) pr = p::ParseUpstreamReply(*reply, one, &r);
          if (!reply || pr.status != p::ReplyStatus::kOk || pr.consumed != reply->size()) {
            why = "upstream retrieval reply does not parse: " + Escape(reply.value_or(""));
            ok = false;
          } else if (p::IsError(r.code)) {
            // An error ends the client's reply: memcached sends the error line alone.
            out.clear();
            p::ComposeClientReply(one, r, &out);
            error = true;
          } else {
            p::ComposeClientValue(req, key, r, &out);
          }
        }
        if (ok) {
          if (!error) p::ComposeClientEnd(req, &out);
          got = out;
        }
      } else {
        got = Translate(s.upstream, req, &why);
      }
    } else if (parsed.local_reply) {
      got = *parsed.local_reply;
    } else {
      why = parsed.error;
    }
    if (want && got && *want == *got) {
      ++passed;
      std::printf("ok   %d %s\n", lineno, Escape(line.substr(0, 100)).c_str());
    } else {
      ++failed;
      std::printf("FAIL %d %s\n", lineno, Escape(line.substr(0, 100)).c_str());
      if (want) std::printf("     direct:     %s\n", Escape(*want).c_str());
      if (got) std::printf("     translated: %s\n", Escape(*got).c_str());
      if (!why.empty()) std::printf("     %s\n", why.c_str());
    }
    // The cas for "$CAS": from the direct reply, read back with the client protocol's parser.
    if (want) {
      std::string_view rb = *want;
      while (!rb.empty()) {
        p::Result r;
        p::ReplyParse pr;
        if (proto == p::Protocol::kText) {
          pr = text::ParseReply(rb, parsed.client.req.op, &r);
        } else if (proto == p::Protocol::kMeta) {
          pr = meta::ParseReply(rb, parsed.client.req.op, &r);
        } else {
          bin::ReplyInfo info;
          pr = bin::ParseReply(rb, &r, &info);
        }
        if (pr.status != p::ReplyStatus::kOk || pr.consumed == 0) break;
        if (r.has_cas && r.cas != 0) last_cas = r.cas;
        rb.remove_prefix(pr.consumed);
      }
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
