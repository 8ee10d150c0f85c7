"""memfleet-router puts every key on the server the client or proxy it replaces would have used.

Three Debian memcached serve as the backends of every case (shared by the module, flushed before
each test):

  (a) Debian's nutcracker runs with a nutcracker.yml (fnv1a_64+ketama, md5+ketama,
      murmur+modula, one_at_a_time+ketama with weights and server names, fnv1a_64+ketama with a
      hash_tag) and sets 10,000 keys; memfleet-router runs with the same yml, only its listen
      port rewritten, and reads every one of them back through its own placement; then the
      router sets 10,000 other keys and nutcracker reads them all. A key lives on one server
      only, so a key found is a key placed on the same server.
  (b) pylibmc with `ketama_weighted` (equal and unequal weights) and plain `ketama` sets 10,000
      keys directly on the servers; the router with an mcrouter JSON config hashing with
      "Ketama" (or "libmemcached_ketama", what the hash module calls pylibmc's plain ketama)
      reads them all.
  (c) a yml with two pools on two listen ports: each port stores in its own pool only.

Skipped with a reason when memcached, nutcracker or pylibmc is missing. The router binary is
MEMFLEET_ROUTER (router_fixture.py). Processes are stopped by pid; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from router_fixture import (MEMCACHED, PinnedProcess, module_fleet_factory,  # noqa: F401
                            router_binary, wait_for_version)
from server_process import HOST, STOP_TIMEOUT, ServerStartError, free_port
from wire import WireConn

NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"
NKEYS = 10_000
BATCH = 200
IO_TIMEOUT = 60.0
START_TIMEOUT = 20.0

pytestmark = pytest.mark.skipif(not MEMCACHED.exists(), reason="Debian's memcached is not installed")


# -- keys and values --------------------------------------------------------------------------

def make_keys(case: str, n: int = NKEYS, tagged: bool = False) -> List[bytes]:
    """Varied keys: short and long, bytes >= 0x80 (the hashes read them as signed chars), and
    with `tagged`, hash tags in several shapes (a tag, an empty tag, an unclosed one)."""
    keys = []
    for i in range(n):
        if i % 5 == 0:
            key = f"{case}:user:{i}:profil\u00e9"
        elif i % 5 == 1:
            key = f"k{i}-{case}"
        elif i % 5 == 2:
            key = f"session/{i * 7919:x}/{case}/" + "x" * (i % 90)
        else:
            key = f"{case}:pool:regional:{i:06d}"
        if tagged:
            shape = i % 4
            if shape == 0:
                key = f"{{user{i % 40}}}:{key}"
            elif shape == 1:
                key = f"{key}:{{}}"
            elif shape == 2:
                key = f"{key}{{open"
        keys.append(key.encode())
    return keys


def value_of(key: bytes) -> bytes:
    """A value that names its key, so that a hit is the right item, not any item."""
    return b"v:" + key[::-1][:40]


# -- a memcached-protocol client over one socket, pipelined in batches ------------------------

def _read_until(sock: socket.socket, done, deadline: float, data: bytes = b"") -> bytes:
    while not done(data):
        if time.monotonic() > deadline:
            raise TimeoutError("no complete reply")
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def set_all(port: int, keys: Sequence[bytes]) -> None:
    """Sets every key (value_of) through the server or proxy on port; every reply is STORED."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        deadline = time.monotonic() + IO_TIMEOUT
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            sock.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(value_of(k)), value_of(k))
                                  for k in batch))
            replies = _read_until(sock, lambda d: d.count(b"\r\n") >= len(batch), deadline)
            assert replies == b"STORED\r\n" * len(batch), replies[:300]


def get_all(port: int, keys: Sequence[bytes]) -> Dict[bytes, bytes]:
    """The values that the server or proxy on port returns for keys (multi-gets of BATCH)."""
    found: Dict[bytes, bytes] = {}
    with socket.create_connection((HOST, port), timeout=10) as sock:
        deadline = time.monotonic() + IO_TIMEOUT
        for start in range(0, len(keys), BATCH):
            sock.sendall(b"get " + b" ".join(keys[start:start + BATCH]) + b"\r\n")
            reply = _read_until(sock, lambda d: d.endswith(b"END\r\n"), deadline)
            pos = 0
            while not reply.startswith(b"END\r\n", pos):
                eol = reply.index(b"\r\n", pos)
                head = reply[pos:eol].split(b" ")
                assert head[0] == b"VALUE", reply[pos:pos + 200]
                length = int(head[3])
                found[head[1]] = reply[eol + 2:eol + 2 + length]
                pos = eol + 2 + length + 2
    return found


