// StatSink: where code that reports statistics sends its `STAT name value` pairs.
//
// A plain callable, called once per line in the order the lines must appear. It is the same type
// as memfleet::storage::StatSink (storage/engine.h), so one sink serves both. The caller owns the
// sink; it is invoked synchronously on the calling thread and never stored.
#pragma once

#include <functional>
#include <string_view>

namespace memfleet {

using StatSink = std::function<void(std::string_view name, std::string_view value)>;

}  // namespace memfleet
