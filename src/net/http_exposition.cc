#include "net/http_exposition.h"

#include <cinttypes>
#include <cstdio>

namespace memfleet::net {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

// Help texts escape backslash and newline; label values also the double quote.
void AppendEscaped(std::string* out, std::string_view v, bool quote) {
  for (char c : v) {
    if (c == '\\' || (quote && c == '"')) {
      *out += '\\';
      *out += c;
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

}  // namespace

void Exposition::Family(std::string_view name, MetricType type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  AppendEscaped(&out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += TypeName(type);
  out_ += '\n';
}

void Exposition::Head(std::string_view name, std::string_view labels) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    out_ += labels;
    out_ += '}';
  }
  out_ += ' ';
}

void Exposition::Sample(std::string_view name, std::string_view labels, double value) {
  Head(name, labels);
  char buf[64];
  snprintf(buf, sizeof(buf), "%.17g\n", value);
  out_ += buf;
}

void Exposition::SampleInteger(std::string_view name, std::string_view labels, uint64_t value) {
  Head(name, labels);
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
  out_ += buf;
}

void Exposition::SampleText(std::string_view name, std::string_view labels,
                            std::string_view value) {
  Head(name, labels);
  out_ += value;
  out_ += '\n';
}

std::string Exposition::Label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  AppendEscaped(&out, value, true);
  out += '"';
  return out;
}

}  // namespace memfleet::net
