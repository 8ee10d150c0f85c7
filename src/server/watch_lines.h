// WatchLines: the bodies of memcached's `watch` log lines for the events memfleetd logs — a
// fetch, a store, a deletion, an eviction, a connection opened or closed — built by pure
// functions that append one body (what follows "ts=<s>.<us> gid=<n> ", see Logger::Log) to a
// string, every word from protocol/text's vocabulary. The formats are memcached 1.6.18's (and,
// for `deletions`, which came later, newer memcached's).
//
// Nothing here does I/O or keeps state: the caller (Connection, for its own events and for the
// engine's evictions) gathers the facts — the item a store linked, the peer's address, the
// time — and hands the finished line to the Logger. Any thread may call these functions.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "storage/engine.h"

namespace memfleet::server {

// Why a connection closed: the reason= of a `watch connevents` conn_close line.
enum class CloseReason : uint8_t { kError, kNormal, kIdleTimeout, kShutdown };

// What a watch line says of an item.
struct WatchItem {
  std::string_view key;
  int slab_class = 0;
  uint32_t size = 0;    // value bytes
  RelTime exptime = 0;  // 0 = never
};

// The facts of item. REQUIRES: item is not empty. The key points into the item, so the result
// is valid while item holds its reference.
WatchItem WatchItemOf(const storage::ItemRef& item);

// `watch fetchers`, a lookup of key:
// "type=item_get key=<key> status=found|not_found clsid=<class> cfd=<fd> size=<bytes>".
// found: the item the lookup found, or nullopt for a miss (clsid=0 size=0).
void AppendFetchLine(std::string& out, std::string_view key, const std::optional<WatchItem>& found,
                     int cfd);

// `watch mutations`, a store with result r of the item it linked (or tried to):
// "type=item_store key=<key> status=<result> cmd=<command> ttl=<seconds> clsid=<class> cfd=<fd>
// size=<bytes>". ttl is the time the item has left at now: 0 when it never expires or its time
// has passed, and 0 whatever its exptime when ttl_zero.
void AppendStoreLine(std::string& out, storage::StoreOp op, storage::StoreResult r,
                     const WatchItem& item, bool ttl_zero, RelTime now, int cfd);

// `watch deletions`, an item removed by command cmd ("delete", "md"):
// "type=deleted key=<key> cmd=<cmd> clsid=<class> size=<bytes>".
void AppendDeletionLine(std::string& out, std::string_view cmd, const WatchItem& item);

// `watch evictions`, an item the engine evicted at now:
// "type=eviction key=<key> fetch=yes|no ttl=<seconds left, -1: never expires> la=<seconds since
// its last access> clsid=<class>".
void AppendEvictionLine(std::string& out, const storage::EvictionEvent& ev, RelTime now);

// `watch connevents`, the connection on descriptor cfd opened or closed:
// "type=conn_new rip=<address> rport=<port> transport=tcp|local cfd=<fd>" and
// "type=conn_close rip=<address> rport=<port> transport=tcp|local reason=<reason> cfd=<fd>".
// peer is the peer's address as getpeername fills it: an IPv4 or IPv6 peer is transport=tcp
// with the address without brackets; anything else (a unix socket, or ss_family AF_UNSPEC when
// the address is unknown) is transport=local with an empty address and port 0.
void AppendConnOpenLine(std::string& out, const sockaddr_storage& peer, int cfd);
void AppendConnCloseLine(std::string& out, const sockaddr_storage& peer, CloseReason reason,
                         int cfd);

}  // namespace memfleet::server
