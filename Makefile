# memfleet — top-level commands. `make run` and `make test` do all set-up on a fresh Debian 12.
#   make run          build the release binary and serve on 127.0.0.1:11211 (64 MB, 4 threads)
#   make test         install missing packages, build, run unit + integration tests (+ TSan, fuzz)
#   make build        release build only          make asan / tsan   sanitizer builds
#   make unit         unit tests (ASan build)     make integration   pytest suite
#   make fuzz         libFuzzer run of the parsers (clang)
#   make format       clang-format every file     make format-check  CI formatting check
#   make bench        memfleetd vs memcached side by side (BENCH_QUICK=1: a few seconds per run)
#   make fleet        three memfleetd and a memfleet-router on 127.0.0.1:11211 (configs/fleet.json)
#   make bench-router memfleet-router vs nutcracker side by side
#   make chaos        the router's fault tests (test_router_chaos.py) longer and with more clients
#   make bench-faults latency and errors of a replicated pool while a replica dies, freezes, returns
#   make compat       memcached 1.6.18's own t/*.t against the release memfleetd (if ../shared has it)

JOBS ?= $(shell nproc)
PYTHON := /usr/bin/python3
FUZZ_SECONDS ?= 10
# FUZZ_RUNS=N runs each target for N executions instead of FUZZ_SECONDS (the long run in
# docs/benchmarks.md: FUZZ_RUNS=10000000 make fuzz).
FUZZ_RUNS ?=
RUN_ARGS ?= -l 127.0.0.1 -p 11211 -m 64 -t 4
MEMFLEETD ?= $(CURDIR)/build/asan/bin/memfleetd
MEMFLEETD_RELEASE ?= $(CURDIR)/build/release/bin/memfleetd

.PHONY: fleet bench-router chaos bench-faults compat
.PHONY: all run test deps build release asan tsan unit unit-tsan integration fuzz format format-check clean bench

all: build

deps:
	@bash scripts/install-deps.sh

build: release

release:
	cmake --preset release >/dev/null
	cmake --build build/release -j $(JOBS) --target memfleetd memfleet-router

asan:
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS)

tsan:
	cmake --preset tsan >/dev/null
	cmake --build build/tsan -j $(JOBS)

run:
	@command -v cmake >/dev/null && command -v ninja >/dev/null || bash scripts/install-deps.sh
	$(MAKE) release
	./build/release/bin/memfleetd $(RUN_ARGS)

unit: asan
	cd build/asan && ctest --output-on-failure -j $(JOBS)

# The TSan run needs only the unit test binaries: every memfleet_*_test executable CMake defines.
unit-tsan:
	cmake --preset tsan >/dev/null
	cmake --build build/tsan -j $(JOBS) --target $$(ninja -C build/tsan -t targets all | \
	  sed -n 's/.*CXX_EXECUTABLE_LINKER__\(memfleet_[a-z_]*_test\)_.*/\1/p' | sort -u)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS)

integration: asan release
	MEMFLEETD=$(MEMFLEETD) MEMFLEETD_RELEASE=$(MEMFLEETD_RELEASE) \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# Every tests/fuzz/<name>_parser_fuzz.cc is built and run on a copy of tests/fuzz/corpus/<name>.
FUZZ_TARGETS := $(basename $(notdir $(wildcard tests/fuzz/*_fuzz.cc)))

fuzz:
	@if command -v clang++ >/dev/null; then \
	  cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS) --target $(FUZZ_TARGETS) && \
	  for name in $(FUZZ_TARGETS); do \
	    t=build/fuzz/tests/fuzz/$$name; corpus=tests/fuzz/corpus/$${name%_parser_fuzz}; \
	    work=$$(mktemp -d); cp -r $$corpus/. $$work/ 2>/dev/null; \
	    echo "fuzzing $$name for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) runs,$(FUZZ_SECONDS)s)"; \
	    $$t $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) -print_final_stats=0 $$work >$$work.log 2>&1 || { tail -50 $$work.log; exit 1; }; \
	    tail -1 $$work.log; rm -rf $$work $$work.log; \
	  done; \
	else echo "clang++ not found: skipping fuzz targets"; fi

test: deps
	$(MAKE) format-check
	$(MAKE) unit
	$(MAKE) unit-tsan
	$(MAKE) integration
	$(MAKE) fuzz

format:
	find src apps tests tools bench include \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | xargs -r clang-format -i

format-check:
	find src apps tests tools bench include \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | xargs -r clang-format --dry-run -Werror

# Side-by-side benchmark against Debian's memcached (bench/compare; tables in docs/benchmarks.md).
# Not part of `make test`. BENCH_QUICK=1 for a short run; BENCH_ARGS for more compare flags.
BENCH_BUILD ?= $(CURDIR)/build/release
BENCH_ARGS ?=

bench:
	@command -v memcached >/dev/null || bash scripts/install-deps.sh
	$(PYTHON) bench/compare --build-dir $(BENCH_BUILD) $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

bench-router:
	@command -v nutcracker >/dev/null || bash scripts/install-deps.sh
	$(PYTHON) bench/router_compare --build-dir $(BENCH_BUILD) $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

# The fault tests of `make integration` (tests/integration/test_router_chaos.py: replicas killed,
# frozen, cut off through a fault proxy, under client load) with every load phase CHAOS_SCALE
# times longer and CHAOS_CLIENTS client threads. Not part of `make test` (the short run is).
CHAOS_SCALE ?= 5
CHAOS_CLIENTS ?= 32

chaos:
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS) --target memfleetd memfleet-router
	MEMFLEETD=$(MEMFLEETD) MEMFLEET_CHAOS_SCALE=$(CHAOS_SCALE) MEMFLEET_CHAOS_CLIENTS=$(CHAOS_CLIENTS) \
	  $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/integration/test_router_chaos.py

# Failure benchmark (bench/router_faults; "Issue 12: failures" in docs/benchmarks.md): a replicated
# pool of three release memfleetd behind a release router under memfleet-bench's open loop, while
# a replica is killed, restarted (replayed), stopped and resumed. BENCH_QUICK=1: one short run.
bench-faults:
	$(PYTHON) bench/router_faults --build-dir $(BENCH_BUILD) $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

# memcached 1.6.18's own protocol tests (t/*.t, kept outside the repository in COMPAT_SUITE)
# against the release memfleetd, judged against tests/compat/expected_failures.txt; fails on any
# other failure or hang. Skipped when COMPAT_SUITE does not exist. Not part of `make test` (about
# 3.5 minutes with 2 files at a time, and timing-sensitive files on a loaded machine).
# COMPAT_ARGS: more runner flags, e.g. "-v stats.t" or "--timeout 300".
COMPAT_SUITE ?= $(CURDIR)/../shared/memcached-1.6.18
COMPAT_ARGS ?=

compat:
	@if [ -d "$(COMPAT_SUITE)/t" ]; then \
	  $(MAKE) release && \
	  $(PYTHON) tests/compat/run_suite.py --suite "$(COMPAT_SUITE)" $(MEMFLEETD_RELEASE) $(COMPAT_ARGS); \
	else echo "compat: $(COMPAT_SUITE) not found, nothing to run"; fi

fleet:
	@command -v cmake >/dev/null && command -v ninja >/dev/null || bash scripts/install-deps.sh
	$(MAKE) release
	bash scripts/fleet.sh build/release $(FLEET_ARGS)

clean:
	rm -rf build