def assert_all_found(port: int, keys: Sequence[bytes], who: str) -> None:
    found = get_all(port, keys)
    missing = [k for k in keys if k not in found]
    assert not missing, (f"{who}: {len(missing)} of {len(keys)} keys not found (placed on "
                         f"another server), e.g. {missing[:3]}")
    wrong = [k for k in keys if found[k] != value_of(k)]
    assert not wrong, f"{who}: wrong values for {wrong[:3]}"


def flush(ports: Sequence[int]) -> None:
    for port in ports:
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(b"flush_all\r\n")
            assert _read_until(sock, lambda d: d.endswith(b"\r\n"),
                               time.monotonic() + 10) == b"OK\r\n"


def holds(port: int, keys: Sequence[bytes]) -> set:
    return set(get_all(port, keys))


# -- processes --------------------------------------------------------------------------------

class Nutcracker:
    """One Debian nutcracker with a given yml, stopped by its pid."""

    def __init__(self, workdir: Path, name: str, yml: str, port: int):
        self.conf = workdir / f"{name}.yml"
        self.log = workdir / f"{name}.log"
        self.conf.write_text(yml)
        self.port = port
        self.workdir = workdir
        self.name = name
        self.proc = None

    def start(self) -> "Nutcracker":
        cmd = [NUTCRACKER, "-c", str(self.conf), "-p", str(self.workdir / f"{self.name}.pid"),
               "-o", str(self.log), "-s", str(free_port()), "-a", HOST]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, cwd=self.workdir)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection((HOST, self.port), timeout=1.0).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        pytest.fail(f"nutcracker did not start:\n{self.conf.read_text()}\n{log[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)


def start_yml_router(factory, config: Path, ports: Sequence[int], name: str):
    """memfleet-router with a nutcracker.yml whose first pool listens on ports[0]; ready once
    every port in ports answers version. The factory stops and judges it."""
    proc = PinnedProcess(router_binary(), ["-t", "2", "--config-file", str(config)],
                         factory.workdir, name=name, port=ports[0])
    factory.routers.append(proc)
    try:
        proc.start()
        for port in ports:
            wait_for_version((HOST, port))
    except ServerStartError as e:
        pytest.fail(f"{e}\n--- router stderr ---\n{proc.stderr_text()[-3000:]}", pytrace=False)
    return proc


@pytest.fixture(scope="module")
def backends(module_fleet_factory):  # noqa: F811
    return [module_fleet_factory.backend("memcached", name=f"memcached{i}-").port
            for i in range(3)]


@pytest.fixture
def memcacheds(backends):
    flush(backends)
    return backends


# -- (a) nutcracker and the router with the same yml ------------------------------------------

NUTCRACKER_CASES = {
    # id: (hash, distribution, weights, names, hash_tag)
    "fnv1a_64-ketama": ("fnv1a_64", "ketama", (1, 1, 1), None, ""),
    "md5-ketama": ("md5", "ketama", (1, 1, 1), None, ""),
    "murmur-modula": ("murmur", "modula", (1, 1, 1), None, ""),
    "one_at_a_time-ketama-weights-names": ("one_at_a_time", "ketama", (1, 3, 2),
                                           ("alpha", "b", "server-three"), ""),
    "fnv1a_64-ketama-hash_tag": ("fnv1a_64", "ketama", (1, 1, 1), None, "{}"),
}


def nutcracker_yml(listen: str, servers: Sequence[int], hash_name: str, distribution: str,
                   weights, names, hash_tag: str) -> str:
    lines = [
        "pool:",
        f"  listen: {listen}",
        f"  hash: {hash_name}",
        f"  distribution: {distribution}",
        *([f"  hash_tag: \"{hash_tag}\""] if hash_tag else []),
        "  timeout: 5000",
        "  auto_eject_hosts: false",
        "  servers:",
    ]
    for i, (port, weight) in enumerate(zip(servers, weights)):
        lines.append(f"   - {HOST}:{port}:{weight}" + (f" {names[i]}" if names else ""))
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(not Path(NUTCRACKER).exists(), reason="Debian's nutcracker is not installed")
@pytest.mark.parametrize("case", list(NUTCRACKER_CASES))
def test_router_reads_what_nutcracker_wrote_and_back(module_fleet_factory, memcacheds,  # noqa: F811
                                                     case):
    hash_name, distribution, weights, names, hash_tag = NUTCRACKER_CASES[case]
    nc_port, router_port = free_port(), free_port()
    yml = nutcracker_yml(f"{HOST}:{nc_port}", memcacheds, hash_name, distribution, weights,
                         names, hash_tag)
    workdir = module_fleet_factory.workdir
    proxy = Nutcracker(workdir, f"nutcracker-{case}", yml, nc_port).start()
    try:
        # The same file for the router, its listen port rewritten.
        router_yml = workdir / f"router-{case}.yml"
        router_yml.write_text(yml.replace(f"{HOST}:{nc_port}", f"{HOST}:{router_port}"))
        assert router_yml.read_text().count(str(router_port)) == 1
        start_yml_router(module_fleet_factory, router_yml, [router_port], f"router-{case}-")

        by_nutcracker = make_keys(f"nc-{case}", tagged=bool(hash_tag))
        set_all(nc_port, by_nutcracker)
        assert_all_found(router_port, by_nutcracker, "the router reading nutcracker's keys")

        by_router = make_keys(f"router-{case}", tagged=bool(hash_tag))
        set_all(router_port, by_router)
        assert_all_found(nc_port, by_router, "nutcracker reading the router's keys")
    finally:
        proxy.stop()
    # Every server got a share (a placement that sent everything to one server would pass the
    # reads above trivially only if nutcracker did the same).
    for port in memcacheds:
        assert holds(port, by_nutcracker[:2000]), f"memcached on {port} got none of the keys"


# -- (b) pylibmc's ketama and the router's mcrouter JSON --------------------------------------

PYLIBMC_CASES = {
    # id: (pylibmc behaviors, weights, the router's hash function)
    "ketama_weighted": ({"ketama_weighted": True}, (1, 1, 1), "Ketama"),
    "ketama_weighted_1_2_3": ({"ketama_weighted": True}, (1, 2, 3), "Ketama"),
    "ketama_plain": ({"ketama": True}, (1, 1, 1), "libmemcached_ketama"),
}


@pytest.mark.parametrize("case", list(PYLIBMC_CASES))
def test_router_reads_what_pylibmc_wrote(module_fleet_factory, memcacheds, case):  # noqa: F811
    pylibmc = pytest.importorskip("pylibmc", reason="python3-pylibmc is not installed")
    behaviors, weights, func = PYLIBMC_CASES[case]
    servers = [f"{HOST}:{port}:{w}" if w != 1 else f"{HOST}:{port}"
               for port, w in zip(memcacheds, weights)]
    keys = make_keys(f"pylibmc-{case}")
    client = pylibmc.Client(servers, behaviors=behaviors)
    try:
        for start in range(0, len(keys), 500):
            failed = client.set_multi({k: value_of(k) for k in keys[start:start + 500]})
            assert not failed, f"pylibmc could not store {failed[:3]}"
    finally:
        client.disconnect_all()
    pool = {"servers": [f"{HOST}:{p}" for p in memcacheds]}
    if weights != (1, 1, 1):
        pool["weights"] = list(weights)
    config = {"pools": {"A": pool}, "route": {"type": "PoolRoute", "pool": "A", "hash": func}}
    router = module_fleet_factory.router(config, name=f"router-{case}-")
    assert_all_found(router.port, keys, f"the router ({func}) reading pylibmc's keys")
    for port in memcacheds:
        assert holds(port, keys[:2000]), f"memcached on {port} got none of the keys"


# -- (c) two pools, two listen ports ----------------------------------------------------------

def test_each_listen_port_routes_to_its_own_pool(module_fleet_factory, memcacheds):  # noqa: F811
    one_port, two_port = free_port(), free_port()
    while two_port == one_port:
        two_port = free_port()
    yml = "\n".join([
        "one:",
        f"  listen: {HOST}:{one_port}",
        "  hash: fnv1a_64",
        "  distribution: ketama",
        "  servers:",
        f"   - {HOST}:{memcacheds[0]}:1",
        f"   - {HOST}:{memcacheds[1]}:1",
        "two:",
        f"  listen: {HOST}:{two_port}",
        "  hash: md5",
        "  distribution: modula",
        "  servers:",
        f"   - {HOST}:{memcacheds[2]}:1",
        "",
    ])
    config = module_fleet_factory.workdir / "two-pools.yml"
    config.write_text(yml)
    start_yml_router(module_fleet_factory, config, [one_port, two_port], "router-two-pools-")

    keys_one = make_keys("pool-one", n=1000)
    keys_two = make_keys("pool-two", n=1000)
    set_all(one_port, keys_one)
    set_all(two_port, keys_two)
    on = [holds(port, keys_one + keys_two) for port in memcacheds]
    assert on[0] | on[1] == set(keys_one), "pool one's keys are on its two servers only"
    assert on[0] and on[1], "both servers of pool one get keys"
    assert on[2] == set(keys_two), "pool two's keys are on its one server only"
    # Each port reads from its own pool: the other pool's keys are misses there.
    assert_all_found(one_port, keys_one, "port one")
    assert_all_found(two_port, keys_two, "port two")
    assert not get_all(two_port, keys_one), "port two reads pool one's keys"
    assert not get_all(one_port, keys_two), "port one reads pool two's keys"


# -- unix socket servers: twemproxy's own name for them ----------------------------------------

@pytest.mark.skipif(not Path(NUTCRACKER).exists(), reason="Debian's nutcracker is not installed")
@pytest.mark.parametrize("distribution", ["ketama", "modula"])
def test_unnamed_unix_socket_servers_place_keys_as_nutcracker(module_fleet_factory, memcacheds,
                                                               tmp_path_factory, distribution):
    """A server "/path:1" without a name hashes (and sorts, for modula) as twemproxy names it:
    the path and a colon."""
    sockdir = Path(tempfile.mkdtemp(prefix="mfsock", dir="/tmp"))  # short: sun_path is 108 bytes
    try:
        os.chmod(sockdir, 0o777)  # memcached runs as nobody when the tests run as root
        paths = [str(sockdir / f"mc{i}.sock") for i in range(2)]
        for i, path in enumerate(paths):
            module_fleet_factory.backend("memcached", ["-s", path],
                                         name=f"memcached-unix-{distribution}{i}-")
        nc_port, router_port = free_port(), free_port()
        servers = [f"{paths[0]}:1", f"{HOST}:{memcacheds[0]}:1", f"{paths[1]}:2"]
        yml = "\n".join(["pool:", f"  listen: {HOST}:{nc_port}", "  hash: md5",
                         f"  distribution: {distribution}", "  timeout: 5000", "  servers:",
                         *[f"   - {s}" for s in servers], ""])
        workdir = module_fleet_factory.workdir
        proxy = Nutcracker(workdir, f"nutcracker-unix-{distribution}", yml, nc_port).start()
        try:
            router_yml = workdir / f"router-unix-{distribution}.yml"
            router_yml.write_text(yml.replace(f"{HOST}:{nc_port}", f"{HOST}:{router_port}"))
            start_yml_router(module_fleet_factory, router_yml, [router_port],
                             f"router-unix-{distribution}-")
            keys = make_keys(f"unix-{distribution}", n=3000)
            set_all(nc_port, keys)
            assert_all_found(router_port, keys, "the router reading nutcracker's keys")
        finally:
            proxy.stop()
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)


