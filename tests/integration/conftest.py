"""memfleet integration tests: the real server binary, driven by real memcached clients.

How to run (from the repository root; always with Debian's /usr/bin/python3, which is where
python3-pytest, python3-pymemcache, python3-pylibmc and python3-memcache are installed):

    scripts/install-deps.sh                      # once: clients, memcached, memccapable
    cmake --preset asan && cmake --build --preset asan
    /usr/bin/python3 -m pytest tests/integration             # against build/asan/apps/memfleetd

Against another build of memfleetd:

    MEMFLEETD=build/debug/apps/memfleetd /usr/bin/python3 -m pytest tests/integration

Against the reference server (memcached 1.6 is the specification; this run must pass, and is how
every expectation in this directory was checked):

    MEMFLEETD=/usr/bin/memcached /usr/bin/python3 -m pytest tests/integration

When the binary is memcached the fixture adds `-u nobody` (memcached refuses to run as root without
it), and tests marked `memfleet_only` (properties memcached does not have, e.g. "-U 1 is rejected
because UDP is not supported yet" or the RSS bound of the release build) are skipped.

The memory test starts the RELEASE binary: MEMFLEETD_RELEASE (default build/release/apps/memfleetd);
it is skipped with a reason when that binary is missing.

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
