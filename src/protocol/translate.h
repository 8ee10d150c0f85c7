// Translation: how a request received in any client protocol goes upstream, and how the
// upstream's reply comes back to the client in the client's own protocol.
//
// memfleet talks to its upstreams (memfleetd or memcached) in the meta protocol, which can say
// everything the text and binary protocols can about one key and returns exactly the fields
// asked for. The few commands meta has no form of (version, stats, flush_all, verbosity) go as
// text commands on the same connection: memcached reads both on one socket. Upstream requests are
// never quiet, so every one gets a reply and replies match requests by order; the client's
// noreply / q / quiet-opcode semantics are applied when its reply is composed. A text multi-get
// is split into one upstream request per key (SingleKey), and its reply is composed value by
// value (ComposeClientValue) and closed with ComposeClientEnd.
//
// One request is the exception to "never quiet": a meta `ma` with both q and N, which memcached
// answers under q only when N created the item — something no reply says. It goes upstream with
// its q and a trailing "mn", so the upstream's own silence or answer decides, and its reply is
// parsed together with that barrier's "MN" (UpstreamHasBarrier).
//
// The rule this layer keeps: for every request, ComposeClientReply of the parsed upstream reply
// is byte for byte what memcached would have answered the client directly
// (tests/translation checks it live against memcached and memfleetd). Pure functions over the
// neutral model (model.h); any thread may call them.
#pragma once

#include <string>
#include <string_view>

#include "protocol/model.h"
#include "protocol/stream.h"

namespace memfleet::protocol {

// The protocol req is sent upstream in: kMeta, or kText for version/stats/flush_all/verbosity.
Protocol UpstreamProtocol(const Request& req);

// The request for one key of a text multi-key retrieval (or req itself when it has one key).
Request SingleKey(const Request& req, std::string_view key);

// True when req goes upstream quiet with a trailing "mn" (meta ma with q and N; see above).
bool UpstreamHasBarrier(const Request& req);

// Appends the upstream request for req (one key), data block included.
void ComposeUpstreamRequest(const Request& req, std::string* out);
// Appends the upstream request up to its data block; the caller then sends req.value_length
// bytes of value and UpstreamValueTrailer() (a router splices the value in without copying it).
void ComposeUpstreamRequestHead(const Request& req, std::string* out);
inline constexpr std::string_view UpstreamValueTrailer() { return "\r\n"; }

// Parses one upstream reply head (see stream.h) to req; a value is streamed by the caller. With a
// barrier (UpstreamHasBarrier) the whole reply and the barrier's "MN" are parsed at once (an ma
// reply is at most a number), and has_value is false.
ReplyParse ParseUpstreamReplyHead(std::string_view buf, const Request& req, Result* r);
// The same, value included when buf holds it (r->value points into buf).
ReplyParse ParseUpstreamReply(std::string_view buf, const Request& req, Result* r);

// Appends what memcached would answer the client for req and outcome r, in req.protocol. For a
// text retrieval of one key: "VALUE ...\r\n<data>\r\n" on a hit, then "END\r\n". Nothing when
// the client asked for no reply and memcached would send none.
void ComposeClientReply(const Request& req, const Result& r, std::string* out);
// Text multi-key retrieval: one key's value (nothing on a miss), and the closing END.
void ComposeClientValue(const Request& req, std::string_view key, const Result& r,
                        std::string* out);
void ComposeClientEnd(const Request& req, std::string* out);

}  // namespace memfleet::protocol
