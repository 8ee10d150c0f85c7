"""Fault tests of memfleet-router under client load (issue 12, "Fault tests"): servers killed,
frozen and cut off while client threads write and read through the router, and what the
clients and the servers hold afterwards checked against the clients' own model of the data.

  - kill -9 one of three replicas (AllInitialRoute writes, FailoverRoute reads that try the
    victim first, --write-log-dir) under versioned sets, deletes and gets, and restart it empty
    on its port: the router sees a new process, copies a healthy replica's keys to it, replays
    its log, and only then gives it reads: no client error, no miss, no stale read, and every
    key on every replica equals the model. Once with memfleetd, once with memcached.
  - SIGSTOP a replica under load: reads fail over within the soft-error budget (no client
    error), the p99 while it is stopped is printed (never asserted), SIGCONT and a probe bring
    it back.
  - No replication, a standby pool (FailoverWithExptimeRoute to a gutter): a killed server's
    keys are served from the gutter with a short TTL; restarted, it takes its keys back.
  - Through fault_proxy.FaultProxy: dropped traffic (timeouts, down after N), a half-open peer
    (heartbeats replace the connection and mark it down), cut connections (hard errors,
    reconnect); each ends with the server up again once the proxy passes traffic.
  - The router restarted with a non-empty write log replays it under client load.

Sizes: MEMFLEET_CHAOS_SCALE multiplies every load phase (default 1) and
MEMFLEET_CHAOS_CLIENTS sets the client threads (default 8); `make chaos` runs longer and wider.

Every key is owned by one client thread, so that thread's model of it is exact: a request it
sends is answered before its next one, and no other client writes the key. Processes are started
on free loopback ports and stopped by pid (router_fixture.py); every wait is bounded and polls an
outcome; latencies are printed, never asserted.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from fault_proxy import FaultProxy
from router_fixture import HOST, Fleet, fleet_factory  # noqa: F401 (fixture)
from server_process import STOP_TIMEOUT
from wire import WireConn

WAIT = 20.0  # the bound of every wait for a state change
SCALE = float(os.environ.get("MEMFLEET_CHAOS_SCALE", "1"))
CLIENTS = int(os.environ.get("MEMFLEET_CHAOS_CLIENTS", "8"))
KEYS_PER_CLIENT = 40
# Short probe delays: a fault is seen and undone within a second or two. The tests without
# client load (the proxy's) use 300 ms timeouts; those under load 1 s (LOADED), because on
# this small shared machine an ASan router under 8 clients can take 300 ms to be answered by a
# healthy server, and such a timeout is a real failure for the route (a write that lands in the
# gutter, a first replica's timeout that AllInitialRoute hands to the client).


def router_flags(timeout_ms: int = 300, heartbeat_ms: int = 200) -> List[str]:
    return ["--server-timeout", str(timeout_ms), "--timeouts-until-tko", "3",
            "--heartbeat-interval-ms", str(heartbeat_ms), "--probe-delay-initial-ms", "100",
            "--probe-delay-max-ms", "400"]


FAST = router_flags()
LOADED = router_flags(timeout_ms=1000)
VALUE_RE = re.compile(rb"\AVALUE (\S+) (\d+) (\d+)\r\n")
STORE_OK = {b"STORED\r\n"}
DELETE_OK = {b"DELETED\r\n", b"NOT_FOUND\r\n"}


def phase(seconds: float) -> float:
    return seconds * SCALE


# --- the router's view -------------------------------------------------------------------------


def server_stats(addr, server: str) -> Dict[str, str]:
    """The `stats servers` fields of one server ("host:port") as {name: value}."""
    with WireConn(addr) as c:
        line = c.stats("servers")[server]
    return dict(field.split("=", 1) for field in line.split())


def wait_state(addr, server: str, what: Callable[[Dict[str, str]], bool],
               description: str) -> Dict[str, str]:
    deadline = time.monotonic() + WAIT
    while True:
        fields = server_stats(addr, server)
        if what(fields):
            return fields
        assert time.monotonic() < deadline, f"{server} never got {description}: {fields}"
        time.sleep(0.05)


def wait_until(description: str, probe: Callable[[], object], bound: float = WAIT):
    deadline = time.monotonic() + bound
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, f"{description}: not seen within {bound}s"
        time.sleep(0.05)


def is_up(f: Dict[str, str]) -> bool:
    return f["state"] == "up"


def log_empty(f: Dict[str, str]) -> bool:
    # wlog_records is the write log's count of records not yet replayed (absent: no log).
    return f["state"] == "up" and int(f.get("wlog_records", "0")) == 0


def stop_process(backend) -> None:
    """SIGSTOPs backend and waits (bounded) until the kernel shows it stopped."""
    backend.signal(signal.SIGSTOP)
    stat = Path(f"/proc/{backend.pid}/stat")
    wait_until("the backend stopped",
               lambda: stat.read_text().rsplit(")", 1)[1].split()[0] == "T")


def kill9(factory, backend) -> None:
    factory.forget(backend)
    backend.proc.send_signal(signal.SIGKILL)
    backend.proc.wait(timeout=STOP_TIMEOUT)


def direct_get(addr, key: str) -> Optional[bytes]:
    """The value of key read from a server directly (None: a miss)."""
    with WireConn(addr) as c:
        reply = c.request(f"get {key}\r\n".encode())
    if reply == b"END\r\n":
        return None
    m = VALUE_RE.match(reply)
    assert m, f"get {key} answered {reply!r}"
    return reply[m.end():m.end() + int(m.group(3))]


def direct_ttl(addr, key: str) -> Optional[Tuple[bytes, int]]:
    """(value, remaining TTL) of key on a server (`mg <key> t v`), None on a miss."""
    with WireConn(addr) as c:
        reply = c.request(f"mg {key} t v\r\n".encode())
    if reply == b"EN\r\n":
        return None
    m = re.match(rb"\AVA (\d+) t(-?\d+)\r\n", reply)
    assert m, f"mg {key} t v answered {reply!r}"
    return reply[m.end():m.end() + int(m.group(1))], int(m.group(2))


def all_server_stats(addr) -> Dict[str, str]:
    """Every server's `stats servers` line: printed with a failure, to tell its cause."""
    with WireConn(addr) as c:
        return c.stats("servers")


