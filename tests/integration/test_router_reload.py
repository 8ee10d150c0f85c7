"""memfleet-router takes a new configuration without dropping anything.

The main test is the issue's reload test: 8 clients (raw text, pymemcache, binary and meta) run
sets and gets in a loop on connections they keep for the whole run, each with values it can
verify (every value names its key, and a read must return a value that key was written with, or
a miss: a reload may move a key to a server that never saw it). Meanwhile the config file is
replaced 20 times, as deploy tools do it (written beside it, then renamed into place), some of
the times followed by a SIGHUP to the router: a pool and a prefix route are added and removed,
route types change, a pool's servers change, and one broken config in the middle must be
refused while the old one keeps serving. After each swap the test waits (bounded) until the
router's `stats` shows it (config_md5, config_reload_failures), and until every client has done
some more work. No client may ever see an error reply or a closed connection.

The other tests: a refused config is logged and keeps the old md5; a SIGHUP alone reloads; the
counters of a server that is in the config before and after a reload keep counting, and the
router keeps its connections to that server.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import struct
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set

from router_fixture import fleet_factory  # noqa: F401 (fixture)
from server_process import HOST
from wire import WireConn, parse_values

WAIT = 20.0  # bound of every wait for a reload or for client progress
CLIENTS = 8
KEYS_PER_CLIENT = 12


def md5_of(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def swap_in(path: Path, text: str) -> None:
    """Replaces the config file atomically: written beside it, then renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def router_stats(addr) -> Dict[str, str]:
    with WireConn(addr) as c:
        return c.stats()


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.05)


def wait_for_stats(addr, what: str, check: Callable[[Dict[str, str]], bool]) -> Dict[str, str]:
    last: Dict[str, Dict[str, str]] = {}

    def probe() -> bool:
        last["s"] = router_stats(addr)
        return check(last["s"])

    try:
        wait_for(probe, what)
    except AssertionError as e:
        s = last.get("s", {})
        config = {k: v for k, v in s.items() if k.startswith("config")}
        raise AssertionError(f"{e}; stats config_*: {config}") from None
    return last["s"]


# ---- clients -------------------------------------------------------------------------------------

BIN_HEADER = struct.Struct(">BBHBBHIIQ")


class ClientError(Exception):
    pass


class Client:
    """One client thread's protocol: set(key, value) -> None, get(key) -> value or None. Raises
    ClientError on anything but a success, a miss, or a value."""

    def __init__(self, addr):
        self.addr = addr

    def close(self) -> None:
        pass


class TextClient(Client):
    def __init__(self, addr):
        super().__init__(addr)
        self.conn = WireConn(addr, timeout=15)

    def close(self) -> None:
        self.conn.close()

    def set(self, key: str, value: bytes) -> None:
        reply = self.conn.request(f"set {key} 0 0 {len(value)}\r\n".encode() + value + b"\r\n")
        if reply != b"STORED\r\n":
            raise ClientError(f"set {key}: {reply!r}")

    def get(self, key: str) -> Optional[bytes]:
        reply = self.conn.request(f"get {key}\r\n".encode())
        try:
            got = parse_values(reply)
        except (AssertionError, ValueError):
            raise ClientError(f"get {key}: {reply!r}") from None
        if set(got) - {key.encode()}:
            raise ClientError(f"get {key}: {reply!r}")
        return got[key.encode()][1] if got else None

    def get_many(self, keys: List[str]) -> Dict[str, Optional[bytes]]:
        reply = self.conn.request(("get " + " ".join(keys) + "\r\n").encode())
        try:
            got = parse_values(reply)
        except (AssertionError, ValueError):
            raise ClientError(f"get {keys}: {reply!r}") from None
        if set(got) - {k.encode() for k in keys}:
            raise ClientError(f"get {keys}: {reply!r}")
        return {k: (got[k.encode()][1] if k.encode() in got else None) for k in keys}


