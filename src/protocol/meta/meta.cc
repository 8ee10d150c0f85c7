// Meta protocol flag parsing and reply composition (see meta.h).
#include "protocol/meta/meta.h"

#include <array>
#include <cstring>

#include "protocol/meta/vocabulary.h"
#include "protocol/text/number.h"
#include "protocol/text/reply.h"

namespace memfleet::protocol::meta {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kNotBase64 = 0x80;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kNotBase64;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  t['='] = 0;
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

bool MarkSeen(MetaFlags* f, uint8_t c) {
  uint64_t& word = c < 64 ? f->seen_lo : f->seen_hi;
  uint64_t bit = uint64_t{1} << (c < 64 ? c : c - 64);
  if (word & bit) return false;
  word |= bit;
  return true;
}

// memcached's _meta_flag_preparse: the first bad token whose error returns at once (duplicate
// or unknown flag) wins; otherwise the last error message set, or the default, is reported.
std::string_view Preparse(std::string_view key, std::span<const std::string_view> tokens,
                          char* key_buf, MetaFlags* f) {
  std::string_view err = kErrBadFormat;
  bool has_error = false;
  f->key = key;
  for (std::string_view tok : tokens) {
    auto o = static_cast<uint8_t>(tok[0]);
    if (o >= 127 || !MarkSeen(f, o)) return kErrDuplicateFlag;
    std::string_view arg = tok.substr(1);
    switch (o) {
      case 'b': {
        size_t n = Base64Decode(key, key_buf, key.size());
        if (n == 0) {
          err = kErrDecodeKey;
          has_error = true;
        }
        f->key = std::string_view(key_buf, n);
        f->key_binary = true;
        break;
      }
      case 'N':
        f->vivify = true;
        if (!text::ParseInt32(arg, &f->vivify_ttl)) {
          err = kErrBadToken;
          has_error = true;
        }
        break;
      case 'T':
        if (!text::ParseInt32(arg, &f->ttl)) {
          err = kErrBadToken;
          has_error = true;
        } else {
          f->touch = true;
        }
        break;
      case 'R':
        if (!text::ParseInt32(arg, &f->recache_ttl)) {
          err = kErrBadToken;
          has_error = true;
        } else {
          f->recache = true;
        }
        break;
      case 'l':
      case 'O':
      case 'P':
      case 'L':
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
      case 'h':
        break;
      case 'v':
        f->value = true;
        break;
      case 'u':
        f->no_update = true;
        break;
      case 'q':
        f->quiet = true;
        break;
      case 'F':
        if (!text::ParseUint32(arg, &f->client_flags)) has_error = true;
        break;
      case 'C':
        if (!text::ParseUint64(arg, &f->cas)) {
          err = kErrBadToken;
          has_error = true;
        } else {
          f->has_cas = true;
        }
        break;
      case 'M':
        if (tok.size() != 2) {
          err = kErrModeLength;
          has_error = true;
        } else {
          f->mode = tok[1];
        }
        break;
      case 'J':
        if (!text::ParseUint64(arg, &f->initial)) {
          err = kErrInitial;
          has_error = true;
        }
        break;
      case 'D':
        if (!text::ParseUint64(arg, &f->delta)) {
          err = kErrDelta;
          has_error = true;
        }
        break;
      case 'I':
        f->set_stale = true;
        break;
      default:
        return kErrInvalidFlag;
    }
    if (o == 'O') f->opaque = tok;
  }
  return has_error ? err : std::string_view();
}

}  // namespace

std::string_view ParseMetaFlags(MetaCommand cmd, std::string_view key,
                                std::span<const std::string_view> tokens, char* key_buf,
                                MetaFlags* flags) {
  std::string_view err = Preparse(key, tokens, key_buf, flags);
  if (!err.empty()) {
    // md and ma report every preparse failure the same way.
    if (cmd == MetaCommand::kDelete || cmd == MetaCommand::kArithmetic)
      return kErrInvalidOrDuplicateFlag;
    return err;
  }
  // ms and ma check their mode before anything that composes the reply.
  if (cmd == MetaCommand::kSet) {
    switch (flags->mode) {
      case 0:
      case 'E':
      case 'A':
      case 'P':
      case 'R':
      case 'S':
        break;
      default:
        return kErrSetMode;
    }
  } else if (cmd == MetaCommand::kArithmetic) {
    switch (flags->mode) {
      case 0:
      case 'I':
      case '+':
      case 'D':
      case '-':
        break;
      default:
        return kErrArithmeticMode;
    }
  }
  if (flags->opaque.size() > kMaxOpaqueLength) return kErrOpaqueTooLong;
  return {};
}

