"""router/hash places keys exactly where real clients and proxies do.

Three Debian memcached servers are started on free loopback ports. A real client (pylibmc, which
is libmemcached) or a real proxy (Debian's nutcracker, twemproxy 0.5.0) stores 10,000 keys; each
memcached is then read directly to see where every key landed, and build/<preset>/bin/
hash_placement (tests/placement, router/hash's MakeHashFunction) must name the same server for
every key.

  - pylibmc {"ketama_weighted": True} (libmemcached's MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, what
    PHP's OPT_LIBKETAMA_COMPATIBLE sets), equal and unequal weights        -> func "ketama"
  - PHP Memcached with OPT_LIBKETAMA_COMPATIBLE (the same libmemcached), equal and unequal
    weights                                                                  -> "ketama"
  - pylibmc {"ketama": True} and {"ketama": True, "hash": "md5"}            -> "libmemcached_ketama"
  - nutcracker with several hash x distribution pools, weights, server names and a hash_tag
                                                                             -> "nutcracker"

Skipped with a reason when memcached, pylibmc, php-memcached or nutcracker is missing. The placement binary is
HASH_PLACEMENT, else build/asan/bin/hash_placement (relative paths: the repository root).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from server_process import HOST, ServerProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
MEMCACHED = Path("/usr/bin/memcached")
NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"
NKEYS = 10_000
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0

pytestmark = pytest.mark.skipif(not MEMCACHED.exists(),
                                reason="Debian's memcached is not installed")


def placement_binary() -> Path:
    value = os.environ.get("HASH_PLACEMENT", "build/asan/bin/hash_placement")
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def make_keys(case: str, n: int = NKEYS, tagged: bool = False) -> list[bytes]:
    """Varied keys, distinct per test case: short and long, with bytes >= 0x80 (the references
    read them as signed chars), and with hash tags in several shapes when `tagged`."""
    keys = []
    for i in range(n):
        if i % 7 == 0:
            key = f"{case}:user:{i}:profil\u00e9"
        elif i % 7 == 1:
            key = f"k{i}"  # the same in every case: flush_all clears the last case's copy
        elif i % 7 == 2:
            key = f"session/{i * 7919:x}/" + "x" * (i % 90)
        else:
            key = f"{case}:mcrouter:pool:regional:{i:06d}"
        if tagged:
            shape = i % 6
            if shape == 0:
                key = f"{{user{i % 50}}}:{key}"  # hashed on the tag only
            elif shape == 1:
                key = f"{key}:{{}}"  # an empty tag: the whole key
            elif shape == 2:
                key = f"{key}{{open"  # no closing character: the whole key
            elif shape == 3:
                key = f"a}}b{{{i % 13}}}c{{d}}{i}"  # the first '{' and the first '}' after it
        keys.append(key.encode())
    return keys


def expected_servers(spec: dict, keys: list[bytes]) -> list[int]:
    tool = placement_binary()
    if not tool.is_file():
        pytest.fail(f"{tool} is not built (cmake --build build/asan --target hash_placement)")
    proc = subprocess.run([str(tool), json.dumps(spec)], input=b"\n".join(keys) + b"\n",
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = [int(line) for line in proc.stdout.split()]
    assert len(out) == len(keys)
    return out


def _recv_until(sock: socket.socket, terminator: bytes, deadline: float) -> bytes:
    data = b""
    while not data.endswith(terminator):
        if time.monotonic() > deadline:
            raise TimeoutError("no complete reply from the server")
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def present_keys(port: int, keys: list[bytes]) -> set[bytes]:
    """The keys among `keys` that memcached on `port` holds (multi-gets over one socket)."""
    found = set()
    with socket.create_connection((HOST, port), timeout=10) as sock:
        deadline = time.monotonic() + 60
        for start in range(0, len(keys), 200):
            sock.sendall(b"get " + b" ".join(keys[start:start + 200]) + b"\r\n")
            reply = _recv_until(sock, b"END\r\n", deadline)
            pos = 0
            while not reply.startswith(b"END\r\n", pos):
                eol = reply.index(b"\r\n", pos)
                _, key, _flags, length = reply[pos:eol].split(b" ")[:4]
                found.add(key)
                pos = eol + 2 + int(length) + 2
    return found


def actual_servers(ports: list[int], keys: list[bytes]) -> list[int]:
    where: dict[bytes, int] = {}
    for index, port in enumerate(ports):
        for key in present_keys(port, keys):
            assert key not in where, f"{key!r} is on two servers"
            where[key] = index
    missing = [k for k in keys if k not in where]
    assert not missing, f"{len(missing)} keys were stored nowhere, e.g. {missing[:3]}"
    return [where[k] for k in keys]


def assert_same_placement(spec: dict, ports: list[int], keys: list[bytes]):
    actual = actual_servers(ports, keys)
    expected = expected_servers(spec, keys)
    wrong = [(k, a, e) for k, a, e in zip(keys, actual, expected) if a != e]
    assert not wrong, (f"{len(wrong)} of {len(keys)} keys placed differently "
                       f"(key, reference, hash_placement): {wrong[:5]}")
    assert len(set(actual)) == len(ports), "a server received no keys at all"


@pytest.fixture(scope="module")
def memcached_pool(tmp_path_factory):
    """Three memcached shared by the module (stopping memcached takes a while); each test
    empties them first."""
    workdir = tmp_path_factory.mktemp("placement")
    servers = []
    try:
        for i in range(3):
            servers.append(ServerProcess(MEMCACHED, ["-m", "64"], workdir, name=f"memcached{i}"))
            servers[-1].start()
        yield [srv.port for srv in servers]
    finally:
        problems = []
        for srv in servers:
            srv.stop()
            problems += [f"{srv.name}: {p}" for p in srv.problems()]
        assert not problems, problems


@pytest.fixture
def memcacheds(memcached_pool):
    for port in memcached_pool:
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(b"flush_all\r\n")
            assert _recv_until(sock, b"\r\n", time.monotonic() + 10) == b"OK\r\n"
    return memcached_pool


# -- pylibmc (libmemcached) ----------------------------------------------------------------------

PYLIBMC_CASES = {
    # id: (behaviors, weights, spec func, spec key_hash)
    "ketama_weighted": ({"ketama_weighted": True}, (1, 1, 1), "ketama", ""),
    "ketama_weighted_1_2_3": ({"ketama_weighted": True}, (1, 2, 3), "ketama", ""),
    "ketama_plain": ({"ketama": True}, (1, 1, 1), "libmemcached_ketama", ""),
    "ketama_plain_md5": ({"ketama": True, "hash": "md5"}, (1, 1, 1), "libmemcached_ketama", "md5"),
    "ketama_plain_fnv1a_32": ({"ketama": True, "hash": "fnv1a_32"}, (1, 1, 1),
                              "libmemcached_ketama", "fnv1a_32"),
}


@pytest.mark.parametrize("case", list(PYLIBMC_CASES))
def test_pylibmc_placement(memcacheds, case):
    pylibmc = pytest.importorskip("pylibmc", reason="python3-pylibmc is not installed")
    behaviors, weights, func, key_hash = PYLIBMC_CASES[case]
    servers = [f"{HOST}:{port}:{w}" if w != 1 else f"{HOST}:{port}"
               for port, w in zip(memcacheds, weights)]
    client = pylibmc.Client(servers, behaviors=behaviors)
    keys = make_keys(case)
    try:
        for start in range(0, len(keys), 500):
            failed = client.set_multi({k: b"v" for k in keys[start:start + 500]})
            assert not failed, f"pylibmc could not store {failed[:3]}"
    finally:
        client.disconnect_all()
    spec = {"func": func, "key_hash": key_hash,
            "servers": [{"address": f"{HOST}:{p}", "weight": w}
                        for p, w in zip(memcacheds, weights)]}
    assert_same_placement(spec, memcacheds, keys)


PHP_STORE = r"""
$m = new Memcached();
$m->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true);
$servers = json_decode($argv[1], true);
if (!$m->addServers($servers)) { fwrite(STDERR, "addServers failed\n"); exit(2); }
$n = 0;
while (($line = fgets(STDIN)) !== false) {
    $key = rtrim($line, "\n");
    if (!$m->set($key, "v")) { fwrite(STDERR, "set failed: " . $m->getResultMessage() . "\n"); exit(3); }
    $n++;
}
echo $n, "\n";
"""


def php_has_memcached() -> bool:
    php = shutil.which("php")
    if php is None:
        return False
    proc = subprocess.run([php, "-r", "echo class_exists('Memcached') ? 'yes' : 'no';"],
                          capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() == "yes"


@pytest.mark.parametrize("weights", [(1, 1, 1), (3, 1, 2)], ids=["equal", "weighted"])
def test_php_libketama_compatible_placement(memcacheds, weights):
    if not php_has_memcached():
        pytest.skip("php with the memcached extension (php-memcached) is not installed")
    # php-memcached refuses keys with bytes outside printable ASCII.
    keys = [k.replace("\u00e9".encode(), b"e")
            for k in make_keys(f"php{''.join(map(str, weights))}")]
    servers = [[HOST, port, w] for port, w in zip(memcacheds, weights)]
    proc = subprocess.run([shutil.which("php"), "-r", PHP_STORE, "--", json.dumps(servers)],
                          input=b"\n".join(keys) + b"\n", capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout.strip() == str(len(keys)).encode()
    spec = {"func": "ketama", "servers": [{"address": f"{HOST}:{p}", "weight": w}
                                          for p, w in zip(memcacheds, weights)]}
    assert_same_placement(spec, memcacheds, keys)


# -- nutcracker (twemproxy) ----------------------------------------------------------------------

NUTCRACKER_CASES = {
    # id: (hash, distribution, weights, names, hash_tag)
    "fnv1a_64-ketama": ("fnv1a_64", "ketama", (1, 1, 1), None, ""),
    "md5-ketama": ("md5", "ketama", (1, 1, 1), None, ""),
    "one_at_a_time-ketama-weights-names": ("one_at_a_time", "ketama", (1, 3, 2),
                                           ("alpha", "b", "server-three"), ""),
    "murmur-modula": ("murmur", "modula", (1, 1, 1), None, ""),
    "fnv1a_32-modula-weights-names": ("fnv1a_32", "modula", (2, 1, 3), ("zz", "a", "mm"), ""),
    "crc32a-ketama": ("crc32a", "ketama", (1, 1, 1), None, ""),
    "crc32-modula": ("crc32", "modula", (1, 1, 1), None, ""),
    "crc16-modula": ("crc16", "modula", (1, 1, 1), None, ""),
    "hsieh-ketama": ("hsieh", "ketama", (1, 1, 1), None, ""),
    "hsieh-modula": ("hsieh", "modula", (1, 1, 1), None, ""),
    "jenkins-ketama": ("jenkins", "ketama", (1, 1, 1), None, ""),
    "fnv1_32-modula": ("fnv1_32", "modula", (1, 1, 1), None, ""),
    "fnv1_64-ketama": ("fnv1_64", "ketama", (1, 2, 1), None, ""),
    "fnv1a_64-ketama-hash_tag": ("fnv1a_64", "ketama", (1, 1, 1), None, "{}"),
    "murmur-modula-hash_tag": ("murmur", "modula", (1, 1, 1), None, "{}"),
}


class Nutcracker:
    """One nutcracker process on a free port, stopped by its pid."""

    def __init__(self, workdir: Path, name: str, pool_yml: str):
        self.workdir = workdir
        self.conf = workdir / f"{name}.yml"
        self.log = workdir / f"{name}.log"
        self.pool_yml = pool_yml
        self.proc = None
        self.port = None

    def start(self):
        last = ""
        for _ in range(5):
            self.port = free_port()
            self.conf.write_text(self.pool_yml.replace("LISTEN", f"{HOST}:{self.port}"))
            cmd = [NUTCRACKER, "-c", str(self.conf), "-p", str(self.workdir / "nc.pid"),
                   "-o", str(self.log), "-s", str(free_port()), "-a", HOST]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         cwd=self.workdir)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection((HOST, self.port), timeout=1.0).close()
                    return self
                except OSError:
                    time.sleep(0.02)
            self.stop()
            last = self.log.read_text(errors="replace") if self.log.exists() else ""
        pytest.fail(f"nutcracker did not start:\n{self.conf.read_text()}\n{last[-3000:]}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)


def store_through(port: int, keys: list[bytes]):
    """Sets every key through a memcached-protocol proxy, pipelined in batches."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        deadline = time.monotonic() + 60
        for start in range(0, len(keys), 200):
            batch = keys[start:start + 200]
            sock.sendall(b"".join(b"set " + k + b" 0 0 1\r\nv\r\n" for k in batch))
            replies = b""
            while replies.count(b"\r\n") < len(batch):
                if time.monotonic() > deadline:
                    raise TimeoutError("nutcracker did not answer every set")
                chunk = sock.recv(1 << 16)
                if not chunk:
                    raise ConnectionError("nutcracker closed the connection")
                replies += chunk
            assert replies == b"STORED\r\n" * len(batch), replies[:200]


