// The wire vocabulary of memcached's meta protocol (mg ms md ma mn me), as memcached 1.6.18
// spells it: command names, reply codes, flag characters, modes and every error line a meta
// command can get. Both directions use these names: the server composes its replies from them,
// the client half (meta/client.h) composes requests and recognises replies with them. Error
// lines are given without their "\r\n" (the composer adds it), as ParseRequest and
// ParseMetaFlags report them. Constants only: any thread may use them.
#pragma once

#include <string_view>

#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::meta {

// Command names.
inline constexpr std::string_view kCmdGet = "mg";
inline constexpr std::string_view kCmdSet = "ms";
inline constexpr std::string_view kCmdDelete = "md";
inline constexpr std::string_view kCmdArithmetic = "ma";
inline constexpr std::string_view kCmdNoop = "mn";
inline constexpr std::string_view kCmdDebug = "me";

// Reply codes: the first word of a meta reply line.
inline constexpr std::string_view kCodeHit = "HD";       // success without a value
inline constexpr std::string_view kCodeValue = "VA";     // "VA <len> <flags>*", a value follows
inline constexpr std::string_view kCodeMiss = "EN";      // mg / me: no such item
inline constexpr std::string_view kCodeNotFound = "NF";  // md / ma / ms (cas): no such item
inline constexpr std::string_view kCodeNotStored = "NS";
inline constexpr std::string_view kCodeExists = "EX";  // cas mismatch
inline constexpr std::string_view kCodeNoop = "MN";
inline constexpr std::string_view kCodeDebug = "ME";  // "ME <key> <name>=<value>*"

// The fields of an "me" reply line, in the order memcached prints them after
// "ME <key>": " exp=<secs> la=<secs> cas=<cas> fetch=yes|no cls=<class> size=<bytes>".
inline constexpr std::string_view kDebugExptime = " exp=";
inline constexpr std::string_view kDebugLastAccess = " la=";
inline constexpr std::string_view kDebugCas = " cas=";
inline constexpr std::string_view kDebugFetchedYes = " fetch=yes";
inline constexpr std::string_view kDebugFetchedNo = " fetch=no";
inline constexpr std::string_view kDebugSlabClass = " cls=";
inline constexpr std::string_view kDebugSize = " size=";

// Error words (the first word of an error line).
inline constexpr std::string_view kWordError = "ERROR";
inline constexpr std::string_view kWordClientError = "CLIENT_ERROR";
inline constexpr std::string_view kWordServerError = "SERVER_ERROR";

// Flag characters. Request flags that carry a token argument are followed by it ("T30").
inline constexpr char kFlagBase64Key = 'b';
inline constexpr char kFlagReturnCas = 'c';
inline constexpr char kFlagReturnFlags = 'f';
inline constexpr char kFlagReturnHit = 'h';
inline constexpr char kFlagReturnKey = 'k';
inline constexpr char kFlagReturnLastAccess = 'l';
inline constexpr char kFlagOpaque = 'O';
inline constexpr char kFlagQuiet = 'q';
inline constexpr char kFlagReturnSize = 's';
inline constexpr char kFlagReturnTtl = 't';
inline constexpr char kFlagNoUpdate = 'u';
inline constexpr char kFlagReturnValue = 'v';
inline constexpr char kFlagCompareCas = 'C';
inline constexpr char kFlagDelta = 'D';
inline constexpr char kFlagClientFlags = 'F';
inline constexpr char kFlagInvalidate = 'I';  // ms/md: mark stale instead of replacing/removing
inline constexpr char kFlagInitial = 'J';
inline constexpr char kFlagMode = 'M';
inline constexpr char kFlagVivify = 'N';
inline constexpr char kFlagRecache = 'R';
inline constexpr char kFlagTouch = 'T';
// Returned-only flags, appended after the echoed ones in the order Z, X, W.
inline constexpr char kFlagWin = 'W';
inline constexpr char kFlagStale = 'X';
inline constexpr char kFlagWinSent = 'Z';
// "t-1": the item never expires.
inline constexpr std::string_view kTtlNever = "-1";

