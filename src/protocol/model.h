// The protocol-neutral model: one request and one result type that the text, meta and binary
// protocols all map into, so that a router or a client can take a request in any protocol, send
// it upstream in another (memfleet sends meta upstream) and answer in the client's own protocol.
//
// A Request says what is asked (an Op, its key or keys, flags, exptime, cas, delta, value) and how
// the client asked it (the protocol it came in, noreply / quiet, the binary opaque, the meta
// flags it gave, in order, so that a meta request can be re-sent with exactly its flags). A
// Result says what happened: a ResultCode with a severity order in the spirit of mcrouter's
// (hit < miss < client error < remote error < timeout < connect error < TKO) and the returned
// fields (flags, cas, value, ttl, size, the meta W/X/Z flags...). Both hold views: a Request's
// views point into the buffer it was parsed from, a Result's into the reply bytes it was parsed
// from; whoever keeps one past the life of that buffer copies what it needs. Plain data and pure
// functions: any thread may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace memfleet::protocol {

// The wire protocol a request arrived in, or a reply is to be composed in.
enum class Protocol : uint8_t { kText, kMeta, kBinary };

// What a request asks, whatever protocol carried it. A meta command maps to the operation it
// performs: "mg" is kGet (kGets when it asks for the cas, kGat/kGats with T and v, kTouch with T
// and no v), "ms" is kSet/kAdd/kReplace/kAppend/kPrepend by its mode (kCas with C), "md" is
// kDelete, "ma" is kIncr/kDecr, "mn" is kNoop; the meta flags themselves travel in MetaOptions.
enum class Op : uint8_t {
  kGet,
  kGets,
  kGat,
  kGats,
  kTouch,
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kDelete,
  kIncr,
  kDecr,
  kNoop,
  kVersion,
  kStats,
  kFlushAll,
  kVerbosity,
  kQuit,
  kMetaDebug,  // "me": no neutral meaning; passed through
};

// The operation's name as mcrouter's configs spell it ("get", "set", "delete", "incr", ...).
std::string_view OpName(Op op);
// Retrieval operations (get, gets, gat, gats): replies carry values; text allows many keys.
bool IsRetrieval(Op op);
// Operations that change the cache (storage, cas, delete, incr/decr, touch, flush_all).
bool IsWrite(Op op);
// Operations that carry a data block (set, add, replace, append, prepend, cas).
bool IsStorage(Op op);
// Operations bound to one key (everything but noop, version, stats, flush_all, verbosity, quit).
bool HasKey(Op op);

// The meta flags a meta request gave, kept in order so that it can be composed again exactly
// (memcached echoes returned flags in the order they were asked). Empty for text and binary.
struct MetaOptions {
  // Every flag token after the key (and after the data length of ms), as sent, in order.
  std::span<const std::string_view> tokens;
  bool base64_key = false;  // b: `Request::key` is the key as sent, base64
};

struct Request {
  Op op = Op::kGet;
  Protocol protocol = Protocol::kText;

  // The key (the first of a text multi-get). For a meta request with b, the key as sent
  // (base64); for every other request the key itself.
  std::string_view key;
  // Text retrieval: every key as sent, space-separated (walk with text::KeyIterator).
  std::string_view keys;
  uint32_t key_count = 0;  // text retrieval: how many keys `keys` holds, when the parser counted

  uint32_t client_flags = 0;
  int64_t exptime = 0;        // as sent (text/meta: seconds or a unix time; binary: 32 bits)
  uint64_t cas = 0;           // cas to compare (kCas; binary storage with a cas)
  uint64_t delta = 1;         // incr/decr
  uint64_t initial = 0;       // binary/meta incr/decr: value of a created item
  bool create = false;        // binary/meta incr/decr: create a missing item (exptime, initial)
  std::string_view value;     // storage: the data block, when it is held whole
  uint32_t value_length = 0;  // storage: the data block's length (also when streamed)
  std::string_view args;      // stats: the arguments ("items", "slabs"...); verbosity level
  bool has_number = false;    // flush_all: a delay was given (in exptime)

