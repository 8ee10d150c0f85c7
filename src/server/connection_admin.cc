// Operator commands (slabs, lru_crawler, lru, watch, misbehave) for Connection. Not implemented
// yet: answered as unknown commands, as docs/compatibility.md says.
#include "server/connection.h"

namespace memfleet::server {

void Connection::ExecuteOperator(const protocol::text::Request&) { ReplyAlways("ERROR"); }

}  // namespace memfleet::server
