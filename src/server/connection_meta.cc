// Meta protocol commands for Connection (see connection.h). Not implemented yet: memfleetd
// answers them as an unknown command, as docs/compatibility.md says.
#include "server/connection.h"

namespace memfleet::server {

void Connection::ExecuteMeta(const protocol::text::Request&) { ReplyAlways("ERROR"); }

void Connection::FinishMetaStore(bool) { pending_item_.Reset(); }

}  // namespace memfleet::server
