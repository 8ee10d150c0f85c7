// Exposition: builds a page of Prometheus' text exposition format (version 0.0.4), the body
// HttpMetricsServer serves at /metrics. A family is announced once with its HELP and TYPE lines,
// then its samples follow; label values and help texts are escaped as the format requires.
//
// A plain string builder: no state beyond the text, one thread at a time. It does not check that
// names are valid or that a family's samples follow it: the caller writes families in order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace memfleet::net {

enum class MetricType { kCounter, kGauge, kHistogram, kUntyped };

class Exposition {
 public:
  // The "# HELP" and "# TYPE" lines of a family.
  void Family(std::string_view name, MetricType type, std::string_view help);
  // One sample line. labels: the text between the braces (`a="x",b="y"`, made with Label), or
  // empty for none.
  void Sample(std::string_view name, std::string_view labels, double value);
  // An integer printed exactly (a double loses counts above 2^53).
  void SampleInteger(std::string_view name, std::string_view labels, uint64_t value);
  // value: a number already in the format's syntax (e.g. a stats value printed as is).
  void SampleText(std::string_view name, std::string_view labels, std::string_view value);

  std::string Take() { return std::move(out_); }
  const std::string& text() const { return out_; }

  // `name="value"` with the value escaped (backslash, double quote, newline).
  static std::string Label(std::string_view name, std::string_view value);

 private:
  void Head(std::string_view name, std::string_view labels);

  std::string out_;
};

}  // namespace memfleet::net
