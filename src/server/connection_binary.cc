// Binary protocol for Connection (see connection.h). Not implemented yet: a binary request
// closes the connection, as docs/compatibility.md says.
#include "server/connection.h"

namespace memfleet::server {

void Connection::ProcessBinaryInput() { Close(); }

void Connection::FinishBinaryStore(bool) { pending_item_.Reset(); }

}  // namespace memfleet::server