class PipelinedTextClient(TextClient):
    """Sends a batch of sets and gets in one write, so that requests are in flight across a
    swap; checks the replies in order."""

    def batch(self, pairs: List[tuple], check: Callable[[str, Optional[bytes]], None]) -> None:
        out = b"".join(f"set {k} 0 0 {len(v)}\r\n".encode() + v + b"\r\n" for k, v in pairs)
        out += b"".join(f"get {k}\r\n".encode() for k, _ in pairs)
        reply = self.conn.request(out)
        pos = 0
        for k, _ in pairs:
            if not reply.startswith(b"STORED\r\n", pos):
                raise ClientError(f"pipelined set {k}: {reply[pos:pos + 200]!r}")
            pos += 8
        for k, _ in pairs:
            end = reply.find(b"END\r\n", pos)
            if end < 0:
                raise ClientError(f"pipelined get {k}: {reply[pos:pos + 200]!r}")
            try:
                got = parse_values(reply[pos:end + 5])
            except (AssertionError, ValueError):
                raise ClientError(f"pipelined get {k}: {reply[pos:end + 5]!r}") from None
            if set(got) - {k.encode()}:
                raise ClientError(f"pipelined get {k}: {reply[pos:end + 5]!r}")
            check(k, got[k.encode()][1] if got else None)
            pos = end + 5
        if pos != len(reply):
            raise ClientError(f"pipelined batch: extra bytes {reply[pos:pos + 200]!r}")


class MetaClient(TextClient):
    def set(self, key: str, value: bytes) -> None:
        reply = self.conn.request(f"ms {key} {len(value)} T0\r\n".encode() + value + b"\r\n")
        if reply != b"HD\r\n":
            raise ClientError(f"ms {key}: {reply!r}")

    def get(self, key: str) -> Optional[bytes]:
        reply = self.conn.request(f"mg {key} v\r\n".encode())
        if reply == b"EN\r\n":
            return None
        head, _, rest = reply.partition(b"\r\n")
        parts = head.split(b" ")
        if parts[0] != b"VA" or len(parts) < 2 or rest != reply[len(head) + 2:] or \
                len(rest) != int(parts[1]) + 2 or not rest.endswith(b"\r\n"):
            raise ClientError(f"mg {key}: {reply!r}")
        return rest[:-2]


class BinaryClient(Client):
    def __init__(self, addr):
        super().__init__(addr)
        self.conn = WireConn(addr, timeout=15)
        self.opaque = 0

    def close(self) -> None:
        self.conn.close()

    def _call(self, op: int, key: str, extras: bytes = b"", value: bytes = b""):
        self.opaque += 1
        k = key.encode()
        body = len(extras) + len(k) + len(value)
        self.conn.send(BIN_HEADER.pack(0x80, op, len(k), len(extras), 0, 0, body, self.opaque, 0)
                       + extras + k + value)
        head = self.conn.read_exactly(24)
        magic, rop, keylen, extlen, _dt, status, blen, opaque, _cas = BIN_HEADER.unpack(head)
        rest = self.conn.read_exactly(blen) if blen else b""
        if magic != 0x81 or rop != op or opaque != self.opaque:
            raise ClientError(f"binary op {op} {key}: bad header {head!r}")
        return status, rest[extlen + keylen:]

    def set(self, key: str, value: bytes) -> None:
        status, body = self._call(0x01, key, struct.pack(">II", 0, 0), value)
        if status != 0:
            raise ClientError(f"binary set {key}: status {status:#x} {body!r}")

    def get(self, key: str) -> Optional[bytes]:
        status, body = self._call(0x00, key)
        if status == 1:
            return None
        if status != 0:
            raise ClientError(f"binary get {key}: status {status:#x} {body!r}")
        return body


