// Microbenchmarks of the text protocol parser: one get line, one set line, a 100-key multiget.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/text/request.h"

namespace {

using memfleet::protocol::text::KeyIterator;
using memfleet::protocol::text::ParseRequest;
using memfleet::protocol::text::ParseStatus;
using memfleet::protocol::text::Request;

void ParseLine(benchmark::State& state, const std::string& line) {
  Request req;
  for (auto _ : state) {
    const auto r = ParseRequest(line, &req);
    if (r.status != ParseStatus::kOk) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(req);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}

void BM_ParseGet(benchmark::State& state) {
  ParseLine(state, "get k0000000000000000000000012345\r\n");
}
BENCHMARK(BM_ParseGet);

void BM_ParseSet(benchmark::State& state) {
  ParseLine(state, "set k0000000000000000000000012345 0 0 100\r\n");
}
BENCHMARK(BM_ParseSet);

void BM_ParseMultiget100(benchmark::State& state) {
  std::string line = "get";
  for (int i = 0; i < 100; ++i) {
    std::string key = std::to_string(i);
    line += " k" + std::string(31 - key.size(), '0') + key;
  }
  line += "\r\n";
  Request req;
  for (auto _ : state) {
    if (ParseRequest(line, &req).status != ParseStatus::kOk) state.SkipWithError("parse failed");
    KeyIterator it(req.keys);  // a server walks every key
    std::string_view key;
    size_t n = 0;
    while (it.Next(&key)) n += key.size();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 100));
}
BENCHMARK(BM_ParseMultiget100);

}  // namespace
