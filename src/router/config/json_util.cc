#include "router/config/json_util.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace memfleet::router::json {

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...";
  out.push_back('"');
  return out;
}

std::string Key(const std::string& path, std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') plain = false;
  }
  if (plain) return path + "." + std::string(key);
  return path + "[" + Quote(key) + "]";
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Status Error(const std::string& path, std::string_view message) {
  return Status::InvalidArgument("config error at " + path + ": " + std::string(message));
}

std::string Warning(const std::string& path, std::string_view message) {
  return "at " + path + ": " + std::string(message);
}

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::null:
      return "null";
    default:
      return "a value of another kind";
  }
}

std::string Expected(std::string_view what, const Json& j) {
  return "expected " + std::string(what) + ", got " + std::string(TypeName(j));
}

bool ReadInt(const Json& j, int64_t min, int64_t max, int64_t* out) {
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  } else if (j.is_number_integer()) {
    *out = j.get<int64_t>();
  } else if (j.is_number_float()) {
    double d = j.get<double>();
    // Range-checked before converting: a float outside int64 converts to nothing defined.
    if (!std::isfinite(d) || d != std::floor(d) || d < -9.2e18 || d > 9.2e18) return false;
    *out = static_cast<int64_t>(d);
  } else {
    return false;
  }
  return *out >= min && *out <= max;
}

bool ReadNumber(const Json& j, double* out) {
  if (!j.is_number()) return false;
  *out = j.get<double>();
  return std::isfinite(*out);
}

const Json* Find(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace memfleet::router::json