class PymemcacheClient(Client):
    def __init__(self, addr):
        super().__init__(addr)
        from pymemcache.client.base import Client as PmClient
        self.client = PmClient(addr, connect_timeout=15, timeout=15, default_noreply=False)

    def close(self) -> None:
        self.client.close()

    def set(self, key: str, value: bytes) -> None:
        try:
            ok = self.client.set(key, value)
        except Exception as e:  # noqa: BLE001 - any exception is a failure the test reports
            raise ClientError(f"pymemcache set {key}: {type(e).__name__}: {e}") from None
        if ok is not True:
            raise ClientError(f"pymemcache set {key}: {ok!r}")

    def get(self, key: str) -> Optional[bytes]:
        try:
            return self.client.get(key)
        except Exception as e:  # noqa: BLE001
            raise ClientError(f"pymemcache get {key}: {type(e).__name__}: {e}") from None


def client_kinds() -> List[type]:
    kinds = [TextClient, TextClient, PipelinedTextClient, BinaryClient, BinaryClient,
             MetaClient, PymemcacheClient, PymemcacheClient]
    try:
        import pymemcache.client.base  # noqa: F401
    except ImportError:
        kinds = [TextClient if k is PymemcacheClient else k for k in kinds]
    return kinds


class Worker(threading.Thread):
    """Sets and gets its own keys in a loop until told to stop; records what went wrong."""

    def __init__(self, index: int, kind: type, addr, stop: threading.Event):
        super().__init__(name=f"client{index}", daemon=True)
        self.index = index
        self.kind = kind
        self.addr = addr
        self.stop_event = stop
        self.keys = [f"c{index}:{j}" for j in range(KEYS_PER_CLIENT)]
        self.written: Dict[str, Set[bytes]] = {k: set() for k in self.keys}
        self.errors: List[str] = []
        self.ops = 0
        self.hits = 0
        self.rng = random.Random(index)

    def check(self, key: str, value: Optional[bytes]) -> None:
        if value is None:
            return
        self.hits += 1
        if value not in self.written[key]:
            self.errors.append(f"{self.kind.__name__} read {key} = {value[:80]!r}, never written")

    def run(self) -> None:
        try:
            client = self.kind(self.addr)
        except Exception as e:  # noqa: BLE001
            self.errors.append(f"{self.kind.__name__} could not connect: {e}")
            return
        seq = 0
        try:
            while not self.stop_event.is_set() and not self.errors:
                if isinstance(client, PipelinedTextClient):
                    pairs = []
                    for key in self.rng.sample(self.keys, 8):
                        seq += 1
                        value = f"{key}#{seq}#".encode() + b"p" * self.rng.randrange(0, 2000)
                        self.written[key].add(value)
                        pairs.append((key, value))
                    client.batch(pairs, self.check)
                    self.ops += 1
                    continue
                key = self.rng.choice(self.keys)
                seq += 1
                value = f"{key}#{seq}#".encode() + b"x" * self.rng.randrange(0, 200)
                self.written[key].add(value)
                client.set(key, value)
                self.check(key, client.get(key))
                if isinstance(client, TextClient) and not isinstance(client, MetaClient) and \
                        seq % 4 == 0:
                    for k, v in client.get_many(self.rng.sample(self.keys, 4)).items():
                        self.check(k, v)
                self.ops += 1
        except ClientError as e:
            self.errors.append(str(e))
        except (OSError, AssertionError) as e:  # a closed connection, a hang (WireError)
            self.errors.append(f"{self.kind.__name__}: {type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - a bug in the client: fail, do not hang
            self.errors.append(f"{self.kind.__name__} crashed: {type(e).__name__}: {e}")
        finally:
            client.close()


def wait_for_progress(workers: List[Worker], more: int = 25) -> None:
    """Waits until every client has done `more` operations since now (or one has failed)."""
    marks = [w.ops for w in workers]
    wait_for(lambda: any(w.errors or not w.is_alive() for w in workers) or
             all(w.ops >= m + more for w, m in zip(workers, marks)),
             f"every client did {more} more operations")


# ---- configs -------------------------------------------------------------------------------------


def swap_configs(names: List[str]) -> List[tuple]:
    """The 20 swaps: (description, config dict or broken text, how: "rename" or "hup")."""
    b0, b1, b2, b3 = names

    def pool(*servers, **extra):
        return {"servers": list(servers), **extra}

    base = {"pools": {"A": pool(b0, b1)}, "route": "PoolRoute|A"}
    return [
        ("add pool B and a prefix route to it",
         {"pools": {"A": pool(b0, b1), "B": pool(b2)},
          "route": {"type": "PrefixSelectorRoute", "policies": {"c1:": "PoolRoute|B"},
                    "wildcard": "PoolRoute|A"}}, "rename"),
        ("the prefix route becomes an AllSyncRoute over both pools",
         {"pools": {"A": pool(b0, b1), "B": pool(b2)},
          "route": {"type": "PrefixSelectorRoute",
                    "policies": {"c1:": {"type": "AllSyncRoute",
                                         "children": ["PoolRoute|A", "PoolRoute|B"]}},
                    "wildcard": "PoolRoute|A"}}, "rename"),
        ("remove pool B and its prefix route", dict(base), "hup"),
        ("pool A gets a third server", {"pools": {"A": pool(b0, b1, b3)},
                                        "route": "PoolRoute|A"}, "rename"),
        ("a HashRoute with Crc32", {"pools": {"A": pool(b0, b1, b3)},
                                    "route": {"type": "HashRoute", "children": "Pool|A",
                                              "hash_func": "Crc32"}}, "rename"),
        ("replicated: reads at random, writes to all",
         {"pools": {"A": pool(b0, b1, b3)},
          "route": {"type": "OperationSelectorRoute",
                    "operation_policies": {"get": "RandomRoute|Pool|A",
                                           "gets": "RandomRoute|Pool|A"},
                    "default_policy": "AllSyncRoute|Pool|A"}}, "rename"),
        ("routing prefixes (aliases)",
         {"pools": {"A": pool(b0, b1, b3)},
          "routes": [{"aliases": ["/east/one/"], "route": "PoolRoute|A"}]}, "hup"),
        ("add pool C: c2 keys to C first, then A (AllInitialRoute)",
         {"pools": {"A": pool(b0, b1, b3), "C": pool(b3)},
          "route": {"type": "PrefixSelectorRoute",
                    "policies": {"c2:": {"type": "AllInitialRoute",
                                         "children": ["PoolRoute|C", "PoolRoute|A"]}},
                    "wildcard": "PoolRoute|A"}}, "rename"),
        ("pool A moves to other servers", {"pools": {"A": pool(b1, b2)}, "route": "PoolRoute|A"},
         "rename"),
        ("a broken config", None, "rename"),
        ("pool A on all four, Ch3 with a salt",
         {"pools": {"A": pool(b0, b1, b2, b3)},
          "route": {"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Ch3",
                                                                  "salt": "s1"}}}, "rename"),
        ("c4 keys on AllFastestRoute",
         {"pools": {"A": pool(b0, b1, b2, b3)},
          "route": {"type": "PrefixSelectorRoute",
                    "policies": {"c4:": "AllFastestRoute|Pool|A"},
                    "wildcard": "PoolRoute|A"}}, "rename"),
        ("pool B back, with named handles",
         {"pools": {"A": pool(b0, b1, b2, b3), "B": pool(b3)},
          "named_handles": [{"name": "b", "type": "PoolRoute", "pool": "B"},
                            {"name": "a", "type": "PoolRoute", "pool": "A"}],
          "route": {"type": "PrefixSelectorRoute", "policies": {"c5:": "b", "c6:": "b"},
                    "wildcard": "a"}}, "hup"),
        ("remove B; pool A on one server", {"pools": {"A": pool(b0)}, "route": "PoolRoute|A"},
         "rename"),
        ("weighted pool A", {"pools": {"A": pool(b0, b1, weights=[1, 0.5])},
                             "route": "PoolRoute|A"}, "rename"),
        ("an OperationSelectorRoute per operation",
         {"pools": {"A": pool(b0, b1)},
          "route": {"type": "OperationSelectorRoute",
                    "operation_policies": {"get": "PoolRoute|A", "set": "PoolRoute|A"},
                    "default_policy": "PoolRoute|A"}}, "rename"),
        ("pool A on two other servers, Jump hash",
         {"pools": {"A": pool(b2, b3)},
          "route": {"type": "PoolRoute", "pool": "A", "hash": "Jump"}}, "hup"),
        ("a HashRoute with Ketama over four",
         {"pools": {"A": pool(b0, b1, b2, b3)},
          "route": {"type": "HashRoute", "children": "Pool|A", "hash_func": "Ketama"}},
         "rename"),
        ("routes as an object, AllMajorityRoute for c7",
         {"pools": {"A": pool(b0, b1, b2)},
          "routes": {"/west/one/": {"type": "PrefixSelectorRoute",
                                    "policies": {"c7:": "AllMajorityRoute|Pool|A"},
                                    "wildcard": "PoolRoute|A"}}}, "rename"),
        ("back where it started", dict(base), "rename"),
    ]


