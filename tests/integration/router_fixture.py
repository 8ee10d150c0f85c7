"""memfleet-router fleets for the integration tests: backends (memfleetd or Debian memcached) and
one router in front of them, started on free loopback ports and stopped by pid.

A FleetFactory belongs to one fixture scope. It starts backends (`backend()`), routers
(`router()`) and whole fleets (`fleet()`: N backends, a config JSON in the scope's temporary
directory, a router with `-p <free port> -l 127.0.0.1 -t 2 --config-file ...`, ready once it
answers `version`), and at the end of the scope (`finish()`) stops every process it started —
routers first, then backends; SIGTERM, SIGKILL after a bound — and fails the test when one died,
exited with an unexpected code, needed SIGKILL, or printed a sanitizer report. A process a test
kills or stops on purpose is handed to `forget()` first, so that its end is not judged.

The config is the form every router build understands: `{"pools": {"A": {"servers": [...]}},
"route": "PoolRoute|A"}`. Tests never assume which server a key lands on: they ask the router
(`Fleet.route(key)`, the `get __memfleet__.route(get,KEY)` admin get) and read that server.

Binaries (relative paths are relative to the repository root):
  MEMFLEET_ROUTER          default build/asan/bin/memfleet-router
  MEMFLEET_ROUTER_RELEASE  default build/release/bin/memfleet-router (the memory test; skipped
                           with a reason when it is missing)
  MEMFLEETD                the memfleetd backends (as conftest.py; when it names memcached, the
                           "memfleetd" backends are build/asan/bin/memfleetd all the same)
  Debian's /usr/bin/memcached for the "memcached" backends and the direct oracle.

Fixtures: `fleet_factory` (per test) and `module_fleet_factory` (per module); test modules
import them (`from router_fixture import fleet_factory`). Main test thread only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import pytest

from server_process import (DEFAULT_BINARIES, HOST, STOP_TIMEOUT, ServerProcess, ServerStartError,
                            base_args, check_executable, is_reference, resolve_binary)
from wire import WireConn

ROUTER_DEFAULTS = ("build/asan/bin/memfleet-router",)
ROUTER_RELEASE_DEFAULTS = ("build/release/bin/memfleet-router",)
MEMCACHED = Path("/usr/bin/memcached")
BACKEND_KINDS = ("memfleetd", "memcached")
ROUTER_READY_TIMEOUT = 20.0
# Backends get few threads and little memory: the machine is small and shared.
BACKEND_ARGS = {"memfleetd": ["-t", "2", "-m", "64"], "memcached": ["-t", "2", "-m", "64"]}


def router_binary() -> Path:
    return resolve_binary(os.environ.get("MEMFLEET_ROUTER"), ROUTER_DEFAULTS)


def router_release_binary() -> Path:
    return resolve_binary(os.environ.get("MEMFLEET_ROUTER_RELEASE"), ROUTER_RELEASE_DEFAULTS)


def memfleetd_binary() -> Path:
    configured = resolve_binary(os.environ.get("MEMFLEETD"), DEFAULT_BINARIES)
    if is_reference(configured):
        return resolve_binary(None, DEFAULT_BINARIES)
    return configured


def backend_binary(kind: str) -> Path:
    if kind == "memcached":
        return MEMCACHED
    if kind == "memfleetd":
        return memfleetd_binary()
    raise ValueError(f"unknown backend kind {kind!r}")


def pool_config(servers: Sequence[str], pool: str = "A") -> dict:
    return {"pools": {pool: {"servers": list(servers)}}, "route": f"PoolRoute|{pool}"}


def wait_for_version(addr, timeout: float = ROUTER_READY_TIMEOUT) -> bytes:
    """Waits (bounded) until the server at addr answers `version`; returns the reply line."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with WireConn(addr, timeout=max(0.5, deadline - time.monotonic())) as c:
                line = c.version()
                if line.startswith(b"VERSION "):
                    return line
                last = repr(line)
        except (OSError, AssertionError) as e:
            last = str(e)
        time.sleep(0.05)
    raise ServerStartError(f"{addr} did not answer version within {timeout}s: {last}")


