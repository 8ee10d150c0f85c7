"""memfleet-router when a backend fails (the basics; health tracking is the next issue's): a server
that was never there, one killed in the middle of a run and started again on its port, and one
that stops answering (SIGSTOP, then SIGCONT).

The router answers a request it cannot serve with an error reply of its own instead of leaving
the client waiting (every read here is bounded, so a hang fails the test), keeps serving the keys
of the other servers, reconnects to a server that comes back, and never hands a late reply to a
later request. Which server a key lands on is asked of the router, never assumed.
"""

from __future__ import annotations

import re
import signal
import struct
import time

from router_fixture import fleet_factory  # noqa: F401 (fixture)
from wire import WireConn, parse_values

SERVER_ERROR = re.compile(rb"\ASERVER_ERROR [^\r\n]+\r\n\Z")
HEADER = struct.Struct(">BBHBBHIIQ")


def keys_by_server(fleet, prefix: str, n: int = 60):
    placement = fleet.place([f"{prefix}{i}" for i in range(n)])
    assert len(placement) == len(fleet.ports), f"{n} keys did not reach every server: {placement}"
    return placement


def binary_get(addr, key: str):
    """One binary get; returns (status, value)."""
    with WireConn(addr) as c:
        k = key.encode()
        c.send(HEADER.pack(0x80, 0x00, len(k), 0, 0, 0, len(k), 7, 0) + k)
        head = c.read_exactly(24)
        _magic, _op, keylen, extlen, _dt, status, body, opaque, _cas = HEADER.unpack(head)
        rest = c.read_exactly(body) if body else b""
        assert opaque == 7
        return status, rest[extlen + keylen:]