def config_text(n: int, description: str, config: dict) -> str:
    # A comment makes every swap's text (and md5) different, even when the config repeats.
    return f"// swap {n}: {description}\n" + json.dumps(config, indent=1) + "\n"


# ---- tests ---------------------------------------------------------------------------------------


def test_reload_under_load(fleet_factory, tmp_path):  # noqa: F811
    backends = [fleet_factory.backend("memfleetd", name=f"backend{i}") for i in range(4)]
    names = [f"{HOST}:{b.port}" for b in backends]
    path = tmp_path / "router.json"
    text = config_text(0, "start", {"pools": {"A": {"servers": names[:2]}},
                                    "route": "PoolRoute|A"})
    path.write_text(text)
    router = fleet_factory.router(path, threads=2)
    addr = router.addr
    assert router_stats(addr)["config_md5"] == md5_of(text)

    stop = threading.Event()
    workers = [Worker(i, kind, addr, stop) for i, kind in enumerate(client_kinds())]
    for w in workers:
        w.start()
    swaps = swap_configs(names)
    assert len(swaps) == 20
    try:
        wait_for_progress(workers)
        reloads = int(router_stats(addr)["config_reloads"])
        for n, (description, config, how) in enumerate(swaps, start=1):
            if config is None:  # the broken one: its start, cut off mid-object
                running = text
                broken = config_text(n, description, swaps[n - 2][1])[:-40]
                swap_in(path, broken)
                s = wait_for_stats(addr, f"swap {n} ({description}) was refused",
                                   lambda s: s["config_reload_failures"] == "1")
                assert s["config_md5"] == md5_of(running), "a refused config replaced the old one"
                assert int(s["config_reloads"]) == reloads
                with WireConn(addr) as c:
                    assert c.request(b"get __memfleet__.config_md5\r\n") == \
                        f"VALUE __memfleet__.config_md5 0 32\r\n{md5_of(running)}\r\nEND\r\n" \
                        .encode()
            else:
                text = config_text(n, description, config)
                swap_in(path, text)
                if how == "hup":
                    router.signal(signal.SIGHUP)
                s = wait_for_stats(addr, f"swap {n} ({description}) was loaded",
                                   lambda s, m=md5_of(text): s["config_md5"] == m)
                assert int(s["config_reloads"]) > reloads, s
                reloads = int(s["config_reloads"])
            wait_for_progress(workers)
            failed = [e for w in workers for e in w.errors]
            assert not failed, f"after swap {n} ({description}): {failed}"
            router_alive(router)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    errors = [e for w in workers for e in w.errors]
    assert not errors, "clients saw errors:\n" + "\n".join(errors[:20])
    assert not any(w.is_alive() for w in workers), "a client did not stop"
    assert all(w.ops > 20 * 25 for w in workers), [w.ops for w in workers]
    assert all(w.hits > 0 for w in workers), [w.hits for w in workers]

    s = router_stats(addr)
    assert s["config_reload_failures"] == "1"
    assert s["config_md5"] == md5_of(path.read_text()) == md5_of(text)
    assert int(s["config_reloads"]) >= 19
    assert int(s["curr_connections"]) >= 1
    log = router.stderr_text()
    assert log.count("config reload failed") == 1, log[-3000:]