class PinnedProcess(ServerProcess):
    """A ServerProcess started on a port chosen in advance (a backend restarted on its old port,
    a backend whose port is in the config before it runs). Retries while the port is still held
    by a socket of the previous process (TIME_WAIT does not block a listener; a lingering one
    can)."""

    def __init__(self, *args, port: int, **kw):
        super().__init__(*args, **kw)
        self.pinned_port = port

    def start(self) -> "PinnedProcess":
        problem = check_executable(self.binary)
        if problem:
            raise ServerStartError(problem)
        self.port = self.pinned_port
        deadline = time.monotonic() + 20.0
        last_error = ""
        while True:
            net_args = ["-p", str(self.port), "-l", HOST]
            self.cmdline = [str(self.binary), *base_args(self.binary), *net_args,
                            *self.extra_args]
            with open(self.stderr_path, "ab") as err:
                err.write(f"### pinned start: {' '.join(self.cmdline)}\n".encode())
                err.flush()
                attempt_start = err.tell()
                self.proc = subprocess.Popen(self.cmdline, stdin=subprocess.DEVNULL,
                                             stdout=err, stderr=err, cwd=self.workdir)
            if self._wait_accepting():
                return self
            self.proc.wait(timeout=STOP_TIMEOUT)
            last_error = self.stderr_text()[attempt_start:]
            if "in use" not in last_error.lower() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        raise ServerStartError(f"{' '.join(self.cmdline)} did not start on port {self.port} "
                               f"(exit code {self.proc.returncode}):\n{last_error[-4000:]}")


class Fleet:
    """Backends and the router in front of them."""

    def __init__(self, factory: "FleetFactory", kind: str, backends: List[Optional[ServerProcess]],
                 ports: List[int], router: ServerProcess, config_path: Path):
        self.factory = factory
        self.kind = kind
        self.backends = backends  # None where a backend was never started (a closed port)
        self.ports = ports
        self.router = router
        self.config_path = config_path

    @property
    def addr(self) -> Tuple[str, int]:
        return (self.router.host, self.router.port)

    @property
    def servers(self) -> List[str]:
        return [f"{HOST}:{p}" for p in self.ports]

    def backend_addr(self, i: int) -> Tuple[str, int]:
        return (HOST, self.ports[i])

    def route(self, key: Union[str, bytes], op: str = "get", conn: Optional[WireConn] = None
              ) -> List[str]:
        """The servers ("host:port") the router sends an `op` for key to (its admin get)."""
        if isinstance(key, bytes):
            key = key.decode()
        request = f"get __memfleet__.route({op},{key})\r\n".encode()
        own = conn is None
        c = WireConn(self.addr) if own else conn
        try:
            c.send(request)
            reply = c.read_value_reply()
        finally:
            if own:
                c.close()
        m = re.match(rb"VALUE \S+ 0 (\d+)\r\n", reply)
        assert m, f"admin get {request!r} answered {reply!r}"
        value = reply[m.end():m.end() + int(m.group(1))].decode()
        return value.split("\r\n") if value else []

    def index_for(self, key: Union[str, bytes], conn: Optional[WireConn] = None) -> int:
        """The index (into backends/ports) of the one server key goes to."""
        dests = self.route(key, conn=conn)
        assert len(dests) == 1, f"key {key!r} routes to {dests}"
        return self.servers.index(dests[0])

    def place(self, keys: Sequence[Union[str, bytes]]) -> Dict[int, list]:
        """Keys grouped by the backend index the router puts them on (one admin connection)."""
        out: Dict[int, list] = {}
        with WireConn(self.addr) as c:
            for k in keys:
                out.setdefault(self.index_for(k, conn=c), []).append(k)
        return out

    def check_router_alive(self) -> None:
        assert self.router.running(), (
            f"the router died (exit code {self.router.proc.returncode}):\n"
            f"{self.router.stderr_text()[-3000:]}")

    def kill_backend(self, i: int, sig: int = signal.SIGKILL) -> None:
        """Kills backend i by its pid (deliberately: its end is not judged)."""
        b = self.backends[i]
        assert b is not None and b.running()
        self.factory.forget(b)
        b.proc.send_signal(sig)
        b.proc.wait(timeout=STOP_TIMEOUT)

    def restart_backend(self, i: int) -> ServerProcess:
        """Starts backend i again on its port."""
        b = self.factory.backend(self.kind, port=self.ports[i], name=f"backend{i}-restarted")
        self.backends[i] = b
        return b