def percentile(samples: Sequence[float], p: float) -> float:
    if not samples:
        return 0.0
    s = sorted(samples)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


# --- the client load ---------------------------------------------------------------------------


def value_of(key: str, version: int) -> bytes:
    # The version leads, so a stale value is told from the newest one by its number.
    return f"{version}:{key}:".encode() + b"x" * 24


def version_of(value: bytes) -> int:
    return int(value.split(b":", 1)[0])


class KeyState:
    __slots__ = ("version", "present", "last_write")

    def __init__(self):
        self.version = 0  # of the last set; bumped by every set
        self.present = False
        self.last_write = 0.0  # monotonic time the last write (set or delete) was sent


class Load:
    """CLIENTS threads, each with its own connection to the router and its own keys, doing
    versioned sets, deletes and gets (about 45/15/40) until stopped. A reply that is not what
    the model allows is a client error: an error line, a lost connection, a set not STORED, a
    hit whose version is not the model's. `miss_allowed(key, key_state, now)` says when a get may
    miss a key the model has (a server that lost its memory); a hit must always be exact."""

    def __init__(self, addr, prefix: str,
                 miss_allowed: Callable[[str, KeyState, float], bool] = lambda k, st, now: False,
                 clients: int = CLIENTS, keys_per_client: int = KEYS_PER_CLIENT,
                 cold_per_client: int = 0):
        self.addr = addr
        self.miss_allowed = miss_allowed
        self.keys = [[f"{prefix}{t}_{i}" for i in range(keys_per_client)] for t in range(clients)]
        # Cold keys: each set once when its thread starts, then only read.
        self.cold = [[f"{prefix}cold{t}_{i}" for i in range(cold_per_client)]
                     for t in range(clients)]
        self.model: Dict[str, KeyState] = {k: KeyState() for ks in self.keys + self.cold
                                           for k in ks}
        self.errors: List[str] = []
        self.misses_allowed = 0
        self.ops = 0
        # (monotonic time the request was sent, seconds it took), per thread, merged at stop.
        self.latencies: List[List[Tuple[float, float]]] = [[] for _ in range(clients)]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(t,), daemon=True,
                                          name=f"chaos-client-{t}") for t in range(clients)]

    def start(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(WAIT)
        assert not any(t.is_alive() for t in self._threads), "a client thread did not stop"

    def _error(self, text: str) -> None:
        with self._lock:
            if len(self.errors) < 50:
                self.errors.append(text)
            else:
                self.errors[-1] = f"... and more; last: {text}"

    def _run(self, t: int) -> None:
        rng = random.Random(t)
        keys = self.keys[t]
        lat = self.latencies[t]
        ops = 0
        cold = self.cold[t]
        try:
            with WireConn(self.addr, timeout=15) as c:
                for key in cold:
                    state = self.model[key]
                    if state.present:  # a second Load over the same model
                        continue
                    value = value_of(key, 1)
                    state.last_write = time.monotonic()
                    c.send(f"set {key} 0 0 {len(value)}\r\n".encode() + value + b"\r\n")
                    reply = c.read_line()
                    if reply not in STORE_OK:
                        self._error(f"set {key} v1: {reply!r}")
                    state.version, state.present = 1, True
                while not self._stop.is_set():
                    r = rng.random()
                    if cold and r < 0.1:  # a read of a cold key
                        key, r = rng.choice(cold), 1.0
                    else:
                        key = rng.choice(keys)
                    state = self.model[key]
                    start = time.monotonic()
                    if r < 0.45:
                        version = state.version + 1
                        value = value_of(key, version)
                        state.last_write = start
                        c.send(f"set {key} 0 0 {len(value)}\r\n".encode() + value + b"\r\n")
                        reply = c.read_line()
                        if reply not in STORE_OK:
                            self._error(f"set {key} v{version}: {reply!r}")
                        state.version, state.present = version, True
                    elif r < 0.60:
                        state.last_write = start
                        c.send(f"delete {key}\r\n".encode())
                        reply = c.read_line()
                        if reply not in DELETE_OK:
                            self._error(f"delete {key}: {reply!r}")
                        state.present = False
                    else:
                        c.send(f"get {key}\r\n".encode())
                        reply = c.read_value_reply()
                        # Judged by when the reply came: a get sent just before a kill may be
                        # failed over after it.
                        self._check_get(key, state, reply, time.monotonic())
                    lat.append((start, time.monotonic() - start))
                    ops += 1
        except Exception as e:  # a lost connection or a reply that never came
            self._error(f"client {t}: {type(e).__name__}: {e}")
        with self._lock:
            self.ops += ops

    def _check_get(self, key: str, state: KeyState, reply: bytes, now: float) -> None:
        if reply == b"END\r\n":
            if state.present:
                if self.miss_allowed(key, state, now):
                    with self._lock:
                        self.misses_allowed += 1
                else:
                    self._error(f"get {key}: a miss, the model has v{state.version}")
            return
        m = VALUE_RE.match(reply)
        if not m:
            self._error(f"get {key}: {reply!r}")
            return
        got = version_of(reply[m.end():m.end() + int(m.group(3))])
        if not state.present or got != state.version:
            want = f"v{state.version}" if state.present else "a miss (deleted)"
            self._error(f"get {key}: v{got}, the model has {want}")

    def latencies_between(self, t0: float, t1: float) -> List[float]:
        return [d for per in self.latencies for (s, d) in per if t0 <= s < t1]

    def report(self, name: str, windows: Sequence[Tuple[str, float, float]]) -> None:
        parts = [f"{name}: {self.ops} requests, {len(self.errors)} client errors, "
                 f"{self.misses_allowed} allowed misses"]
        for label, t0, t1 in windows:
            lat = self.latencies_between(t0, t1)
            parts.append(f"{label}: n={len(lat)} p50={percentile(lat, 50) * 1e3:.2f} ms "
                         f"p99={percentile(lat, 99) * 1e3:.2f} ms")
        print("\n  ".join(parts))


def assert_server_equals_model(addr, load: Load, keys: Sequence[str], name: str) -> None:
    """Every key of keys, read from the server directly, equals the model (absent if deleted).
    Polls (bounded): the background sends of AllInitialRoute may still be in flight."""
    def mismatches():
        out = []
        with WireConn(addr) as c:
            for k in keys:
                st = load.model[k]
                want = value_of(k, st.version) if st.present else None
                reply = c.request(f"get {k}\r\n".encode())
                got = None
                if reply != b"END\r\n":
                    m = VALUE_RE.match(reply)
                    assert m, f"{name}: get {k} answered {reply!r}"
                    got = reply[m.end():m.end() + int(m.group(3))]
                if got != want:
                    out.append(f"{k}: {got!r} != model {want!r}")
        return out
    deadline = time.monotonic() + WAIT
    while True:
        bad = mismatches()
        if not bad:
            return
        assert time.monotonic() < deadline, f"{name} differs from the model: {bad[:10]}"
        time.sleep(0.1)


# --- configs -----------------------------------------------------------------------------------


def replicated_config(live: Sequence[str], victim: str) -> dict:
    """Three one-server pools: writes to all (AllInitialRoute; the first live replica answers
    the client, the others finish in the background), reads tried on the victim first and then
    the live ones (FailoverRoute), so that reads exercise the victim's failures and returns.
    Every pool is a child of a write fan-out: with --write-log-dir every server is logged."""
    names = ["L0", "L1", "V"]
    servers = [*live, victim]
    writes = {"type": "AllInitialRoute", "children": [f"PoolRoute|{n}" for n in names]}
    reads = {"type": "FailoverRoute", "children": ["PoolRoute|V", "PoolRoute|L0", "PoolRoute|L1"]}
    return {"pools": {n: {"servers": [s]} for n, s in zip(names, servers)},
            "route": {"type": "OperationSelectorRoute",
                      "operation_policies": {"get": reads, "gets": reads},
                      "default_policy": writes}}


def addr_str(b) -> str:
    return f"{HOST}:{b.port}"


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memfleetd", "memcached"])
def test_kill9_replica_under_load_then_resync(fleet_factory, tmp_path, kind):  # noqa: F811
    """A replica killed with SIGKILL loses its memory and is restarted empty on its port. The
    router tells the new process from the old one (pid and start time in `stats`), keeps it
    resyncing — reads fail over to the live replicas, writes go to its write log — while it copies
    every key of a healthy replica to it (add-only: a key written there meanwhile keeps its newer
    value), then replays the log (every write since the death, in order) and only then gives it
    reads. So, with reads trying the restarted replica first:
      - no client sees an error or a miss, and every hit is the model's newest value;
      - afterwards every key on every replica, the restarted one included, equals the model
        (absent if deleted). Cold keys (written once at the start, then only read) are keys only
        the copy can bring back."""
    live = [fleet_factory.backend(kind) for _ in range(2)]
    victim = fleet_factory.backend(kind)
    config = replicated_config([addr_str(b) for b in live], addr_str(victim))
    wlog = tmp_path / "wlog"
    router = fleet_factory.router(config, [*LOADED, "--write-log-dir", str(wlog)])
    vname = addr_str(victim)
    load = Load(router.addr, "k9_", cold_per_client=10)
    load.start()
    t0 = time.monotonic()
    time.sleep(phase(1.5))
    killed_at = time.monotonic()
    kill9(fleet_factory, victim)
    t_killed = time.monotonic()
    wait_state(router.addr, vname, lambda f: f["state"] == "down", "state=down")
    time.sleep(phase(1.0))
    logged = server_stats(router.addr, vname)
    victim = fleet_factory.backend(kind, port=victim.port, name="victim-restarted")
    t_back = time.monotonic()
    back = wait_state(router.addr, vname, lambda f: log_empty(f) and int(f["resyncs"]) >= 1,
                      "state=up after a resync and an empty write log")
    t_up = time.monotonic()
    time.sleep(phase(1.0))
    load.stop()
    t_end = time.monotonic()
    load.report(f"kill -9 under load ({kind})",
                [("before", t0, killed_at), ("dead", t_killed, t_back),
                 ("restart+resync+replay", t_back, t_up), ("after", t_up, t_end)])
    print(f"  victim while dead: {logged}\n  after its resync: {back}")
    assert load.errors == [], (load.errors, all_server_stats(router.addr))
    assert load.misses_allowed == 0
    assert int(logged.get("wlog_appended", "0")) > 0, \
        f"nothing was logged while the victim was dead: {logged}"
    assert int(back["resync_restarts"]) >= 1, back
    assert int(back["resync_fallbacks"]) == 0 and int(back["resync_failures"]) == 0, back
    keys = list(load.model)
    cold = [k for k in keys if "cold" in k]
    assert cold and int(back["resync_keys"]) >= len([k for k in cold if load.model[k].present])
    for i, b in enumerate(live):
        assert_server_equals_model(b.addr, load, keys, f"live replica {i}")
    assert_server_equals_model(victim.addr, load, keys, "the restarted replica")
    assert router.running()


def test_sigstop_replica_fails_over_then_returns_by_probe(fleet_factory, tmp_path):  # noqa: F811
    """A frozen replica (SIGSTOP: its connections stay open, nothing answers) costs timeouts,
    soft errors, until the first write that times out marks it down (a replica that lacks a
    write must not serve reads; the write goes to its log); reads fail over to the live
    replicas meanwhile, so no client sees an error. What it missed is replayed when it returns,
    and every read stays exact."""
    live = [fleet_factory.backend("memfleetd") for _ in range(2)]
    victim = fleet_factory.backend("memfleetd")
    config = replicated_config([addr_str(b) for b in live], addr_str(victim))
    router = fleet_factory.router(config, [*LOADED, "--write-log-dir", str(tmp_path / "wlog")])
    vname = addr_str(victim)
    load = Load(router.addr, "stop_").start()
    t0 = time.monotonic()
    time.sleep(phase(1.0))
    t_stop = time.monotonic()
    stop_process(victim)
    down = wait_state(router.addr, vname, lambda f: f["state"] == "down", "state=down")
    t_down = time.monotonic()
    time.sleep(phase(1.0))
    t_cont = time.monotonic()
    errors_while_stopped = list(load.errors)
    victim.signal(signal.SIGCONT)
    back = wait_state(router.addr, vname, log_empty, "state=up (a probe)")
    t_up = time.monotonic()
    time.sleep(phase(1.0))
    load.stop()
    t_end = time.monotonic()
    load.report("SIGSTOP under load", [("before", t0, t_stop), ("stopped, until down",
                                                                t_stop, t_down),
                                       ("stopped and down", t_down, t_cont),
                                       ("SIGCONT until up", t_cont, t_up),
                                       ("after", t_up, t_end)])
    print(f"  victim when marked down: {down}")
    assert errors_while_stopped == [], (errors_while_stopped, all_server_stats(router.addr))
    assert load.errors == [], (load.errors, all_server_stats(router.addr))
    # Marked down by its soft errors: at the first write that times out (the write log's rule),
    # or after --timeouts-until-tko (3) timed-out reads, whichever comes first.
    assert int(down["soft_errors"]) >= 1, down
    assert int(down["hard_errors"]) == 0, down
    assert int(back["probes"]) >= 1, back
    keys = list(load.model)
    for i, b in enumerate(live):
        assert_server_equals_model(b.addr, load, keys, f"live replica {i}")
    # It kept its memory and the log gave it every write it missed: it equals the model.
    assert_server_equals_model(victim.addr, load, keys, "the returned replica")
    assert router.running()


def test_standby_pool_serves_a_killed_servers_keys_then_gives_them_back(  # noqa: F811
        fleet_factory):  # noqa: F811
    """No replication: PoolRoute over two servers, FailoverWithExptimeRoute to a one-server
    gutter with failover_exptime 5. A killed server's keys go to the gutter (written there with
    a TTL of at most 5 s) and are read from there; restarted (empty), it takes its keys back:
    its keys are written to and read from it again. The clients see no error; misses only for
    keys of the killed server (its memory is gone, and what the gutter took stays there when
    it returns: mcrouter's gutter is a cache of last resort, not a copy); every hit is exact:
    nothing older than the model is ever served."""
    a = [fleet_factory.backend("memfleetd") for _ in range(2)]
    gutter = fleet_factory.backend("memfleetd")
    config = {"pools": {"A": {"servers": [addr_str(b) for b in a]},
                        "G": {"servers": [addr_str(gutter)]}},
              "route": {"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                        "failover": "PoolRoute|G", "failover_exptime": 5}}
    router = fleet_factory.router(config, LOADED)
    victim, vname = a[0], addr_str(a[0])
    killed_at = [float("inf")]
    mine: List[str] = []
    # Any key of the killed server may miss from its death on: written before, it died with
    # the process; written since, it is in the gutter until the server returns, empty.
    load = Load(router.addr, "sb_",
                miss_allowed=lambda k, st, now: now > killed_at[0] and k in mine)
    # Which keys the victim holds: write every key once through the router, read it directly.
    with WireConn(router.addr) as c:
        for k in load.model:
            assert c.request(f"set {k} 0 0 {len(value_of(k, 0))}\r\n".encode() +
                             value_of(k, 0) + b"\r\n") == b"STORED\r\n"
            load.model[k].present = True
    mine += [k for k in load.model if direct_get(victim.addr, k) is not None]
    assert mine and len(mine) < len(load.model), "the pool did not spread the keys"
    load.start()
    t0 = time.monotonic()
    time.sleep(phase(1.0))
    killed_at[0] = time.monotonic()
    kill9(fleet_factory, victim)
    t_killed = time.monotonic()
    wait_state(router.addr, vname, lambda f: f["state"] == "down", "state=down")
    time.sleep(phase(1.5))
    t_restart = time.monotonic()
    # The gutter holds the victim's keys written since the kill, each with a short TTL.
    in_gutter = [(k, direct_ttl(gutter.addr, k)) for k in mine]
    in_gutter = [(k, got) for k, got in in_gutter if got is not None]
    assert in_gutter, "no key of the killed server reached the gutter"
    assert all(0 < ttl <= 5 for _, (_, ttl) in in_gutter), in_gutter[:5]
    victim = fleet_factory.backend("memfleetd", port=victim.port, name="victim-restarted")
    wait_state(router.addr, vname, is_up, "state=up (a probe)")
    t_up = time.monotonic()
    time.sleep(phase(1.0))
    load.stop()
    t_end = time.monotonic()
    load.report("standby pool", [("before", t0, killed_at[0]), ("dead", t_killed, t_restart),
                                 ("after its return", t_up, t_end)])
    assert load.errors == [], (load.errors, all_server_stats(router.addr))
    # It takes its keys back: a write through the router lands on it, not in the gutter, and
    # a read comes from it even while the gutter still holds another value of the key.
    k = mine[0]
    with WireConn(gutter.addr) as g:
        assert g.request(f"set {k} 0 5 6\r\ngutter\r\n".encode()) == b"STORED\r\n"
    with WireConn(router.addr) as c:
        assert c.request(f"set {k} 0 0 4\r\nhome\r\n".encode()) == b"STORED\r\n"
        assert direct_get(victim.addr, k) == b"home"
        assert direct_get(gutter.addr, k) == b"gutter"
        assert c.request(f"get {k}\r\n".encode()) == f"VALUE {k} 0 4\r\nhome\r\nEND\r\n".encode()
    assert router.running()


def proxied_fleet(factory, router_args: Sequence[str]) -> Tuple[Fleet, FaultProxy]:
    """A pool of two memfleetd behind a router, the first reached through a FaultProxy."""
    behind = factory.backend("memfleetd")
    other = factory.backend("memfleetd")
    proxy = FaultProxy(behind.addr).start()
    ports = [proxy.port, other.port]
    path = factory.write_config({"pools": {"A": {"servers": [f"{HOST}:{p}" for p in ports]}},
                                 "route": "PoolRoute|A"})
    router = factory.router(path, router_args)
    return Fleet(factory, "memfleetd", [behind, other], ports, router, path), proxy


def keys_behind_proxy(fleet: Fleet, n: int = 60) -> Tuple[List[str], List[str]]:
    placement = fleet.place([f"px{i}" for i in range(n)])
    return placement.get(0, []), placement.get(1, [])


def test_proxy_dropped_traffic_times_out_then_recovers(fleet_factory):  # noqa: F811
    fleet, proxy = proxied_fleet(fleet_factory, router_flags(heartbeat_ms=0))
    try:
        mine, other = keys_behind_proxy(fleet)
        assert mine and other
        with WireConn(fleet.addr, timeout=15) as c:
            assert c.request(f"set {mine[0]} 0 0 2\r\nv1\r\n".encode()) == b"STORED\r\n"
            proxy.set_mode("drop")
            # Each request for its keys times out (a soft error); the third in a row marks it
            # down, and from then on requests fail fast (TKO) instead of waiting.
            replies = [c.request(f"get {k}\r\n".encode()) for k in mine[:3]]
            assert replies == [b"SERVER_ERROR timeout\r\n"] * 3, replies
            down = wait_state(fleet.addr, fleet.servers[0], lambda f: f["state"] == "down",
                              "state=down")
            assert int(down["soft_errors"]) >= 3 and int(down["timeouts"]) >= 3, down
            assert c.request(f"get {mine[0]}\r\n".encode()) == \
                b"SERVER_ERROR server marked down (TKO)\r\n"
            # The other server is untouched.
            assert c.request(f"get {other[0]}\r\n".encode()) == b"END\r\n"
            assert proxy.stats()["dropped_bytes"] > 0
            proxy.set_mode("pass")
            back = wait_state(fleet.addr, fleet.servers[0], is_up, "state=up (a probe)")
            assert int(back["probes"]) >= 1, back
            assert c.request(f"get {mine[0]}\r\n".encode()) == \
                f"VALUE {mine[0]} 0 2\r\nv1\r\nEND\r\n".encode()
    finally:
        proxy.stop()
    fleet.check_router_alive()


def test_proxy_half_open_peer_is_replaced_by_heartbeats(fleet_factory):  # noqa: F811
    """A blackholed peer: connections stay open and nothing answers, new ones are accepted and
    never answered. An idle router (no client request) finds out through its heartbeats: each
    one that times out replaces its connection (the proxy sees new connections) and counts a
    soft error, and the server is marked down; once traffic passes, a probe brings it back."""
    fleet, proxy = proxied_fleet(fleet_factory, FAST)
    try:
        name = fleet.servers[0]
        wait_state(fleet.addr, name, lambda f: int(f["heartbeats"]) >= 1, "a heartbeat")
        accepted = proxy.stats()["accepted"]
        proxy.set_mode("blackhole")
        down = wait_state(fleet.addr, name, lambda f: f["state"] == "down", "state=down")
        assert int(down["heartbeat_failures"]) >= 1, down
        assert int(down["soft_errors"]) >= 1 and int(down["hard_errors"]) == 0, down
        assert int(down["requests"]) == 0, down  # no client request was needed
        assert proxy.stats()["accepted"] > accepted, "the silent connection was not replaced"
        proxy.set_mode("pass")
        back = wait_state(fleet.addr, name, is_up, "state=up (a probe)")
        assert int(back["probes"]) >= 1, back
        mine, _ = keys_behind_proxy(fleet)
        with WireConn(fleet.addr, timeout=15) as c:
            wait_until("a set through the proxy", lambda: c.request(
                f"set {mine[0]} 0 0 2\r\nok\r\n".encode()) == b"STORED\r\n")
            assert direct_get(fleet.backends[0].addr, mine[0]) == b"ok"
    finally:
        proxy.stop()
    fleet.check_router_alive()


def test_proxy_cut_connections_are_hard_errors_then_reconnect(fleet_factory):  # noqa: F811
    fleet, proxy = proxied_fleet(fleet_factory, FAST)
    try:
        name = fleet.servers[0]
        mine, _ = keys_behind_proxy(fleet)
        with WireConn(fleet.addr, timeout=15) as c:
            assert c.request(f"set {mine[0]} 0 0 2\r\nv1\r\n".encode()) == b"STORED\r\n"
            # One cut (RST) of every open connection: a hard error marks the server down at
            # once; the probe reconnects through the proxy, which passes again.
            before = server_stats(fleet.addr, name)
            accepted = proxy.stats()["accepted"]
            proxy.cut()
            wait_state(fleet.addr, name, lambda f: int(f["hard_errors"]) >
                       int(before["hard_errors"]), "a hard error")
            wait_state(fleet.addr, name, is_up, "state=up again")
            wait_until("the router reconnected through the proxy",
                       lambda: proxy.stats()["accepted"] > accepted)
            wait_until("a read through the reconnected proxy", lambda: c.request(
                f"get {mine[0]}\r\n".encode()) == f"VALUE {mine[0]} 0 2\r\nv1\r\nEND\r\n".encode())
            # Reset for good (every connect is reset): down, fail fast, no timeouts.
            proxy.set_mode("reset")
            down = wait_state(fleet.addr, name, lambda f: f["state"] == "down", "state=down")
            assert int(down["hard_errors"]) > int(before["hard_errors"]), down
            reply = c.request(f"get {mine[0]}\r\n".encode())
            assert reply.startswith(b"SERVER_ERROR ") and b"timeout" not in reply, reply
            proxy.set_mode("pass")
            back = wait_state(fleet.addr, name, is_up, "state=up (a probe)")
            assert int(back["probes"]) >= 1, back
            wait_until("a read after the reset ended", lambda: c.request(
                f"get {mine[0]}\r\n".encode()) == f"VALUE {mine[0]} 0 2\r\nv1\r\nEND\r\n".encode())
    finally:
        proxy.stop()
    fleet.check_router_alive()


def test_router_restart_replays_a_nonempty_write_log_under_load(  # noqa: F811
        fleet_factory, tmp_path):  # noqa: F811
    """A replica is frozen (SIGSTOP) while clients write: its writes are logged. The router is
    stopped (SIGTERM) with the log non-empty, the replica resumed (SIGCONT: whatever it had in
    its socket buffers it applies now, before any new router talks to it), and a new router on
    the same --write-log-dir starts with the replica down, replays the log when a probe finds it,
    while clients write and read again through the new router. The replica kept its memory, so
    at the end it equals the model for every key, as the live ones do."""
    live = [fleet_factory.backend("memfleetd") for _ in range(2)]
    victim = fleet_factory.backend("memfleetd")
    config = replicated_config([addr_str(b) for b in live], addr_str(victim))
    path = fleet_factory.write_config(config)
    wlog = tmp_path / "wlog"
    args = [*LOADED, "--write-log-dir", str(wlog)]
    vname = addr_str(victim)
    router = fleet_factory.router(path, args)
    load = Load(router.addr, "rr_").start()
    time.sleep(phase(1.0))
    stop_process(victim)
    wait_state(router.addr, vname, lambda f: f["state"] == "down", "state=down")
    time.sleep(phase(1.5))
    load.stop()
    assert load.errors == [], (load.errors, all_server_stats(router.addr))
    logged = server_stats(router.addr, vname)
    assert int(logged["wlog_records"]) > 0, logged
    fleet_factory.forget(router)
    router.stop()
    files = list(wlog.glob("*.wlog"))
    assert files, f"no write log file in {wlog}"
    victim.signal(signal.SIGCONT)
    wait_until("the resumed replica answers", lambda: direct_get(victim.addr, "nothing") is None)
    router = fleet_factory.router(path, args)
    # The same model, carried on by a new load through the new router.
    load2 = Load(router.addr, "rr_")
    load2.model = load.model
    load2.start()
    back = wait_state(router.addr, vname, log_empty, "state=up with the log replayed")
    time.sleep(phase(1.0))
    load2.stop()
    load2.report("router restart", [("after", 0.0, float("inf"))])
    print(f"  victim before the restart: {logged}\n  after: {back}")
    assert load2.errors == [], (load2.errors, all_server_stats(router.addr))
    keys = list(load.model)
    for i, b in enumerate(live):
        assert_server_equals_model(b.addr, load2, keys, f"live replica {i}")
    assert_server_equals_model(victim.addr, load2, keys, "the replayed replica")
    assert router.running()
