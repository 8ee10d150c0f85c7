"""memfleet integration tests: the real server binary, driven by real memcached clients.

How to run (from the repository root; always with Debian's /usr/bin/python3, which is where
python3-pytest, python3-pymemcache, python3-pylibmc and python3-memcache are installed):

    scripts/install-deps.sh                      # once: clients, memcached, memccapable
    make asan release                            # build/asan/bin/memfleetd, build/release/bin/...
    /usr/bin/python3 -m pytest tests/integration # against build/asan/bin/memfleetd

Against another build of memfleetd:

    MEMFLEETD=build/debug/bin/memfleetd /usr/bin/python3 -m pytest tests/integration

Against the reference server (memcached 1.6 is the specification; this run must pass, and is how
every expectation in this directory was checked):

    MEMFLEETD=/usr/bin/memcached /usr/bin/python3 -m pytest tests/integration

When the binary is memcached the fixture adds `-u nobody` (memcached refuses to run as root without
it), and tests marked `memfleet_only` (properties memcached does not have, e.g. "a UDP data block
cut off by its datagram is dropped" or the RSS bound of the release build) are skipped.

Defaults when the variables are unset: MEMFLEETD = build/asan/bin/memfleetd (or the older
build/asan/apps/memfleetd[/memfleetd]). The memory test starts the RELEASE binary: MEMFLEETD_RELEASE
(default build/release/bin/memfleetd, or build/release/apps/memfleetd[/memfleetd]); it is skipped
with a reason when that binary is missing. Relative paths are relative to the repository root.

Fixtures:
  start_server(args=(), *, binary=None, name=None, expected_exit_codes=(0,)) -> ServerProcess
      a factory: starts the binary on a free port of 127.0.0.1 with extra flags, e.g.
      start_server(["-m", "8", "-I", "2m"]); with "-s PATH" it listens on that unix socket instead.
  server -> (host, port) of a server with default flags.
  module_server -> (host, port) of one default server shared by a test module.

Every server is stopped after its test (SIGTERM, then SIGKILL) and the test FAILS (an error at
teardown) if the server died, exited non-zero, needed SIGKILL, or printed a sanitizer report
("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", ThreadSanitizer).

Rules for tests here: assert real outcomes, never timings; bound every loop in count and time;
talk only to 127.0.0.1 (or a unix socket in a temporary directory).

memcached 1.6.18 behaviours the tests pin that are easy to get wrong (memcached is right):
  - bad data chunk: exactly <length>+2 bytes are consumed, then parsing resumes (so the rest of
    the line usually yields a second reply, ERROR); the old value stays. A value over -I is read
    and discarded, and the old item under that key IS removed; the SERVER_ERROR comes only after
    the data has arrived.
  - a malformed storage command line (bad flags/exptime/length, key > 250) is NOT followed by a
    swallow of its data block: the data line is parsed as a command and answers ERROR.
  - `flush_all N` takes effect at (now + N - 1) on a one-second clock: `flush_all 1` is
    immediate; items stored in the second the deadline passes are dropped too.
  - `gat`/`gats` count as touches (cmd_touch, touch_hits/misses), not as gets; cmd_get counts
    keys, not commands; incr/decr in place do not count in total_items.
  - `-c N` leaves room for reserved descriptors: with -c 64 -t 4 about 40 clients are served;
    memcached also lowers RLIMIT_NOFILE to N, so -c 10 -t 4 does not start at all.
  - memccapable -a: all 27 ASCII tests pass against the reference; none is skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from server_process import (ServerProcess, ServerStartError, is_reference, release_binary,
                            server_binary)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "memfleet_only: checks a memfleet-specific property; skipped against the reference "
        "memcached")


def pytest_report_header(config):
    binary = server_binary()
    kind = "reference memcached" if is_reference(binary) else "memfleetd"
    return [f"server under test ({kind}): {binary}",
            f"release binary for the memory test: {release_binary()}"]


def pytest_runtest_setup(item):
    if item.get_closest_marker("memfleet_only") and is_reference(server_binary()):
        pytest.skip("memfleet-only property; not applicable to the reference memcached")


@pytest.fixture(scope="session")
def binary() -> Path:
    return server_binary()


@pytest.fixture(scope="session")
def reference(binary) -> bool:
    return is_reference(binary)


class _Servers:
    """Starts servers for one fixture scope and judges them all when the scope ends."""

    def __init__(self, workdir: Path, default_binary: Path):
        self.workdir = workdir
        self.default_binary = default_binary
        self.servers = []

    def start(self, args=(), *, binary=None, name=None, expected_exit_codes=(0,)):
        name = name or f"server{len(self.servers)}"
        srv = ServerProcess(binary or self.default_binary, args, self.workdir, name=name,
                            expected_exit_codes=expected_exit_codes)
        self.servers.append(srv)
        try:
            return srv.start()
        except ServerStartError as e:
            message = str(e)
        self.servers.remove(srv)  # reported here, not again at teardown
        srv.kill()
        pytest.fail(message, pytrace=False)

    def finish(self):
        failures = []
        for srv in self.servers:
            srv.stop()
            problems = srv.problems()
            if problems:
                tail = srv.stderr_text()[-3000:]
                failures.append(f"{' '.join(srv.cmdline)}:\n  " + "\n  ".join(problems) +
                                f"\n--- stderr (tail) ---\n{tail}")
        if failures:
            pytest.fail("server exited abnormally:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture
def start_server(tmp_path, binary):
    servers = _Servers(tmp_path, binary)
    yield servers.start
    servers.finish()


@pytest.fixture
def server(start_server):
    srv = start_server()
    yield (srv.host, srv.port)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory, binary):
    name = re.sub(r"\W", "_", os.environ.get("PYTEST_CURRENT_TEST", "module"))[:40]
    servers = _Servers(tmp_path_factory.mktemp(name), binary)
    srv = servers.start()
    yield (srv.host, srv.port)
    servers.finish()
