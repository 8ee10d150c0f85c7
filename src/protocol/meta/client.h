// The meta protocol's client half and its mapping to the neutral model (protocol/model.h).
//
// A router or client library talks meta upstream and answers its own clients in their protocol.
// This header gives it the four pieces of meta it needs besides the server's request parser:
//  - ToNeutral: a meta request parsed by text::ParseRequest + ParseMetaFlags -> protocol::Request.
//  - ComposeRequest / ComposeRequestHead / ComposeMetaRequest: any neutral request (meta, text or
//    binary in origin) -> meta request bytes. A meta request is re-sent with its own flags; a
//    text or binary one with the flags whose returned values its client's reply needs, never q
//    (every request must get a reply so that replies stay in step).
//  - ParseReplyHead / ParseReply: meta reply bytes -> protocol::Result, streaming (stream.h).
//  - ComposeReply: a neutral Result -> the bytes memcached 1.6.18 sends a meta client.
// Views in a parsed Request or Result point into the caller's buffers. Compose functions append
// to a caller-owned std::string. Pure functions: any thread may call them.
//
// Router-side failures (kTimeout, kConnectTimeout, kConnectError, kTko) are answered to a meta
// client as SERVER_ERROR lines ("SERVER_ERROR timeout", see vocabulary.h), as memcached-speaking
// routers answer text clients; a parsed "SERVER_ERROR ..." is always kRemoteError (the upstream
// failed it, whatever words it used), with the line kept in Result::message.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "protocol/meta/meta.h"
#include "protocol/model.h"
#include "protocol/stream.h"
#include "protocol/text/request.h"

namespace memfleet::protocol::meta {

// Maps a meta command parsed by text::ParseRequest (kMetaGet..kMetaDebug) whose flags parsed
// without error into *out. ms with C is kCas when its mode is set or replace (as memcached
// turns them into a cas); with another mode it keeps that op and carries the cas. `flag_tokens` are
// the tokens after the key (after the data length for ms; for me, its optional "b"). Returns false
// for any other command (text and operator commands have no meta neutral form here). ms leaves
// out->value empty: the data block follows the line and the caller sets it. exptime is T's (mg, ms,
// md) or N's (ma; T's when no N).
bool ToNeutral(const text::Request& parsed, const MetaFlags& flags,
               std::span<const std::string_view> flag_tokens, protocol::Request* out);

// What to leave out when re-sending a meta request's own tokens.
struct ComposeOptions {
  bool drop_quiet = false;   // drop q: the router answers quiet semantics itself
  bool drop_opaque = false;  // drop O: the router matches replies by order
};

// Appends the meta request for `req` up to, not including, a storage request's data block.
// A meta request is re-sent with its command, key as sent and tokens in order (less q / O per
// opt). Any other request is translated: get "mg <key> f v" (gets, and every binary get, add
// c), gat/gats add T<exptime>, touch "mg <key> T<exptime>" (binary: f c), storage "ms <key>
// <len> F<flags> T<exptime>" with M<mode>, C<cas> (cas, or a binary cas) and c (binary),
// delete "md <key>" (C<cas> when binary gave one), incr/decr "ma <key> v [MD] D<delta>" (N J
// when create; c for binary), noop "mn"; version, stats, flush_all, verbosity and quit go as
// text commands. Only req.key is sent: a text multi-get is split into one request per key by
// the caller. A key with a space, control byte or DEL goes base64 with b (memcached refuses a
// key token over 250 bytes, so such a key must be at most 186 bytes).
// REQUIRES for storage: req.value_length is the data block's length.
void ComposeMetaRequestHead(const protocol::Request& req, const ComposeOptions& opt,
                            std::string* out);
// Appends the whole meta request; for storage, req.value and "\r\n" follow the head.
// REQUIRES for storage: req.value.size() == req.value_length.
void ComposeMetaRequest(const protocol::Request& req, const ComposeOptions& opt, std::string* out);
// ComposeMetaRequestHead with default options.
void ComposeRequestHead(const protocol::Request& req, std::string* out);
// ComposeMetaRequest with default options.
void ComposeRequest(const protocol::Request& req, std::string* out);

// Parses one reply head at the front of buf for a request of operation `op` (HD means kStored
// for storage, kDeleted for delete, kTouched for touch, kFound for other mg and ma). Fills *r
// (reset first); a "VA <len>" head sets has_value/value_length/trailer in the returned parse and
// r->has_value/value_length, and the value is NOT consumed. "version", "stats" and "flush_all"
// are text commands on a meta connection: their replies (VERSION, STAT/END, OK) parse too.
// Never reads past buf, never allocates; bytes that cannot be a reply give kMalformed.
protocol::ReplyParse ParseReplyHead(std::string_view buf, protocol::Op op, protocol::Result* r);
// As ParseReplyHead, but a value and its "\r\n" must be in buf too (else kIncomplete): they are
// counted in `consumed` and r->value views them; for ma, r->number is the value's number.
// kMalformed when the value is not followed by "\r\n" (or ma's value is not a number).
protocol::ReplyParse ParseReply(std::string_view buf, protocol::Op op, protocol::Result* r);

// Appends what memcached 1.6.18 sends a meta client for `req` (as ToNeutral mapped it) when the
// outcome is `r`: the reply line with the flags req's tokens ask for, in memcached's order
// (O/k echoed, Z X W last), the value and "\r\n" after VA; nothing when q suppresses the code
// (mg EN, ms HD, md HD, ma HD/VA); errors as lines (r.message when set, else the words for
// r.code and r.detail). For version/stats/flush_all/verbosity, the text reply ("VERSION <text>",
// "STAT <text>" when r.text is set else "END", "OK"). ma with q and N: memcached answers a
// created item even under q; ComposeReply does when r.created says so (a reply parser cannot
// know it; the translation layer does, see translate.h).
void ComposeReply(const protocol::Request& req, const protocol::Result& r, std::string* out);
// ComposeReply without the value and its "\r\n" after a VA line (a router streams the value).
void ComposeReplyHead(const protocol::Request& req, const protocol::Result& r, std::string* out);

}  // namespace memfleet::protocol::meta
