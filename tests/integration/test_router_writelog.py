"""memfleet-router's write log, end to end: a replicated pool of two memfleetd behind a router
with --write-log-dir; writes go to both replicas (AllInitialRoute: the first replica's reply is
the client's), reads to the first that answers (FailoverRoute). Replica 1 is the one that fails.

  - Stopped (SIGSTOP) under writes: its first writes time out and are logged, it is marked
    down, the rest are logged without being tried (the log file and `stats servers` count them);
    after SIGCONT a probe brings it back, the log is replayed, and read directly it holds the
    newest value of every key (deleted keys gone, incr and append applied once).
  - Writes arriving while it comes back (a writer thread) end up in order: every key on it
    equals the live replica's.
  - The router restarted (SIGTERM) while the log has records: the new router, with the same
    directory, replays them when the replica is back, and never calls it up before that.
  - A tiny --write-log-max-bytes: the overflow marks the log needs_resync, and on return the
    replica is flushed and refilled from the healthy replica (router/resync/: a copy, then the
    log of what arrived meanwhile) rather than partially replayed; with no healthy replica left
    it is flushed (its old keys gone: the fallback, counted).
  - A replica restarted while the pool guard keeps it up (its restart is not seen as a failure)
    is found by the router's identity check (a new pid), taken down and resynced.
  - A pool with "write_log": false logs nothing.

Every wait is bounded and polls an outcome (stats, direct reads); processes are started on free
loopback ports and stopped by pid (router_fixture.py).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict

import pytest

from router_fixture import fleet_factory, router_binary  # noqa: F401 (fixture)
from server_process import HOST, STOP_TIMEOUT
from wire import WireConn

WAIT = 20.0
WRITES = ["set", "add", "replace", "append", "prepend", "delete", "touch", "incr", "decr"]
ROUTER_ARGS = ["--server-timeout", "300", "--heartbeat-interval-ms", "200",
               "--probe-delay-initial-ms", "100", "--probe-delay-max-ms", "400"]


def replicated_config(servers, write_log=None) -> dict:
    pool = {"servers": servers}
    if write_log is not None:
        pool["write_log"] = write_log
    return {"pools": {"R": pool},
            "route": {"type": "OperationSelectorRoute",
                      "default_policy": "FailoverRoute|Pool|R",
                      "operation_policies": {op: "AllInitialRoute|Pool|R" for op in WRITES}}}


def server_stats(addr, server: str) -> Dict[str, str]:
    with WireConn(addr) as c:
        line = c.stats("servers")[server]
    return dict(field.split("=", 1) for field in line.split())


def wait_for(addr, server: str, what, description: str) -> Dict[str, str]:
    deadline = time.monotonic() + WAIT
    while True:
        fields = server_stats(addr, server)
        if what(fields):
            return fields
        assert time.monotonic() < deadline, f"{server} never got {description}: {fields}"
        time.sleep(0.05)


def stop(backend) -> None:
    backend.signal(signal.SIGSTOP)
    deadline = time.monotonic() + WAIT
    stat = Path(f"/proc/{backend.pid}/stat")
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the backend did not stop"
        time.sleep(0.01)


def get(addr, key: str):
    with WireConn(addr) as c:
        reply = c.request(f"get {key}\r\n".encode())
    if reply == b"END\r\n":
        return None
    assert reply.startswith(b"VALUE "), reply
    return reply.split(b"\r\n")[1].decode()


def log_records(directory: Path, server: str) -> int:
    """The records memfleet-writelog prints for the server's log file."""
    name = "".join(c if c.isalnum() or c in ".-_" else f"%{ord(c):02X}" for c in server)
    tool = router_binary().parent / "memfleet-writelog"
    out = subprocess.run([str(tool), str(directory / f"{name}.wlog")], capture_output=True,
                         timeout=30, check=True).stdout.decode()
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