class FleetFactory:
    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.routers: List[ServerProcess] = []
        self.backends: List[ServerProcess] = []
        self.forgotten: List[ServerProcess] = []
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _start(self, proc: ServerProcess, into: List[ServerProcess]) -> ServerProcess:
        into.append(proc)
        try:
            return proc.start()
        except ServerStartError as e:
            message = str(e)
        into.remove(proc)
        proc.kill()
        pytest.fail(message, pytrace=False)

    def backend(self, kind: str = "memfleetd", args: Sequence[str] = (), *,
                port: Optional[int] = None, name: Optional[str] = None) -> ServerProcess:
        binary = backend_binary(kind)
        if check_executable(binary):
            pytest.skip(f"{kind} backend not available: {check_executable(binary)}")
        all_args = [*BACKEND_ARGS[kind], *args]
        name = name or self._name(f"{kind}-")
        if port is None:
            proc = ServerProcess(binary, all_args, self.workdir, name=name)
        else:
            proc = PinnedProcess(binary, all_args, self.workdir, name=name, port=port)
        return self._start(proc, self.backends)

    def write_config(self, config: Union[dict, str], name: Optional[str] = None) -> Path:
        path = self.workdir / (name or f"{self._name('router-config')}.json")
        path.write_text(config if isinstance(config, str) else json.dumps(config, indent=2))
        return path

    def router(self, config: Union[dict, str, Path, None], args: Sequence[str] = (), *,
               binary: Optional[Path] = None, threads: int = 2, name: Optional[str] = None,
               expected_exit_codes=(0,)) -> ServerProcess:
        """Starts a router on a free port of 127.0.0.1 (or on the unix socket of `-s` in args)
        with the config (a dict or text written to a file, or a file path; None: args carry
        it) and waits until it answers version."""
        binary = binary or router_binary()
        problem = check_executable(binary)
        if problem:
            pytest.fail(f"{problem}: build it (cmake --build build/asan --target "
                        f"memfleet-router) or point MEMFLEET_ROUTER at it", pytrace=False)
        full = ["-t", str(threads)]
        if isinstance(config, Path):
            full += ["--config-file", str(config)]
        elif config is not None:
            full += ["--config-file", str(self.write_config(config))]
        full += list(args)
        proc = ServerProcess(binary, full, self.workdir, name=name or self._name("router"),
                             expected_exit_codes=expected_exit_codes)
        self._start(proc, self.routers)
        try:
            wait_for_version(proc.addr)
        except ServerStartError as e:
            pytest.fail(f"{e}\n--- router stderr ---\n{proc.stderr_text()[-3000:]}",
                        pytrace=False)
        return proc

    def fleet(self, kind: str = "memfleetd", n: int = 3, *, router_args: Sequence[str] = (),
              backend_args: Sequence[str] = (), dead: Sequence[int] = (),
              binary: Optional[Path] = None, threads: int = 2) -> Fleet:
        """n backends of `kind` (those whose index is in `dead` are never started: their port is
        free and closed) and a router in front of them."""
        backends: List[Optional[ServerProcess]] = []
        ports: List[int] = []
        for i in range(n):
            if i in dead:
                with socket.socket() as s:
                    s.bind((HOST, 0))
                    ports.append(s.getsockname()[1])
                backends.append(None)
                continue
            b = self.backend(kind, backend_args, name=self._name(f"{kind}-backend{i}-"))
            backends.append(b)
            ports.append(b.port)
        config = pool_config([f"{HOST}:{p}" for p in ports])
        path = self.write_config(config)
        router = self.router(path, router_args, binary=binary, threads=threads)
        return Fleet(self, kind, backends, ports, router, path)

    def forget(self, proc: ServerProcess) -> None:
        """proc is stopped or killed by the test on purpose: its end is not judged."""
        for group in (self.routers, self.backends):
            if proc in group:
                group.remove(proc)
        self.forgotten.append(proc)

    def finish(self) -> None:
        failures = []
        for proc in [*self.routers, *self.backends]:
            if proc.proc is not None and proc.proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)  # in case a test left it stopped
                except OSError:
                    pass
            proc.stop()
            problems = proc.problems()
            if problems:
                failures.append(f"{' '.join(proc.cmdline)}:\n  " + "\n  ".join(problems) +
                                f"\n--- stderr (tail) ---\n{proc.stderr_text()[-3000:]}")
        for proc in self.forgotten:
            if proc.proc is not None and proc.proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)
                except OSError:
                    pass
                proc.kill()
        if failures:
            pytest.fail("process exited abnormally:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture
def fleet_factory(tmp_path):
    factory = FleetFactory(tmp_path)
    yield factory
    factory.finish()


@pytest.fixture(scope="module")
def module_fleet_factory(tmp_path_factory):
    name = re.sub(r"\W", "_", os.environ.get("PYTEST_CURRENT_TEST", "module"))[:40]
    factory = FleetFactory(tmp_path_factory.mktemp(name))
    yield factory
    factory.finish()