// Modes (the character after 'M').
inline constexpr char kModeSet = 'S';
inline constexpr char kModeAdd = 'E';
inline constexpr char kModeAppend = 'A';
inline constexpr char kModePrepend = 'P';
inline constexpr char kModeReplace = 'R';
inline constexpr char kModeIncr = 'I';
inline constexpr char kModeIncrAlias = '+';
inline constexpr char kModeDecr = 'D';
inline constexpr char kModeDecrAlias = '-';

// Errors of the command line and its flags (ParseRequest, ParseMetaFlags).
inline constexpr std::string_view kErrUnknownCommand = "ERROR";
inline constexpr std::string_view kErrBadFormat = "CLIENT_ERROR bad command line format";
inline constexpr std::string_view kErrBadToken = "CLIENT_ERROR bad token in command line format";
inline constexpr std::string_view kErrDuplicateFlag = "CLIENT_ERROR duplicate flag";
inline constexpr std::string_view kErrInvalidFlag = "CLIENT_ERROR invalid flag";
inline constexpr std::string_view kErrInvalidOrDuplicateFlag =
    "CLIENT_ERROR invalid or duplicate flag";
inline constexpr std::string_view kErrDecodeKey = "CLIENT_ERROR error decoding key";
inline constexpr std::string_view kErrModeLength = "CLIENT_ERROR incorrect length for M token";
inline constexpr std::string_view kErrInitial = "CLIENT_ERROR invalid numeric initial value";
inline constexpr std::string_view kErrDelta = "CLIENT_ERROR invalid numeric delta value";
inline constexpr std::string_view kErrSetMode = "CLIENT_ERROR invalid mode for ms M token";
inline constexpr std::string_view kErrArithmeticMode = "CLIENT_ERROR invalid mode for ma M token";
inline constexpr std::string_view kErrOpaqueTooLong = "CLIENT_ERROR opaque token too long";
inline constexpr std::string_view kErrFlagsTooLong = "CLIENT_ERROR options flags too long";
inline constexpr std::string_view kErrGetFlagsTooLong = "CLIENT_ERROR options flags are too long";

// Errors of execution.
inline constexpr std::string_view kErrBadDataChunk = "CLIENT_ERROR bad data chunk";
inline constexpr std::string_view kErrNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value";
inline constexpr std::string_view kErrTooLarge = "SERVER_ERROR object too large for cache";
inline constexpr std::string_view kErrOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object";
inline constexpr std::string_view kErrOutOfMemory = "SERVER_ERROR out of memory";
inline constexpr std::string_view kErrOutOfMemoryVivify =
    "SERVER_ERROR Out of memory allocating new item";
// Every "SERVER_ERROR out of memory..." / "SERVER_ERROR Out of memory..." line starts so.
inline constexpr std::string_view kErrOutOfMemoryPrefix = "SERVER_ERROR out of memory";
inline constexpr std::string_view kErrOutOfMemoryPrefixUpper = "SERVER_ERROR Out of memory";

// Router-side failures, which memcached itself never sends: a router answers a meta client
// with a SERVER_ERROR line naming what went wrong (memfleet's choice; mcrouter also answers
// text-protocol clients with SERVER_ERROR lines), so that a client sees an ordinary server error
// it can retry elsewhere.
inline constexpr std::string_view kErrTimeout = text::kErrorRouterTimeout;
inline constexpr std::string_view kErrConnectTimeout = text::kErrorRouterConnectTimeout;
inline constexpr std::string_view kErrConnectError = text::kErrorRouterConnectError;
inline constexpr std::string_view kErrTko = text::kErrorRouterTko;
inline constexpr std::string_view kErrRemote = text::kErrorRouterRemote;

// The text commands and replies a meta connection also uses (memcached speaks both on one
// connection): version, stats and flush_all have no meta form.
inline constexpr std::string_view kCmdVersion = "version";
inline constexpr std::string_view kCmdStats = "stats";
inline constexpr std::string_view kCmdFlushAll = "flush_all";
inline constexpr std::string_view kCmdVerbosity = "verbosity";
inline constexpr std::string_view kCmdQuit = "quit";
inline constexpr std::string_view kWordVersion = "VERSION";
inline constexpr std::string_view kWordStat = "STAT";
inline constexpr std::string_view kWordEnd = "END";
inline constexpr std::string_view kWordOk = "OK";

inline constexpr std::string_view kCrlf = "\r\n";

}  // namespace memfleet::protocol::meta