class Replicas:
    """Two (or n) memfleetd and a router with a write log in the test's directory."""

    def __init__(self, factory, tmp: Path, args=(), write_log=None, n: int = 2):
        self.factory = factory
        self.dir = tmp / "wlog"
        self.backends = [factory.backend(name=f"replica{i}-") for i in range(n)]
        self.servers = [f"{HOST}:{b.port}" for b in self.backends]
        self.config = factory.write_config(replicated_config(self.servers, write_log))
        self.args = ["--write-log-dir", str(self.dir), *ROUTER_ARGS, *args]
        self.router = factory.router(self.config, self.args)

    @property
    def addr(self):
        return self.router.addr

    def direct(self, i: int):
        return (HOST, self.backends[i].port)

    def stats(self, i: int = 1) -> Dict[str, str]:
        return server_stats(self.addr, self.servers[i])

    def request(self, data: bytes) -> bytes:
        with WireConn(self.addr, timeout=10) as c:
            return c.request(data)

    def set(self, key: str, value: str) -> None:
        assert self.request(f"set {key} 0 0 {len(value)}\r\n{value}\r\n".encode()) == \
            b"STORED\r\n"


def test_a_stopped_replica_gets_what_it_missed_replayed(fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path)
    for i in range(20):
        r.set(f"k{i}", "old")
    r.set("n", "10")
    r.set("a", "x")
    stop(r.backends[1])
    try:
        # The first writes time out on replica 1 (the client has replica 0's reply at once);
        # the first timeout logs its write and marks the server down.
        for i in range(10):
            r.set(f"k{i}", f"new{i}")
        wait_for(r.addr, r.servers[1], lambda f: f["state"] == "down", "state=down")
        # Down: logged without being tried. incr and append only now (a write that timed out
        # may still reach the server when it resumes, and be applied again by the replay).
        for i in range(10, 15):
            assert r.request(f"delete k{i}\r\n".encode()) == b"DELETED\r\n"
        assert r.request(b"incr n 5\r\n") == b"15\r\n"
        assert r.request(b"append a 0 0 1\r\ny\r\n") == b"STORED\r\n"
        with WireConn(r.addr, timeout=10) as c:
            c.send(b"set k19 0 0 5 noreply\r\nquiet\r\n")
            assert c.request(b"version\r\n").startswith(b"VERSION")
        expected = 10 + 5 + 3
        fields = wait_for(r.addr, r.servers[1], lambda f: int(f["wlog_records"]) == expected,
                          f"wlog_records={expected}")
        assert int(fields["wlog_appended"]) == expected, fields
        assert fields["wlog_needs_resync"] == "0", fields
        assert log_records(r.dir, r.servers[1]) == expected
        # Reads go to replica 0 meanwhile.
        assert get(r.addr, "k0") == "new0"
    finally:
        r.backends[1].signal(signal.SIGCONT)
    fields = wait_for(r.addr, r.servers[1],
                      lambda f: f["state"] == "up" and f["wlog_records"] == "0",
                      "state=up with an empty log")
    assert int(fields["wlog_replayed"]) >= expected, fields
    d = r.direct(1)
    for i in range(10):
        assert get(d, f"k{i}") == f"new{i}", i
    for i in range(10, 15):
        assert get(d, f"k{i}") is None, i
    for i in range(15, 19):
        assert get(d, f"k{i}") == "old", i
    assert get(d, "k19") == "quiet"
    assert get(d, "n") == "15"
    assert get(d, "a") == "xy"


