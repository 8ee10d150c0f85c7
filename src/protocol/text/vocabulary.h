// The wire vocabulary of memcached's text protocol: every command name, reply word and error
// string memcached 1.6.18 uses in text, as constants that the server, the reply parser
// (text/client.h) and the reply composers all share, so that one spelling serves both directions.
//
// Naming: kCommand... are command names as a client sends them (no trailing space); kReply... are
// whole fixed reply lines, "\r\n" included (what a composer appends and what the reply parser
// compares a received line with); k...Prefix are the starts of lines that carry more text;
// kError... are error lines WITHOUT "\r\n" (the form ParseResult::error and Result::message use);
// kAdmin... are the other lines of operator commands (slabs, lru_crawler), also without "\r\n".
// Constants only: any thread may use them.
#pragma once

#include <string_view>

namespace memfleet::protocol::text {

// Line terminator of every command line and reply line, and the trailer after a data block.
inline constexpr std::string_view kCrlf = "\r\n";
// The token a client appends to suppress the reply of commands that honour it.
inline constexpr std::string_view kNoreply = "noreply";

// Command names.
inline constexpr std::string_view kCommandGet = "get";
inline constexpr std::string_view kCommandGets = "gets";
inline constexpr std::string_view kCommandGat = "gat";
inline constexpr std::string_view kCommandGats = "gats";
inline constexpr std::string_view kCommandBget = "bget";  // ancient alias of get
inline constexpr std::string_view kCommandSet = "set";
inline constexpr std::string_view kCommandAdd = "add";
inline constexpr std::string_view kCommandReplace = "replace";
inline constexpr std::string_view kCommandAppend = "append";
inline constexpr std::string_view kCommandPrepend = "prepend";
inline constexpr std::string_view kCommandCas = "cas";
inline constexpr std::string_view kCommandIncr = "incr";
inline constexpr std::string_view kCommandDecr = "decr";
inline constexpr std::string_view kCommandDelete = "delete";
inline constexpr std::string_view kCommandTouch = "touch";
inline constexpr std::string_view kCommandFlushAll = "flush_all";
inline constexpr std::string_view kCommandVersion = "version";
inline constexpr std::string_view kCommandVerbosity = "verbosity";
inline constexpr std::string_view kCommandQuit = "quit";
inline constexpr std::string_view kCommandShutdown = "shutdown";
inline constexpr std::string_view kCommandCacheMemlimit = "cache_memlimit";
inline constexpr std::string_view kCommandStats = "stats";
inline constexpr std::string_view kCommandSlabs = "slabs";
inline constexpr std::string_view kCommandLruCrawler = "lru_crawler";
inline constexpr std::string_view kCommandLru = "lru";
inline constexpr std::string_view kCommandWatch = "watch";
inline constexpr std::string_view kCommandMisbehave = "misbehave";
inline constexpr std::string_view kCommandExtstore = "extstore";
inline constexpr std::string_view kCommandRefreshCerts = "refresh_certs";
// Meta commands share the text port; a text client uses "mn" as its no-op and "me" to debug.
inline constexpr std::string_view kCommandMetaGet = "mg";
inline constexpr std::string_view kCommandMetaSet = "ms";
inline constexpr std::string_view kCommandMetaDelete = "md";
inline constexpr std::string_view kCommandMetaArithmetic = "ma";
inline constexpr std::string_view kCommandMetaNoop = "mn";
inline constexpr std::string_view kCommandMetaDebug = "me";

// Fixed reply lines, "\r\n" included.
inline constexpr std::string_view kReplyStored = "STORED\r\n";
inline constexpr std::string_view kReplyNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kReplyExists = "EXISTS\r\n";
inline constexpr std::string_view kReplyNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kReplyDeleted = "DELETED\r\n";
inline constexpr std::string_view kReplyTouched = "TOUCHED\r\n";
inline constexpr std::string_view kReplyEnd = "END\r\n";
inline constexpr std::string_view kReplyOk = "OK\r\n";
inline constexpr std::string_view kReplyReset = "RESET\r\n";
inline constexpr std::string_view kReplyError = "ERROR\r\n";
inline constexpr std::string_view kReplyBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kReplyNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr std::string_view kReplyFlushNotAllowed = "CLIENT_ERROR flush_all not allowed\r\n";
inline constexpr std::string_view kReplyTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kReplyOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kReplyOutOfMemory = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kReplyShutdownNotEnabled = "ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kReplyInvalidShutdownMode =
    "CLIENT_ERROR invalid shutdown mode\r\n";
inline constexpr std::string_view kReplyMemlimitAdjustFailed =
    "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n";
inline constexpr std::string_view kReplyStatsDetailUsage =
    "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
// Sent on accept, then the connection is closed, when -c is reached.
inline constexpr std::string_view kReplyTooManyConnections = "ERROR Too many open connections\r\n";

// Prefixes of lines that carry more: "VERSION <version>\r\n", "STAT <name> <value>\r\n",
// "VALUE <key> <flags> <bytes>[ <cas>]\r\n", and the two error classes ("CLIENT_ERROR <why>",
// "SERVER_ERROR <why>"). "ITEM " and "PREFIX " start the lines of "stats cachedump" and
// "stats detail dump".
inline constexpr std::string_view kReplyVersionPrefix = "VERSION ";
inline constexpr std::string_view kReplyStatPrefix = "STAT ";
inline constexpr std::string_view kReplyValuePrefix = "VALUE ";
inline constexpr std::string_view kReplyItemPrefix = "ITEM ";
inline constexpr std::string_view kReplyPrefixPrefix = "PREFIX ";
inline constexpr std::string_view kClientErrorPrefix = "CLIENT_ERROR ";
inline constexpr std::string_view kServerErrorPrefix = "SERVER_ERROR ";
// "ERROR" followed by a space and a reason (admin commands, too many connections).
inline constexpr std::string_view kErrorPrefix = "ERROR ";

// The fields of a "stats detail dump" line after kReplyPrefixPrefix and the prefix:
// "PREFIX <prefix> get <n> hit <n> set <n> del <n>\r\n".
inline constexpr std::string_view kDetailGet = " get ";
inline constexpr std::string_view kDetailHit = " hit ";
inline constexpr std::string_view kDetailSet = " set ";
inline constexpr std::string_view kDetailDelete = " del ";

// Error lines without "\r\n" (ParseResult::error, Result::message). The first group are the
// ones the kReply... lines above end with.
inline constexpr std::string_view kErrorUnknownCommand = "ERROR";
inline constexpr std::string_view kErrorBadDataChunk = "CLIENT_ERROR bad data chunk";
inline constexpr std::string_view kErrorNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value";
inline constexpr std::string_view kErrorTooLarge = "SERVER_ERROR object too large for cache";
inline constexpr std::string_view kErrorOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object";
inline constexpr std::string_view kErrorOutOfMemory = "SERVER_ERROR out of memory";
// Request line errors (ParseRequest).
inline constexpr std::string_view kErrorBadFormat = "CLIENT_ERROR bad command line format";
inline constexpr std::string_view kErrorBadDelta = "CLIENT_ERROR invalid numeric delta argument";
inline constexpr std::string_view kErrorBadExptime = "CLIENT_ERROR invalid exptime argument";
inline constexpr std::string_view kErrorDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
// stats cachedump (memcached's item_cachedump): "ITEM <key> [<value bytes> b; <unix exptime, 0:
// never> s]\r\n" lines, then END; its errors.
inline constexpr std::string_view kStatsCachedump = "cachedump";
inline constexpr std::string_view kCachedumpBytesOpen = " [";
inline constexpr std::string_view kCachedumpBytesUnit = " b; ";
inline constexpr std::string_view kCachedumpTimeClose = " s]\r\n";
inline constexpr std::string_view kErrorCachedumpNotAllowed =
    "CLIENT_ERROR stats cachedump not allowed";
inline constexpr std::string_view kErrorBadCommandLine = "CLIENT_ERROR bad command line";
inline constexpr std::string_view kErrorIllegalSlabId = "CLIENT_ERROR Illegal slab id";
inline constexpr std::string_view kErrorMemlimitTooSmall =
    "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m";
inline constexpr std::string_view kErrorMemlimitNotBytes =
    "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes";
inline constexpr std::string_view kErrorMetaFlagsTooLong = "CLIENT_ERROR options flags too long";
inline constexpr std::string_view kErrorMetaGetFlagsTooLong =
    "CLIENT_ERROR options flags are too long";
inline constexpr std::string_view kErrorTlsNotEnabled = "Error TLS not enabled";
inline constexpr std::string_view kErrorBadToken = "CLIENT_ERROR bad token in command line format";
// Meta: memcached's "ma" on a missing key with N (autovivify) failing to allocate.
inline constexpr std::string_view kErrorOutOfMemoryNewItem =
    "SERVER_ERROR Out of memory allocating new item";
// Authentication (-Y ascii auth).
inline constexpr std::string_view kErrorUnauthenticated = "CLIENT_ERROR unauthenticated";
inline constexpr std::string_view kErrorBadAuthTermination =
    "CLIENT_ERROR bad command line termination";
inline constexpr std::string_view kErrorBadAuthToken =
    "CLIENT_ERROR bad authentication token format";
inline constexpr std::string_view kErrorAuthFailure = "CLIENT_ERROR authentication failure";
// Operator commands.
inline constexpr std::string_view kErrorFlushNotAllowed = "CLIENT_ERROR flush_all not allowed";
inline constexpr std::string_view kErrorCrawlerDisabled = "CLIENT_ERROR lru crawler disabled";
inline constexpr std::string_view kErrorSlabReassignDisabled =
    "CLIENT_ERROR slab reassignment disabled";
inline constexpr std::string_view kErrorCrawlerSleep =
    "CLIENT_ERROR sleep must be one second or less";
inline constexpr std::string_view kErrorCrawlerStartFailed =
    "ERROR failed to start lru crawler thread";
inline constexpr std::string_view kErrorCrawlerStopFailed =
    "ERROR failed to stop lru crawler thread";
inline constexpr std::string_view kErrorMetadumpNotAllowed = "ERROR metadump not allowed";
inline constexpr std::string_view kErrorKeyDumpNotAllowed = "ERROR key dump not allowed";
inline constexpr std::string_view kErrorMetadumpPipelined =
    "ERROR cannot pipeline other commands before metadump";
inline constexpr std::string_view kErrorMgdumpPipelined =
    "ERROR cannot pipeline other commands before mgdump";
inline constexpr std::string_view kErrorLruPcts = "ERROR hot and warm pcts must not exceed 80";
inline constexpr std::string_view kErrorLruAgeFactors =
    "ERROR hot/warm age factors must be greater than 0";
inline constexpr std::string_view kErrorWatchNotAllowed = "CLIENT_ERROR watch commands not allowed";
// Replies of "slabs reassign" and "lru_crawler crawl|metadump" that are neither OK nor an
// error class (memcached's own words, sent as they are).
inline constexpr std::string_view kAdminBusyReassign = "BUSY currently processing reassign request";
inline constexpr std::string_view kAdminBusyCrawler = "BUSY currently processing crawler request";
inline constexpr std::string_view kAdminBadClassReassign = "BADCLASS invalid src or dst class id";
inline constexpr std::string_view kAdminBadClassCrawler = "BADCLASS invalid class id";
inline constexpr std::string_view kAdminNoSpare = "NOSPARE source class has no spare pages";
inline constexpr std::string_view kAdminSameClass = "SAME src and dst class are identical";
inline constexpr std::string_view kAdminCrawlerNotStarted = "NOTSTARTED no items to crawl";
inline constexpr std::string_view kAdminCrawlerFailed = "FAILED to start crawler";

// The lines of "lru_crawler metadump": "key=<uriencoded key> exp=<unix time|-1> la=<unix time>
// cas=<cas> fetch=yes|no cls=<class> size=<bytes>" ended by a bare "\n" (memcached's choice),
// the whole dump by kReplyEnd; and of "lru_crawler mgdump": "mg <key>\r\n", or
// "mg <base64 key> b\r\n" for a binary key, the whole dump by kMetaReplyMiss.
inline constexpr std::string_view kDumpKey = "key=";
inline constexpr std::string_view kDumpExptime = " exp=";
inline constexpr std::string_view kDumpLastAccess = " la=";
inline constexpr std::string_view kDumpCas = " cas=";
inline constexpr std::string_view kDumpFetchedYes = " fetch=yes";
inline constexpr std::string_view kDumpFetchedNo = " fetch=no";
inline constexpr std::string_view kDumpSlabClass = " cls=";
inline constexpr std::string_view kDumpSize = " size=";
inline constexpr std::string_view kDumpLineEnd = "\n";
inline constexpr std::string_view kMgdumpPrefix = "mg ";
inline constexpr std::string_view kMgdumpBase64Flag = " b";

// The lines of a "watch" log stream, as memcached's logger writes them: kWatchTimestamp
// "<sec>.<usec>" kWatchGid "<n> ", one entry, then "\n". The entries:
//   type=item_get key=<uriencoded> status=found|not_found clsid=<c> cfd=<fd> size=<bytes>
//   type=item_store key=<k> status=<store status> cmd=<command> ttl=<secs> clsid=<c> cfd=<fd>
//       size=<bytes>
//   type=deleted key=<k> cmd=delete|md clsid=<c> size=<bytes>
//   type=eviction key=<k> fetch=yes|no ttl=<secs|-1> la=<secs> clsid=<c>
//   type=conn_new rip=<addr> rport=<port> transport=tcp|local cfd=<fd>
//   type=conn_close rip=<addr> rport=<port> transport=tcp|local reason=<reason> cfd=<fd>
inline constexpr std::string_view kWatchTimestamp = "ts=";
// The line a watcher gets, before its next line, after it lost lines: "skipped=<n>\n".
inline constexpr std::string_view kWatchSkipped = "skipped=";
inline constexpr std::string_view kWatchGid = " gid=";
inline constexpr std::string_view kWatchItemGet = "type=item_get key=";
inline constexpr std::string_view kWatchItemStore = "type=item_store key=";
inline constexpr std::string_view kWatchDeleted = "type=deleted key=";
inline constexpr std::string_view kWatchEviction = "type=eviction key=";
inline constexpr std::string_view kWatchConnNew = "type=conn_new";
inline constexpr std::string_view kWatchConnClose = "type=conn_close";
inline constexpr std::string_view kWatchStatus = " status=";
inline constexpr std::string_view kWatchCommand = " cmd=";
inline constexpr std::string_view kWatchTtl = " ttl=";
inline constexpr std::string_view kWatchSlabClass = " clsid=";
inline constexpr std::string_view kWatchClientFd = " cfd=";
inline constexpr std::string_view kWatchSize = " size=";
inline constexpr std::string_view kWatchFetched = " fetch=";
inline constexpr std::string_view kWatchLastAccess = " la=";
inline constexpr std::string_view kWatchRemoteIp = " rip=";
inline constexpr std::string_view kWatchRemotePort = " rport=";
inline constexpr std::string_view kWatchTransport = " transport=";
inline constexpr std::string_view kWatchReason = " reason=";
inline constexpr std::string_view kWatchYes = "yes";
inline constexpr std::string_view kWatchNo = "no";
inline constexpr std::string_view kWatchFound = "found";
inline constexpr std::string_view kWatchNotFound = "not_found";
inline constexpr std::string_view kWatchTcp = "tcp";
inline constexpr std::string_view kWatchLocal = "local";
// Store statuses, in storage::StoreResult's order.
inline constexpr std::string_view kWatchStored = "stored";
inline constexpr std::string_view kWatchNotStored = "not_stored";
inline constexpr std::string_view kWatchExists = "exists";
inline constexpr std::string_view kWatchNoMemory = "no_memory";
// Close reasons.
inline constexpr std::string_view kWatchReasonError = "error";
inline constexpr std::string_view kWatchReasonNormal = "normal";
inline constexpr std::string_view kWatchReasonIdleTimeout = "idle_timeout";
inline constexpr std::string_view kWatchReasonShutdown = "shutdown";

// Meta replies a text connection sends for "mn" and a missing "me" key.
inline constexpr std::string_view kMetaReplyNoop = "MN\r\n";
inline constexpr std::string_view kMetaReplyMiss = "EN\r\n";
inline constexpr std::string_view kMetaDebugPrefix = "ME ";

// Router-side failures, which memcached itself never sends: a router answers a text or meta
// client with a SERVER_ERROR line naming what went wrong, so that the client sees an ordinary
// server error it may retry elsewhere. The meta vocabulary uses these lines, and the binary one
// their words after "SERVER_ERROR " (with status "temporary failure"): one wording everywhere.
inline constexpr std::string_view kErrorRouterTimeout = "SERVER_ERROR timeout";
inline constexpr std::string_view kErrorRouterConnectTimeout = "SERVER_ERROR connect timeout";
inline constexpr std::string_view kErrorRouterConnectError = "SERVER_ERROR connection error";
inline constexpr std::string_view kErrorRouterTko = "SERVER_ERROR server marked down (TKO)";
inline constexpr std::string_view kErrorRouterRemote = "SERVER_ERROR remote error";

}  // namespace memfleet::protocol::text