def test_a_server_never_started(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached", dead=[1])
    placement = keys_by_server(fleet, "never")
    dead, live = placement[1], placement[0] + placement[2]
    with WireConn(fleet.addr, timeout=15) as c:
        for k in dead[:5]:
            assert SERVER_ERROR.match(c.request(f"get {k}\r\n".encode())), k
            assert SERVER_ERROR.match(c.request(f"set {k} 0 0 1\r\nx\r\n".encode())), k
            assert SERVER_ERROR.match(c.request(f"mg {k} v\r\n".encode())), k
        for k in live:
            assert c.request(f"set {k} 0 0 2\r\nok\r\n".encode()) == b"STORED\r\n"
        assert len(parse_values(c.request(("get " + " ".join(live) + "\r\n").encode()))) == \
            len(live)
        # A multi-get with a key of the missing server: memcached has no per-key error, so the
        # whole reply is the error.
        assert SERVER_ERROR.match(c.request(f"get {live[0]} {dead[0]} {live[1]}\r\n".encode()))
        # noreply: nothing comes back, and the connection goes on.
        assert c.request(f"set {dead[0]} 0 0 1 noreply\r\nx\r\n".encode()) == b""
        servers = c.stats("servers")
        assert "state=up" not in servers[fleet.servers[1]], servers
        assert "hard_errors=0 " not in servers[fleet.servers[1]], servers
    status, _ = binary_get(fleet.addr, dead[0])
    assert status not in (0, 1), f"binary get of an unreachable key answered status {status}"
    assert binary_get(fleet.addr, live[0]) == (0, b"ok")
    fleet.check_router_alive()


def test_a_server_killed_and_restarted(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached")
    placement = keys_by_server(fleet, "killed")
    victim, live = placement[0], placement[1] + placement[2]
    with WireConn(fleet.addr, timeout=15) as c:
        stores = "".join(f"set {k} 0 0 {len(k)}\r\n{k}\r\n" for k in victim + live).encode()
        assert c.request(stores) == b"STORED\r\n" * (len(victim) + len(live))
        fleet.kill_backend(0)
        for k in victim[:5]:
            assert SERVER_ERROR.match(c.request(f"get {k}\r\n".encode())), k
        got = parse_values(c.request(("get " + " ".join(live) + "\r\n").encode()))
        assert got == {k.encode(): (0, k.encode()) for k in live}
        fleet.restart_backend(0)
        # The router reconnects by itself (with backoff): bounded retries until a write works.
        deadline = time.monotonic() + 30
        while True:
            reply = c.request(f"set {victim[0]} 0 0 4\r\nback\r\n".encode())
            if reply == b"STORED\r\n":
                break
            assert SERVER_ERROR.match(reply), reply
            assert time.monotonic() < deadline, "the router did not reconnect to the server"
            time.sleep(0.1)
        assert c.request(f"get {victim[0]} {victim[1]}\r\n".encode()) == \
            f"VALUE {victim[0]} 0 4\r\nback\r\nEND\r\n".encode()  # a new, empty server
    # Every worker reconnects, not only the one that served the connection above.
    for _ in range(6):
        with WireConn(fleet.addr, timeout=15) as c:
            deadline = time.monotonic() + 30
            while True:
                reply = c.request(f"get {victim[0]}\r\n".encode())
                if reply.startswith(b"VALUE"):
                    break
                assert SERVER_ERROR.match(reply) and time.monotonic() < deadline, reply
                time.sleep(0.1)
    fleet.check_router_alive()


def test_a_server_that_stops_answering(fleet_factory):  # noqa: F811
    # Every timeout is seen here: the server is never marked down (that is test_router_health's).
    fleet = fleet_factory.fleet("memcached", router_args=[
        "--server-timeout", "1000", "--timeouts-until-tko", "100", "--heartbeat-interval-ms", "0"])
    placement = keys_by_server(fleet, "stopped")
    stuck, live = placement[2], placement[0] + placement[1]
    with WireConn(fleet.addr, timeout=15) as c:
        stores = "".join(f"set {k} 0 0 {len(k)}\r\n{k}\r\n" for k in stuck + live).encode()
        assert c.request(stores) == b"STORED\r\n" * (len(stuck) + len(live))
        backend = fleet.backends[2]
        backend.signal(signal.SIGSTOP)
        try:
            assert c.request(f"get {stuck[0]}\r\n".encode()) == b"SERVER_ERROR timeout\r\n"
            # Pipelined behind it: a live key answers normally, in order.
            c.send(f"get {stuck[1]}\r\nget {live[0]}\r\nset {stuck[2]} 0 0 4\r\nlate\r\n"
                   f"get {stuck[3]}\r\n".encode())
            assert c.read_line() == b"SERVER_ERROR timeout\r\n"
            assert c.read_value_reply() == f"VALUE {live[0]} 0 {len(live[0])}\r\n{live[0]}\r\n" \
                                           f"END\r\n".encode()
            assert c.read_line() == b"SERVER_ERROR timeout\r\n"
            assert c.read_line() == b"SERVER_ERROR timeout\r\n"
            assert c.request(f"mg {stuck[4]} v\r\n".encode()) == b"SERVER_ERROR timeout\r\n"
        finally:
            backend.signal(signal.SIGCONT)
        # The server now answers the requests that timed out; those late replies are dropped,
        # and every later request gets its own reply.
        for k in stuck[3:] + stuck[:2]:
            assert c.request(f"get {k}\r\n".encode()) == \
                f"VALUE {k} 0 {len(k)}\r\n{k}\r\nEND\r\n".encode(), k
        # The timed-out set was still applied by the server when it woke up.
        assert c.request(f"get {stuck[2]}\r\n".encode()) == \
            f"VALUE {stuck[2]} 0 4\r\nlate\r\nEND\r\n".encode()
        got = parse_values(c.request(("get " + " ".join(stuck + live) + "\r\n").encode()))
        assert len(got) == len(stuck) + len(live)
        servers = c.stats("servers")
        assert "timeouts=0 " not in servers[fleet.servers[2]], servers
    fleet.check_router_alive()