def test_writes_during_the_replay_end_up_in_order(fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path)
    keys = [f"w{i}" for i in range(50)]
    for k in keys:
        r.set(k, "0")
    fleet_factory.forget(r.backends[1])
    r.backends[1].signal(signal.SIGKILL)
    r.backends[1].proc.wait(timeout=STOP_TIMEOUT)
    wait_for(r.addr, r.servers[1], lambda f: f["state"] == "down", "state=down")
    version = 0
    with WireConn(r.addr, timeout=10) as c:
        for version in range(1, 21):
            for k in keys:
                c.send(f"set {k} 0 0 {len(str(version))} noreply\r\n{version}\r\n".encode())
        assert c.request(b"version\r\n").startswith(b"VERSION")
    wait_for(r.addr, r.servers[1], lambda f: int(f["wlog_records"]) >= 1000, "1000 records")

    stop_writer = threading.Event()
    errors = []

    def writer() -> None:
        v = 100
        try:
            with WireConn(r.addr, timeout=10) as c:
                while not stop_writer.is_set():
                    v += 1
                    for k in keys[:10]:
                        c.send(f"set {k} 0 0 {len(str(v))} noreply\r\n{v}\r\n".encode())
                    assert c.request(b"version\r\n").startswith(b"VERSION")
        except Exception as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=writer)
    t.start()
    try:
        # Empty, on the same port: the replay rebuilds what it missed.
        r.backends[1] = fleet_factory.backend(port=int(r.servers[1].rsplit(":", 1)[1]),
                                              name="replica1-restarted")
        wait_for(r.addr, r.servers[1], lambda f: f["state"] == "up" and f["wlog_records"] == "0",
                 "state=up with an empty log")
        time.sleep(0.2)  # a few more writes after it is up
    finally:
        stop_writer.set()
        t.join(timeout=WAIT)
    assert not t.is_alive() and not errors, errors
    # The writer's last writes to replica 1 may still be on their way (AllInitialRoute answers
    # with replica 0's reply): poll until the replicas agree, bounded.
    deadline = time.monotonic() + WAIT
    while True:
        differ = [k for k in keys if get(r.direct(1), k) != get(r.direct(0), k)]
        if not differ:
            break
        assert time.monotonic() < deadline, f"replicas differ on {differ}"
        time.sleep(0.1)
    assert r.stats()["wlog_records"] == "0"


def test_a_router_restart_replays_the_log_it_left(fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path)
    fleet_factory.forget(r.backends[1])
    r.backends[1].signal(signal.SIGKILL)
    r.backends[1].proc.wait(timeout=STOP_TIMEOUT)
    for i in range(30):
        r.set(f"r{i}", f"v{i}")
    wait_for(r.addr, r.servers[1], lambda f: int(f["wlog_records"]) == 30, "30 records")
    fleet_factory.forget(r.router)
    r.router.signal(signal.SIGTERM)
    assert r.router.proc.wait(timeout=STOP_TIMEOUT) == 0
    assert log_records(r.dir, r.servers[1]) == 30
    r.backends[1] = fleet_factory.backend(port=int(r.servers[1].rsplit(":", 1)[1]),
                                          name="replica1-restarted")
    r.router = fleet_factory.router(r.config, r.args)
    # Never up with records left: it starts down and is replayed before it serves.
    deadline = time.monotonic() + WAIT
    while True:
        f = r.stats()
        if f["state"] == "up":
            assert f["wlog_records"] == "0", f
            break
        assert time.monotonic() < deadline, f
        time.sleep(0.02)
    for i in range(30):
        assert get(r.direct(1), f"r{i}") == f"v{i}", i


def overflow_then_resume_replica1(r: "Replicas", while_stopped) -> Dict[str, str]:
    """Ten old keys on both replicas, then replica 1 stopped while 10 KB of writes overflow its
    4 KB log (needs_resync, writes dropped); while_stopped() runs; then replica 1 resumes and
    its `stats servers` fields are returned once it is up with the mark cleared."""
    for i in range(10):
        r.set(f"old{i}", "kept?")
    stop(r.backends[1])
    try:
        r.set("big0", "x" * 1000)
        wait_for(r.addr, r.servers[1], lambda f: f["state"] == "down", "state=down")
        for i in range(1, 10):
            r.set(f"big{i}", "x" * 1000)
        fields = wait_for(r.addr, r.servers[1], lambda f: f["wlog_needs_resync"] == "1",
                          "wlog_needs_resync=1")
        assert int(fields["wlog_dropped"]) > 0, fields
        while_stopped()
    finally:
        r.backends[1].signal(signal.SIGCONT)
    return wait_for(r.addr, r.servers[1],
                    lambda f: f["state"] == "up" and f["wlog_needs_resync"] == "0",
                    "state=up with the resync mark cleared")