def router_alive(router) -> None:
    assert router.running(), f"the router died:\n{router.stderr_text()[-3000:]}"


def test_invalid_config_is_refused_and_logged(fleet_factory, tmp_path):  # noqa: F811
    backend = fleet_factory.backend("memfleetd")
    name = f"{HOST}:{backend.port}"
    path = tmp_path / "router.json"
    good = json.dumps({"pools": {"A": {"servers": [name]}}, "route": "PoolRoute|A"})
    path.write_text(good)
    router = fleet_factory.router(path)
    with WireConn(router.addr) as c:
        assert c.request(b"set inv:1 0 0 2\r\nok\r\n") == b"STORED\r\n"
        # A config that parses but names a pool it does not define.
        swap_in(path, json.dumps({"pools": {"A": {"servers": [name]}}, "route": "PoolRoute|B"}))
        s = wait_for_stats(router.addr, "the bad config was refused",
                           lambda s: s["config_reload_failures"] == "1")
        assert s["config_md5"] == md5_of(good)
        assert s["config_reloads"] == "0"
        wait_for(lambda: "config reload failed" in router.stderr_text(), "the refusal is logged")
        assert 'pool "B" is not defined' in router.stderr_text()
        # The old config still serves, on the same connection.
        assert c.request(b"get inv:1\r\n") == b"VALUE inv:1 0 2\r\nok\r\nEND\r\n"
        # The same broken text is not retried by the periodic check (it is counted once).
        fixed = good.replace("{", "{ ", 1)
        swap_in(path, fixed)
        s = wait_for_stats(router.addr, "the fixed config was loaded",
                           lambda s: s["config_md5"] == md5_of(fixed))
        assert s["config_reload_failures"] == "1" and s["config_reloads"] == "1"
        assert int(s["config_last_reload_time"]) > 0
        assert c.request(b"get inv:1\r\n") == b"VALUE inv:1 0 2\r\nok\r\nEND\r\n"


