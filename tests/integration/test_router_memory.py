"""memfleet-router's memory stays bounded when a client does not read: a client pipelines 20,000
gets of 100 KB values (2 GB of replies) and reads nothing until the router has stopped taking its
requests. The router must hold back (stop reading that client) instead of buffering the replies:
its peak RSS (VmHWM in /proc/PID/status) stays under RSS_BOUND. Then the client reads everything,
and every one of the 20,000 replies must be the right value, in order.

Runs the RELEASE router (sanitizer builds have their own memory overhead): MEMFLEET_ROUTER_RELEASE,
default build/release/bin/memfleet-router (`cmake --preset release && cmake --build build/release
--target memfleet-router`); skipped with a reason when it is missing. The backends are Debian
memcached.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from router_fixture import MEMCACHED, fleet_factory, router_release_binary  # noqa: F401
from server_process import check_executable
from wire import WireConn

REQUESTS = 20_000
VALUE_SIZE = 100 * 1024
KEYS = 12
RSS_BOUND = 200 * 1024 * 1024


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def wait_until_stalled(addr, limit: float = 60.0) -> dict:
    """Polls the router's stats until it stops taking and answering gets (cmd_get and get_hits
    unchanged: the client's socket buffers are full and the router holds back), bounded by
    `limit`; returns the last stats. (bytes_read/written move with the polling itself.)"""
    deadline = time.monotonic() + limit
    last, same = None, 0
    with WireConn(addr) as c:
        while time.monotonic() < deadline:
            stats = c.stats()
            now = (stats["cmd_get"], stats["get_hits"])
            same = same + 1 if now == last else 0
            if same >= 4:
                return stats
            last = now
            time.sleep(0.25)
    raise AssertionError("the router's output never settled while the client was not reading")


def test_unread_pipeline_keeps_router_memory_bounded(fleet_factory):  # noqa: F811
    binary = router_release_binary()
    if check_executable(binary):
        pytest.skip(f"release router not built ({check_executable(binary)}): cmake --preset "
                    f"release && cmake --build build/release --target memfleet-router")
    if check_executable(MEMCACHED):
        pytest.skip("Debian memcached is not installed")
    fleet = fleet_factory.fleet("memcached", binary=binary)
    keys = [f"mem{i}".encode() for i in range(KEYS)]
    values = {k: (k + b"-" + bytes([65 + i]) * VALUE_SIZE)[:VALUE_SIZE]
              for i, k in enumerate(keys)}
    with WireConn(fleet.addr) as c:
        for k in keys:
            assert c.request(b"set %s 0 0 %d\r\n%s\r\n" % (k, VALUE_SIZE, values[k])) == \
                b"STORED\r\n"
    assert len(fleet.place(keys)) >= 2, "all keys on one server"
    order = [keys[i % KEYS] for i in range(REQUESTS)]
    requests = b"".join(b"get %s\r\n" % k for k in order)
    pid = fleet.router.pid

    sock = socket.create_connection(fleet.addr, timeout=60)
    errors = []

    def writer():
        try:
            sock.sendall(requests)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        stalled = wait_until_stalled(fleet.addr)
        peak_stalled = status_kb(pid, "VmHWM") * 1024
        assert peak_stalled < RSS_BOUND, (
            f"router peak RSS {peak_stalled >> 20} MB while the client was not reading "
            f"(bound {RSS_BOUND >> 20} MB); stats: {stalled}")
        # The router had not taken every request: it stopped reading this client.
        assert KEYS < int(stalled["cmd_get"]) - KEYS < REQUESTS, stalled

        # Now read every reply and check it.
        expected = {k: b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (k, VALUE_SIZE, values[k])
                    for k in keys}
        buf = bytearray()
        pos = 0
        for i, k in enumerate(order):
            want = expected[k]
            while len(buf) - pos < len(want):
                chunk = sock.recv(4 << 20)
                assert chunk, f"the router closed the connection after {i} replies"
                buf += chunk
            assert buf[pos:pos + len(want)] == want, f"reply {i} ({k!r}) is wrong: " \
                f"{bytes(buf[pos:pos + 80])!r}"
            pos += len(want)
            if pos > (16 << 20):
                del buf[:pos]
                pos = 0
        assert len(buf) == pos, f"bytes after the last reply: {bytes(buf[pos:pos + 80])!r}"
    finally:
        sock.close()
        t.join(timeout=30)
    assert not errors, errors
    peak = status_kb(pid, "VmHWM") * 1024
    assert peak < RSS_BOUND, f"router peak RSS {peak >> 20} MB (bound {RSS_BOUND >> 20} MB)"
    fleet.check_router_alive()