def test_an_overflowing_log_is_resynced_from_the_healthy_replica(  # noqa: F811
        fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path, args=["--write-log-max-bytes", "4096"])
    # A key text cannot carry ("a b", base64 "YSBi"): metadump lists it URI-encoded, the copy
    # fetches and stores it base64.
    assert r.request(b"ms YSBi 2 b F5\r\nhi\r\n") == b"HD\r\n"
    # Replica 1 holds "kept?" for old0: a stale value, as its log dropped this write.
    f = overflow_then_resume_replica1(r, lambda: r.set("old0", "newer"))
    # Flushed (the stale value gone), then every key copied from replica 0 (add-only).
    assert int(f["resyncs"]) == 1 and int(f["resync_fallbacks"]) == 0, f
    assert int(f["resync_keys"]) >= 20, f
    assert get(r.direct(1), "old0") == "newer"
    with WireConn(r.direct(1)) as c:
        assert c.request(b"mg YSBi b f v\r\n") == b"VA 2 f5\r\nhi\r\n"
    for i in range(1, 10):
        assert get(r.direct(1), f"old{i}") == "kept?", i
        assert get(r.direct(1), f"big{i}") == "x" * 1000, i


def test_an_overflowing_log_without_a_healthy_replica_flushes(  # noqa: F811
        fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path, args=["--write-log-max-bytes", "4096"])

    def kill_replica0():
        # Replica 0 dies too; a write finds it dead (logged, down): no healthy replica is left.
        fleet_factory.forget(r.backends[0])
        r.backends[0].signal(signal.SIGKILL)
        r.backends[0].proc.wait(timeout=STOP_TIMEOUT)
        r.request(b"set after 0 0 1\r\nz\r\n")
        wait_for(r.addr, r.servers[0], lambda f: f["state"] == "down", "replica 0 down")

    f = overflow_then_resume_replica1(r, kill_replica0)
    assert int(f["resync_fallbacks"]) == 1 and int(f["resyncs"]) == 0, f
    for i in range(10):
        assert get(r.direct(1), f"old{i}") is None, i


def test_a_restart_the_health_tracking_missed_is_found_and_resynced(  # noqa: F811
        fleet_factory, tmp_path):  # noqa: F811
    """Three replicas, one of which may be down (--max-down-share 0.34). Replica 0 is dead;
    replica 1 is killed and restarted empty on its port while no write is sent: its lost
    connection is a hard error the pool guard refuses, so it stays up and its connections reach
    the new process. The once-a-second identity check sees the new pid, takes it down, and it
    is resynced from replica 2 before it is up again: it holds every key it lost."""
    r = Replicas(fleet_factory, tmp_path, args=["--max-down-share", "0.34"], n=3)
    for i in range(20):
        r.set(f"k{i}", f"v{i}")
    fleet_factory.forget(r.backends[0])
    r.backends[0].signal(signal.SIGKILL)
    r.backends[0].proc.wait(timeout=STOP_TIMEOUT)
    wait_for(r.addr, r.servers[0], lambda f: f["state"] == "down", "replica 0 down")
    # Learned while it is up (the check runs once a second).
    time.sleep(1.5)
    fleet_factory.forget(r.backends[1])
    r.backends[1].signal(signal.SIGKILL)
    r.backends[1].proc.wait(timeout=STOP_TIMEOUT)
    r.backends[1] = fleet_factory.backend(port=int(r.servers[1].rsplit(":", 1)[1]),
                                          name="replica1-restarted")
    f = wait_for(r.addr, r.servers[1],
                 lambda f: f["state"] == "up" and int(f["resyncs"]) >= 1,
                 "state=up after a resync")
    print(f"  restarted replica: {f}")
    assert int(f["resync_restarts"]) >= 1 and int(f["resync_fallbacks"]) == 0, f
    for i in range(20):
        assert get(r.direct(1), f"k{i}") == f"v{i}", i


def test_a_pool_without_write_log_logs_nothing(fleet_factory, tmp_path):  # noqa: F811
    r = Replicas(fleet_factory, tmp_path, write_log=False)
    fleet_factory.forget(r.backends[1])
    r.backends[1].signal(signal.SIGKILL)
    r.backends[1].proc.wait(timeout=STOP_TIMEOUT)
    for i in range(10):
        r.set(f"k{i}", "v")
    f = wait_for(r.addr, r.servers[1], lambda f: f["state"] == "down", "state=down")
    assert "wlog_records" not in f, f
    assert not any(r.dir.glob("*.wlog"))
