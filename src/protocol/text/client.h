// The client half of memcached's text protocol and its mapping to the neutral model
// (protocol/model.h): a router or a client library composes text requests and parses text replies
// here, and a router answering a text client composes its replies here, so that none of them
// writes protocol bytes of its own.
//
// - ToNeutral maps a request parsed by the server-side parser (request.h) into a neutral Request.
// - ComposeRequestHead / ComposeRequest write a neutral Request as a text command line (and data
//   block). Where text cannot say what the Request asks, the closest text command is written:
//     * kSet or kReplace with a non-zero cas (binary's compare-and-swap) is written as "cas";
//       add/append/prepend drop the cas (text has no way to send it);
//     * incr/decr with `create` is a plain incr/decr: a missing key answers NOT_FOUND instead of
//       being created (text cannot create on incr);
//     * kNoop is "mn" and kMetaDebug is "me <key>": memcached answers meta commands on a text
//       connection, and text has no no-op of its own;
//     * verbosity writes `args` (the level as sent), "1" when args is empty;
//     * a retrieval with noreply (binary getq, meta q) is a plain get: text has no quiet get, so
//       the caller drops what it does not want (the END of a miss).
// - ParseReplyHead / ParseReply parse one reply head (see stream.h) of a text reply stream. The
//   context is the Op of the request being answered: VALUE lines come only for retrieval, STAT
//   lines only for stats, a bare number only for incr/decr, VERSION only for version. Lines are
//   bounded (kMaxReplyLine); a line not ending in "\r\n", a bad VALUE line or a reply that does
//   not fit the Op is kMalformed: the stream cannot be followed any more.
//   Error lines fit every Op: "ERROR" is kClientError + kUnknownCommand; "ERROR <reason>" (too
//   many connections, a refused admin command) is kRemoteError + kOther; "CLIENT_ERROR ..." is
//   kClientError (kNonNumeric, kBadDataChunk, kInvalidArguments for exactly "bad command line
//   format", else kOther); "SERVER_ERROR ..." is kRemoteError (kTooLarge, kOutOfMemory, else
//   kOther). r->message is the whole line. "ITEM ..." and "PREFIX ..." lines of stats cachedump
//   and stats detail dump are kStat parts with the whole line in r->text.
// - ComposeReply, ComposeValue(Head), ComposeStat, ComposeEnd write the bytes memcached 1.6.18
//   sends a text client for a neutral Result. On the commands that honour noreply (storage,
//   incr/decr, delete, touch, flush_all, verbosity) it suppresses every reply, errors included,
//   except "ERROR" (an unknown command: memcached cannot know the line asked for no reply);
//   memcached 1.6.18 was checked to do the same, bad data chunk and too large included.
//   Failures the router has on its own (kTimeout, kConnectTimeout, kConnectError, kTko) are
//   answered as memcached-speaking routers do, with a SERVER_ERROR line naming the failure
//   (vocabulary.h's kErrorRouter* lines, shared with meta and binary); parsed back, those are
//   ordinary kRemoteError results.
//
// Ownership: parsed Requests and Results hold views into the caller's buffer; composers append
// to the caller's std::string. Pure functions: any thread may call them. The parsers never
// allocate and never read past `buf`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/model.h"
#include "protocol/stream.h"
#include "protocol/text/request.h"

namespace memfleet::protocol::text {

// A reply line longer than this without "\r\n" is kMalformed (memcached's longest lines, VALUE
// with a 250-byte key and STAT lines, are far shorter).
inline constexpr size_t kMaxReplyLine = 8192;

// Maps a parsed text request into the neutral model. Returns false for commands with no neutral
// form: operator commands (shutdown, cache_memlimit, slabs, lru_crawler, lru, watch, misbehave,
// extstore, refresh_certs) and meta commands (the meta module maps those). out->value stays
// empty (the data block is not part of the line); out->value_length is set. Stats: args is the
// rest of the line after "stats"; verbosity: args is the level token; flush_all: exptime is the
// delay and has_number says whether one was given.
bool ToNeutral(const Request& parsed, protocol::Request* out);

// True when every key of `req` can travel in a text command line: 1..250 bytes without a space,
// "\r", "\n" or NUL (binary and base64-decoded meta keys may hold any byte). A request with a
// key text cannot carry must go upstream in another protocol; composing it would put the stream
// out of step.
bool CanCompose(const protocol::Request& req);

// Appends the text command line of `req`, "\r\n" included (REQUIRES: CanCompose(req)); for a
// storage request, everything up to (not including) the data block, whose length is
// req.value.size() when req.value is set and req.value_length otherwise.
void ComposeRequestHead(const protocol::Request& req, std::string* out);
// Appends the whole request: the head, then for storage req.value and "\r\n".
void ComposeRequest(const protocol::Request& req, std::string* out);

// Parses one reply head at the front of buf for a request of `op` into *r (reset first).
// kOk: `consumed` bytes are the head line; a VALUE head sets has_value, value_length and
// trailer "\r\n" (and r->has_value, r->value_length, r->key, r->client_flags, r->cas) and the
// value follows. Never reads past buf, never allocates.
protocol::ReplyParse ParseReplyHead(std::string_view buf, protocol::Op op, protocol::Result* r);
// As ParseReplyHead, but a VALUE head is kIncomplete until its value and trailer are in buf;
// then r->value views the value and `consumed` covers head, value and trailer. A trailer other
// than "\r\n" is kMalformed.
protocol::ReplyParse ParseReply(std::string_view buf, protocol::Op op, protocol::Result* r);

// Appends memcached's reply to `req` for the outcome `r`. Retrieval: "VALUE ..." with r.value
// (when r is a hit with a value; key r.key, else req.key) and "END"; a miss is "END". Multi-key
// retrievals use ComposeValue per hit and ComposeEnd. Stats: only the terminal line ("END";
// "RESET" for "stats reset"; "OK" for "stats detail on|off"): the caller writes each STAT line
// with ComposeStat first. Errors: r.message + "\r\n" when set, else the line for r.code and
// r.detail. Nothing when req.noreply (except "ERROR", see above) and for quit.
void ComposeReply(const protocol::Request& req, const protocol::Result& r, std::string* out);
// Appends "VALUE <key> <flags> <bytes>[ <cas>]\r\n" + r.value + "\r\n" (bytes = r.value.size()).
void ComposeValue(std::string_view key, const protocol::Result& r, bool with_cas, std::string* out);
// Appends only the "VALUE ..." line, with <bytes> = r.value_length: the caller splices the value
// and "\r\n" after it without copying them here.
void ComposeValueHead(std::string_view key, const protocol::Result& r, bool with_cas,
                      std::string* out);
// Appends "STAT " + r.text + "\r\n" (r.text is "<name> <value>"); an "ITEM ..." or "PREFIX ..."
// line of stats cachedump / stats detail dump (kept whole in r.text) is appended as it is.
void ComposeStat(const protocol::Result& r, std::string* out);
// Appends "END\r\n", the end of a retrieval or stats reply.
void ComposeEnd(std::string* out);

// A retrieval of many keys composed one key at a time (a router coalescing the gets of many
// clients into one line): "get" or "gets" (by op), then " <key>" per key, then the line's end.
// The keys must be ones text can carry as they are (protocol/key.h).
void ComposeMultiGetStart(protocol::Op op, std::string* out);
void ComposeMultiGetKey(std::string_view key, std::string* out);
void ComposeMultiGetEnd(std::string* out);

}  // namespace memfleet::protocol::text
