// Helpers of the JSON config reader: JSON paths for error messages ("$.pools.A.servers[1]"),
// config errors and warnings that name them, type names, and number reading that never throws
// and never converts out of range. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace memfleet::router::json {

// Objects keep the file's order, so that errors and warnings come in the order of the file.
using Json = nlohmann::ordered_json;

// path + ".key", or path + "[\"key\"]" when key is not a plain name (letters, digits, _ and -).
std::string Key(const std::string& path, std::string_view key);
// path + "[i]".
std::string Index(const std::string& path, size_t i);

// InvalidArgument("config error at <path>: <message>").
Status Error(const std::string& path, std::string_view message);
// "at <path>: <message>", one line of RouteTree::warnings().
std::string Warning(const std::string& path, std::string_view message);

// "an object", "an array", "a string", "a number", "a boolean", "null".
std::string_view TypeName(const Json& j);
// "expected <what>, got <TypeName>".
std::string Expected(std::string_view what, const Json& j);

// An integer in [min, max] (a float with an integral value counts). False otherwise.
bool ReadInt(const Json& j, int64_t min, int64_t max, int64_t* out);
// A finite number. False otherwise.
bool ReadNumber(const Json& j, double* out);

// The value of a key of an object, or nullptr (also when j is not an object).
const Json* Find(const Json& j, std::string_view key);

// "\"s\"" with control bytes escaped, at most ~80 bytes of s.
std::string Quote(std::string_view s);

}  // namespace memfleet::router::json