def test_config_written_in_place(fleet_factory, tmp_path):  # noqa: F811
    """A file rewritten in place (truncated, then written) is loaded once it is complete, never
    read half written and refused."""
    backends = [fleet_factory.backend("memfleetd", name=f"backend{i}") for i in range(2)]
    names = [f"{HOST}:{b.port}" for b in backends]
    path = tmp_path / "router.json"
    path.write_text(json.dumps({"pools": {"A": {"servers": names[:1]}}, "route": "PoolRoute|A"}))
    router = fleet_factory.router(path)
    for n in range(3):
        # A long config, so that its text is not one small write.
        text = json.dumps({"pools": {"A": {"servers": names[n % 2:n % 2 + 1]},
                                     **{f"spare{i}": {"servers": names} for i in range(300)}},
                           "route": "PoolRoute|A"}, indent=2)
        with open(path, "w") as f:
            for i in range(0, len(text), 4096):
                f.write(text[i:i + 4096])
                f.flush()
        s = wait_for_stats(router.addr, f"in-place write {n} was loaded",
                           lambda s, m=md5_of(text): s["config_md5"] == m)
        assert s["config_reload_failures"] == "0", router.stderr_text()[-2000:]


def test_sighup_alone_reloads(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memfleetd", n=2)
    text = fleet.config_path.read_text()
    with WireConn(fleet.addr) as c:
        before = c.stats()
        assert before["config_reloads"] == "0" and before["config_md5"] == md5_of(text)
        for n in (1, 2):
            fleet.router.signal(signal.SIGHUP)
            s = wait_for_stats(fleet.addr, f"SIGHUP {n} reloaded the unchanged file",
                               lambda s, n=n: s["config_reloads"] == str(n))
            assert s["config_md5"] == md5_of(text)
            assert s["config_reload_failures"] == "0"
            # The connection that asked before the reload is still served.
            assert c.request(b"set hup:1 0 0 1\r\nx\r\n") == b"STORED\r\n"
    assert "config reloaded" in fleet.router.stderr_text()


def test_server_counters_survive_reload(fleet_factory, tmp_path):  # noqa: F811
    """A server in the config before and after a reload keeps its counters and connections."""
    backends = [fleet_factory.backend("memfleetd", name=f"backend{i}") for i in range(2)]
    kept, added = (f"{HOST}:{b.port}" for b in backends)
    path = tmp_path / "router.json"
    path.write_text(json.dumps({"pools": {"A": {"servers": [kept]}}, "route": "PoolRoute|A"}))
    router = fleet_factory.router(path, threads=2)
    direct_added = WireConn((HOST, backends[1].port))
    unused_connections = direct_added.stats()["curr_connections"]  # the router has none yet
    with WireConn(router.addr) as c, WireConn((HOST, backends[0].port)) as direct:
        c.send(b"".join(f"set sc:{i} 0 0 1\r\nx\r\n".encode() for i in range(50)))
        for _ in range(50):
            assert c.read_line() == b"STORED\r\n"
        requests_before = int(stat_field(c.stats("servers")[kept], "requests"))
        assert requests_before >= 50
        connections_before = direct.stats()["total_connections"]

        text = json.dumps({"pools": {"A": {"servers": [kept]}, "B": {"servers": [added]}},
                          "route": {"type": "PrefixSelectorRoute",
                                    "policies": {"sc:new:": "PoolRoute|B"},
                                    "wildcard": "PoolRoute|A"}})
        swap_in(path, text)
        wait_for_stats(router.addr, "the new config was loaded",
                       lambda s: s["config_md5"] == md5_of(text))
        servers = c.stats("servers")
        assert set(servers) == {kept, added}
        assert int(stat_field(servers[kept], "requests")) >= requests_before, servers
        c.send(b"".join(f"get sc:{i}\r\n".encode() for i in range(50)))
        for i in range(50):
            assert c.read_value_reply() == f"VALUE sc:{i} 0 1\r\nx\r\nEND\r\n".encode()
        assert c.request(b"set sc:new:1 0 0 1\r\ny\r\n") == b"STORED\r\n"
        servers = c.stats("servers")
        assert int(stat_field(servers[kept], "requests")) >= requests_before + 50, servers
        assert int(stat_field(servers[added], "requests")) >= 1, servers
        # No new connection from the router to the kept server: its connections were reused.
        assert direct.stats()["total_connections"] == connections_before
        assert c.request(b"get sc:new:1\r\n") == b"VALUE sc:new:1 0 1\r\ny\r\nEND\r\n"

    # A reload that drops the added server closes the router's connections to it.
    with direct_added:
        assert int(direct_added.stats()["curr_connections"]) > int(unused_connections)
        text = json.dumps({"pools": {"A": {"servers": [kept]}}, "route": "PoolRoute|A",
                           "//": "the added server is gone"})
        swap_in(path, text)
        wait_for_stats(router.addr, "the config without the added server was loaded",
                       lambda s: s["config_md5"] == md5_of(text))
        wait_for(lambda: direct_added.stats()["curr_connections"] == unused_connections,
                 "the router closed its connections to the dropped server")


def stat_field(line: str, name: str) -> str:
    for part in line.split(" "):
        k, _, v = part.partition("=")
        if k == name:
            return v
    raise AssertionError(f"no {name} in {line!r}")
