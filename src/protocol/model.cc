#include "protocol/model.h"

namespace memfleet::protocol {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kGet:
      return "get";
    case Op::kGets:
      return "gets";
    case Op::kGat:
      return "gat";
    case Op::kGats:
      return "gats";
    case Op::kTouch:
      return "touch";
    case Op::kSet:
      return "set";
    case Op::kAdd:
      return "add";
    case Op::kReplace:
      return "replace";
    case Op::kAppend:
      return "append";
    case Op::kPrepend:
      return "prepend";
    case Op::kCas:
      return "cas";
    case Op::kDelete:
      return "delete";
    case Op::kIncr:
      return "incr";
    case Op::kDecr:
      return "decr";
    case Op::kNoop:
      return "noop";
    case Op::kVersion:
      return "version";
    case Op::kStats:
      return "stats";
    case Op::kFlushAll:
      return "flush_all";
    case Op::kVerbosity:
      return "verbosity";
    case Op::kQuit:
      return "quit";
    case Op::kMetaDebug:
      return "me";
  }
  return "unknown";
}

bool IsRetrieval(Op op) {
  return op == Op::kGet || op == Op::kGets || op == Op::kGat || op == Op::kGats;
}

bool IsStorage(Op op) {
  switch (op) {
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
      return true;
    default:
      return false;
  }
}

bool IsWrite(Op op) {
  return IsStorage(op) || op == Op::kDelete || op == Op::kIncr || op == Op::kDecr ||
         op == Op::kTouch || op == Op::kFlushAll || op == Op::kGat || op == Op::kGats;
}

bool HasKey(Op op) {
  switch (op) {
    case Op::kNoop:
    case Op::kVersion:
    case Op::kStats:
    case Op::kFlushAll:
    case Op::kVerbosity:
    case Op::kQuit:
      return false;
    default:
      return true;
  }
}

int Severity(ResultCode code) {
  switch (code) {
    case ResultCode::kFound:
    case ResultCode::kStored:
    case ResultCode::kDeleted:
    case ResultCode::kTouched:
    case ResultCode::kOk:
      return 0;
    case ResultCode::kNotFound:
    case ResultCode::kNotStored:
    case ResultCode::kExists:
      return 1;
    case ResultCode::kClientError:
      return 2;
    case ResultCode::kRemoteError:
      return 3;
    case ResultCode::kTimeout:
      return 4;
    case ResultCode::kConnectTimeout:
    case ResultCode::kConnectError:
      return 5;
    case ResultCode::kTko:
      return 6;
  }
  return 6;
}

bool IsHit(ResultCode code) { return Severity(code) == 0; }
bool IsMiss(ResultCode code) { return Severity(code) == 1; }
bool IsError(ResultCode code) { return Severity(code) >= 2; }
bool IsFailoverError(ResultCode code) { return Severity(code) >= 3; }

std::string_view ResultCodeName(ResultCode code) {
  switch (code) {
    case ResultCode::kFound:
      return "found";
    case ResultCode::kStored:
      return "stored";
    case ResultCode::kDeleted:
      return "deleted";
    case ResultCode::kTouched:
      return "touched";
    case ResultCode::kOk:
      return "ok";
    case ResultCode::kNotFound:
      return "notfound";
    case ResultCode::kNotStored:
      return "notstored";
    case ResultCode::kExists:
      return "exists";
    case ResultCode::kClientError:
      return "client_error";
    case ResultCode::kRemoteError:
      return "remote_error";
    case ResultCode::kTimeout:
      return "timeout";
    case ResultCode::kConnectTimeout:
      return "connect_timeout";
    case ResultCode::kConnectError:
      return "connect_error";
    case ResultCode::kTko:
      return "tko";
  }
  return "unknown";
}

}  // namespace memfleet::protocol
