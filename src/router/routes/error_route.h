// ErrorRoute: the route that answers every request with an error of the config's choosing.
//
// Holds its error line; immutable, shared by every worker thread.
#pragma once

#include <string>
#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Sends the request nowhere. The reply is a server error: "SERVER_ERROR <response>", or
// "SERVER_ERROR local error" (mcrouter's words for an error reply without a message) when the
// config gives no response; it comes before Dispatch returns.
class ErrorRoute final : public Route {
 public:
  // A control byte in response (a line break would end the reply line early) becomes a space.
  explicit ErrorRoute(std::string_view response);

  void Dispatch(const Request&, RequestContext&, ReplyReceiver& done) const override {
    done.OnReply(ErrorReply(line_));
  }
  void Traverse(const Request&, RouteTraverser&) const override {}
  std::string_view type() const override { return "ErrorRoute"; }

  // The whole error line, without "\r\n".
  const std::string& line() const { return line_; }

  static constexpr std::string_view kPrefix = "SERVER_ERROR ";
  static constexpr std::string_view kDefaultLine = "SERVER_ERROR local error";

 private:
  std::string line_;
};

}  // namespace memfleet::router
