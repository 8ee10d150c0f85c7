// WatchLines (see watch_lines.h): the `watch` line bodies, words from protocol/text's vocabulary.
#include "server/watch_lines.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "protocol/text/vocabulary.h"
#include "server/logger.h"

namespace memfleet::server {
namespace {

namespace text = protocol::text;

// Appends a field and its value (decimal, as memcached's printf %d, %u and %lld).
void AppendField(std::string& out, std::string_view field, int64_t value) {
  out.append(field);
  out.append(std::to_string(value));
}
void AppendField(std::string& out, std::string_view field, std::string_view value) {
  out.append(field);
  out.append(value);
}

void AppendConnLine(std::string& out, bool open, const sockaddr_storage& peer, CloseReason reason,
                    int cfd) {
  // Indexed by CloseReason.
  static constexpr std::string_view kReason[] = {text::kWatchReasonError, text::kWatchReasonNormal,
                                                 text::kWatchReasonIdleTimeout,
                                                 text::kWatchReasonShutdown};
  // memcached's rip/rport/transport: the peer address without brackets; a unix socket peer is
  // transport=local with an empty address.
  char rip[INET6_ADDRSTRLEN] = {0};
  unsigned rport = 0;
  std::string_view transport = text::kWatchLocal;
  if (peer.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&peer);
    inet_ntop(AF_INET, &sin->sin_addr, rip, sizeof(rip));
    rport = ntohs(sin->sin_port);
    transport = text::kWatchTcp;
  } else if (peer.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    inet_ntop(AF_INET6, &sin6->sin6_addr, rip, sizeof(rip));
    rport = ntohs(sin6->sin6_port);
    transport = text::kWatchTcp;
  }
  out.append(open ? text::kWatchConnNew : text::kWatchConnClose);
  AppendField(out, text::kWatchRemoteIp, std::string_view(rip));
  AppendField(out, text::kWatchRemotePort, rport);
  AppendField(out, text::kWatchTransport, transport);
  if (!open) AppendField(out, text::kWatchReason, kReason[static_cast<int>(reason)]);
  AppendField(out, text::kWatchClientFd, cfd);
}

}  // namespace

WatchItem WatchItemOf(const storage::ItemRef& item) {
  return WatchItem{item.key(), item.slab_class(), item.value_length(), item.exptime()};
}

void AppendFetchLine(std::string& out, std::string_view key, const std::optional<WatchItem>& found,
                     int cfd) {
  out.append(text::kWatchItemGet);
  AppendUriEncoded(out, key);
  AppendField(out, text::kWatchStatus, found ? text::kWatchFound : text::kWatchNotFound);
  AppendField(out, text::kWatchSlabClass, found ? found->slab_class : 0);
  AppendField(out, text::kWatchClientFd, cfd);
  AppendField(out, text::kWatchSize, found ? found->size : 0u);
}

void AppendStoreLine(std::string& out, storage::StoreOp op, storage::StoreResult r,
                     const WatchItem& item, bool ttl_zero, RelTime now, int cfd) {
  // Indexed by StoreOp and StoreResult.
  static constexpr std::string_view kCmd[] = {text::kCommandSet,     text::kCommandAdd,
                                              text::kCommandReplace, text::kCommandAppend,
                                              text::kCommandPrepend, text::kCommandCas};
  static constexpr std::string_view kStatus[] = {text::kWatchStored, text::kWatchNotStored,
                                                 text::kWatchExists, text::kWatchNotFound,
                                                 text::kWatchNoMemory};
  out.append(text::kWatchItemStore);
  AppendUriEncoded(out, item.key);
  const RelTime exp = ttl_zero ? 0 : item.exptime;
  AppendField(out, text::kWatchStatus, kStatus[static_cast<int>(r)]);
  AppendField(out, text::kWatchCommand, kCmd[static_cast<int>(op)]);
  AppendField(out, text::kWatchTtl, exp == 0 ? 0u : (exp > now ? exp - now : 0u));
  AppendField(out, text::kWatchSlabClass, item.slab_class);
  AppendField(out, text::kWatchClientFd, cfd);
  AppendField(out, text::kWatchSize, item.size);
}

void AppendDeletionLine(std::string& out, std::string_view cmd, const WatchItem& item) {
  out.append(text::kWatchDeleted);
  AppendUriEncoded(out, item.key);
  AppendField(out, text::kWatchCommand, cmd);
  AppendField(out, text::kWatchSlabClass, item.slab_class);
  AppendField(out, text::kWatchSize, item.size);
}

void AppendEvictionLine(std::string& out, const storage::EvictionEvent& ev, RelTime now) {
  out.append(text::kWatchEviction);
  AppendUriEncoded(out, ev.key);
  AppendField(out, text::kWatchFetched, ev.fetched ? text::kWatchYes : text::kWatchNo);
  AppendField(out, text::kWatchTtl,
              ev.exptime == 0 ? -1LL : static_cast<long long>(ev.exptime) - now);
  AppendField(out, text::kWatchLastAccess, static_cast<long long>(now) - ev.last_access);
  AppendField(out, text::kWatchSlabClass, ev.slab_class);
}

void AppendConnOpenLine(std::string& out, const sockaddr_storage& peer, int cfd) {
  AppendConnLine(out, /*open=*/true, peer, CloseReason::kNormal, cfd);
}

void AppendConnCloseLine(std::string& out, const sockaddr_storage& peer, CloseReason reason,
                         int cfd) {
  AppendConnLine(out, /*open=*/false, peer, reason, cfd);
}

}  // namespace memfleet::server