// Jouni Malinen's decoder, as memcached uses it: characters outside the alphabet are skipped,
// the rest must come in groups of four, and padding ends the input.
size_t Base64Decode(std::string_view in, char* out, size_t cap) {
  size_t count = 0;
  for (char c : in) {
    if (kDecode[static_cast<uint8_t>(c)] != kNotBase64) ++count;
  }
  if (count == 0 || count % 4 != 0) return 0;
  if (count / 4 * 3 > cap) return 0;
  uint8_t block[4];
  size_t n = 0;
  int pad = 0;
  char* pos = out;
  for (char c : in) {
    uint8_t v = kDecode[static_cast<uint8_t>(c)];
    if (v == kNotBase64) continue;
    if (c == '=') ++pad;
    block[n++] = v;
    if (n == 4) {
      *pos++ = static_cast<char>((block[0] << 2) | (block[1] >> 4));
      *pos++ = static_cast<char>((block[1] << 4) | (block[2] >> 2));
      *pos++ = static_cast<char>((block[2] << 6) | block[3]);
      n = 0;
      if (pad > 0) {
        if (pad == 1) {
          pos -= 1;
        } else if (pad == 2) {
          pos -= 2;
        } else {
          return 0;
        }
        break;
      }
    }
  }
  return static_cast<size_t>(pos - out);
}

size_t Base64Encode(std::string_view in, char* out) {
  const auto* s = reinterpret_cast<const uint8_t*>(in.data());
  size_t len = in.size();
  char* p = out;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    *p++ = kAlphabet[s[i] >> 2];
    *p++ = kAlphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
    *p++ = kAlphabet[((s[i + 1] & 0x0f) << 2) | (s[i + 2] >> 6)];
    *p++ = kAlphabet[s[i + 2] & 0x3f];
  }
  if (i < len) {
    *p++ = kAlphabet[s[i] >> 2];
    if (i + 1 == len) {
      *p++ = kAlphabet[(s[i] & 0x03) << 4];
      *p++ = '=';
    } else {
      *p++ = kAlphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
      *p++ = kAlphabet[(s[i + 1] & 0x0f) << 2];
    }
    *p++ = '=';
  }
  return static_cast<size_t>(p - out);
}

void MetaReplyWriter::Code(std::string_view code) {
  std::memcpy(p_, code.data(), code.size());
  p_ += code.size();
}

void MetaReplyWriter::Value(uint32_t length) {
  std::memcpy(p_, "VA ", 3);
  p_ += 3;
  p_ += text::FormatUint64(p_, length);
}

void MetaReplyWriter::Flag(char c, uint64_t n) {
  *p_++ = ' ';
  *p_++ = c;
  p_ += text::FormatUint64(p_, n);
}

void MetaReplyWriter::Ttl(bool never, uint32_t remaining) {
  if (never) {
    std::memcpy(p_, " t-1", 4);
    p_ += 4;
    return;
  }
  Flag('t', remaining);
}

void MetaReplyWriter::Char(char c) {
  *p_++ = ' ';
  *p_++ = c;
}

void MetaReplyWriter::Opaque(std::string_view token) {
  *p_++ = ' ';
  std::memcpy(p_, token.data(), token.size());
  p_ += token.size();
}

void MetaReplyWriter::Key(std::string_view key, bool binary) {
  Char('k');
  if (!binary) {
    std::memcpy(p_, key.data(), key.size());
    p_ += key.size();
    return;
  }
  p_ += Base64Encode(key, p_);
  std::memcpy(p_, " b", 2);
  p_ += 2;
}

size_t MetaReplyWriter::End() {
  *p_++ = '\r';
  *p_++ = '\n';
  return size();
}

}  // namespace memfleet::protocol::meta