  // How the client asked.
  bool noreply = false;       // text noreply, meta q, binary quiet opcode
  uint32_t opaque = 0;        // binary opaque
  uint8_t binary_opcode = 0;  // binary: the opcode as sent (quiet and key-returning variants)
  MetaOptions meta;
};

// What happened, ordered by severity (least severe first; see Severity).
enum class ResultCode : uint8_t {
  // Hits: the operation found or did what it was asked.
  kFound,    // a value (or the item, for mg without v), or an incr/decr result
  kStored,   // set/add/replace/append/prepend/cas stored
  kDeleted,  // delete removed the item
  kTouched,  // touch/gat refreshed the item
  kOk,       // noop, version, stats, flush_all, verbosity
  // Misses: the server answered, the key was not in the state the operation needs.
  kNotFound,   // miss; delete/touch/incr/cas of a missing key
  kNotStored,  // add of an existing key, replace/append/prepend of a missing one
  kExists,     // cas mismatch
  // Errors.
  kClientError,     // the request itself is bad (ERROR, CLIENT_ERROR): every server refuses it
  kRemoteError,     // the server failed it (SERVER_ERROR: out of memory, too large...)
  kTimeout,         // no reply in time
  kConnectTimeout,  // no connection in time
  kConnectError,    // connection refused, reset or closed
  kTko,             // the destination is marked down; failed fast without being sent
};

// Why an error happened, where the protocols name it differently (memcached's binary statuses).
enum class ErrorDetail : uint8_t {
  kNone,
  kTooLarge,          // "SERVER_ERROR object too large for cache"; binary "Too large."
  kOutOfMemory,       // "SERVER_ERROR out of memory ..."; binary "Out of memory"
  kNonNumeric,        // "CLIENT_ERROR cannot increment or decrement non-numeric value"
  kBadDataChunk,      // "CLIENT_ERROR bad data chunk"
  kUnknownCommand,    // "ERROR"; binary "Unknown command"
  kInvalidArguments,  // binary "Invalid arguments"
  kOther,
};

int Severity(ResultCode code);
// True when a is strictly worse than b (the reply an all-sync route keeps).
inline bool WorseThan(ResultCode a, ResultCode b) { return Severity(a) > Severity(b); }
bool IsHit(ResultCode code);
bool IsMiss(ResultCode code);
bool IsError(ResultCode code);
// An error that another destination might not have: remote error, timeout, connect error, TKO.
// A client error is not one: every server refuses a bad request alike.
bool IsFailoverError(ResultCode code);
std::string_view ResultCodeName(ResultCode code);

struct Result {
  ResultCode code = ResultCode::kOk;
  ErrorDetail detail = ErrorDetail::kNone;
  // The whole error line without "\r\n", as the server sent it ("SERVER_ERROR out of memory
  // storing object"); for binary, the error body ("Not found").
  std::string_view message;

  bool has_value = false;
  std::string_view value;  // when held whole (see the reply parsers for streamed values)
  uint32_t value_length = 0;
  bool has_flags = false;
  uint32_t client_flags = 0;
  bool has_cas = false;
  uint64_t cas = 0;
  bool has_number = false;
  uint64_t number = 0;  // incr/decr result
  // Meta returned flags.
  bool has_ttl = false;
  int64_t ttl = 0;  // remaining seconds, -1: never expires
  bool has_size = false;
  uint32_t size = 0;
  bool has_last_access = false;
  uint64_t last_access = 0;
  bool has_hit_before = false;
  bool hit_before = false;
  // ma with N under q: the item was created by this request, which memcached answers even under
  // q (an existing item's success stays quiet). Only the translation layer can know it (see
  // translate.h); a reply parser leaves it false.
  bool created = false;
  bool win = false;         // W
  bool stale = false;       // X
  bool win_sent = false;    // Z
  std::string_view key;     // k (base64 when base64_key)
  bool base64_key = false;  // b
  std::string_view opaque;  // meta O token without the 'O'
  uint32_t binary_opaque = 0;
  std::string_view text;  // version string; a stats line's "name value"
};

}  // namespace memfleet::protocol