# -- a pool's own listener options --------------------------------------------------------------

def test_yml_unix_listener_gets_its_file_mode(module_fleet_factory, memcacheds):
    """`listen: /path 0666` creates the socket with that mode (the router's -a mask is for pools
    without one), and a pool's backlog is accepted as nutcracker accepts it."""
    sockdir = Path(tempfile.mkdtemp(prefix="mfsock", dir="/tmp"))
    try:
        path = str(sockdir / "pool.sock")
        port = free_port()
        yml = "\n".join([
            "tcp:", f"  listen: {HOST}:{port}", "  backlog: 64", "  servers:",
            f"   - {HOST}:{memcacheds[0]}:1", "",
            "unix:", f"  listen: {path} 0666", "  backlog: 2048", "  servers:",
            f"   - {HOST}:{memcacheds[1]}:1", ""])
        config = module_fleet_factory.workdir / "router-listen-options.yml"
        config.write_text(yml)
        start_yml_router(module_fleet_factory, config, [port], "router-listen-options-")
        wait_for_version(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
        set_all(port, [b"tcp-pool-key"])
        assert_all_found(port, [b"tcp-pool-key"], "the tcp pool")
        with WireConn(path) as c:
            assert c.request(b"set unix-pool-key 0 0 1\r\nu\r\n") == b"STORED\r\n"
        with WireConn((HOST, memcacheds[1])) as direct:  # the unix pool's only server
            assert direct.request(b"get unix-pool-key\r\n").startswith(b"VALUE unix-pool-key")
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)