@pytest.mark.skipif(not Path(NUTCRACKER).exists(), reason="Debian's nutcracker is not installed")
@pytest.mark.parametrize("case", list(NUTCRACKER_CASES))
def test_nutcracker_placement(memcacheds, tmp_path, case):
    hash_name, distribution, weights, names, hash_tag = NUTCRACKER_CASES[case]
    server_lines = []
    spec_servers = []
    for i, (port, weight) in enumerate(zip(memcacheds, weights)):
        name = names[i] if names else ""
        server_lines.append(f"   - {HOST}:{port}:{weight}" + (f" {name}" if name else ""))
        spec_servers.append({"address": f"{HOST}:{port}", "weight": weight, "name": name})
    yml = "\n".join([
        "pool:",
        "  listen: LISTEN",
        f"  hash: {hash_name}",
        f"  distribution: {distribution}",
        *([f"  hash_tag: \"{hash_tag}\""] if hash_tag else []),
        "  timeout: 5000",
        "  auto_eject_hosts: false",
        "  servers:",
        *server_lines,
        "",
    ])
    proxy = Nutcracker(tmp_path, "nutcracker", yml).start()
    keys = make_keys(case, tagged=bool(hash_tag))
    try:
        store_through(proxy.port, keys)
    finally:
        proxy.stop()
    spec = {"func": "nutcracker", "hash": hash_name, "distribution": distribution,
            "hash_tag": hash_tag, "servers": spec_servers}
    assert_same_placement(spec, memcacheds, keys)
