"""memfleet-router's health tracking: servers marked down and failing fast, heartbeats, probes,
the pool guard, and twemproxy's auto_eject_hosts checked against Debian's nutcracker.

  - A killed backend (SIGKILL by pid) is marked down by its hard errors; requests for its keys
    get an error at once (TKO) instead of waiting for a timeout; restarted on its port, a probe
    brings it back and it serves again.
  - A stopped backend (SIGSTOP) is marked down after --timeouts-until-tko timeouts in a row, and
    comes back by probe after SIGCONT.
  - An idle router (no client request at all) notices a dead server and a hung one through its
    connections and heartbeats.
  - The pool guard: with --max-down-share 0.34, killing 2 of 3 servers marks only one down.
  - With a nutcracker.yml with auto_eject_hosts, the router and nutcracker (same yml) eject a
    killed server, and then put every key on the same live server.

Which server a key lands on is asked of the router (fleet.place), never assumed. The assertions
are about outcomes (replies, states, counters); every wait is bounded by a deadline and polls an
outcome. Processes are started on free loopback ports and stopped by pid (router_fixture.py).
"""

from __future__ import annotations

import re
import signal
import socket
import time
from pathlib import Path
from typing import Dict

import pytest

from router_fixture import MEMCACHED, fleet_factory  # noqa: F401 (fixture)
from server_process import HOST, free_port
from wire import WireConn

SERVER_ERROR = re.compile(rb"\ASERVER_ERROR [^\r\n]+\r\n\Z")
TKO = b"SERVER_ERROR server marked down (TKO)\r\n"
WAIT = 20.0  # bound of every wait for a state change
# Short probe delays so that a server comes back within a second or two of being able to.
FAST_PROBES = ["--probe-delay-initial-ms", "100", "--probe-delay-max-ms", "400"]


def server_stats(addr, server: str) -> Dict[str, str]:
    """The `stats servers` fields of one server ("host:port") as {name: value}."""
    with WireConn(addr) as c:
        line = c.stats("servers")[server]
    return dict(field.split("=", 1) for field in line.split())


def wait_for(addr, server: str, what, description: str) -> Dict[str, str]:
    """Polls stats servers until what(fields) holds; fails after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        fields = server_stats(addr, server)
        if what(fields):
            return fields
        assert time.monotonic() < deadline, f"{server} never got {description}: {fields}"
        time.sleep(0.05)


def stop(backend) -> None:
    """SIGSTOPs backend and waits (bounded) until the kernel shows it stopped: the signal is
    delivered asynchronously, and a request sent meanwhile would still be answered."""
    backend.signal(signal.SIGSTOP)
    deadline = time.monotonic() + WAIT
    stat = Path(f"/proc/{backend.pid}/stat")
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the backend did not stop"
        time.sleep(0.01)


def test_killed_server_fails_fast_and_comes_back_by_probe(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached", router_args=FAST_PROBES)
    placement = fleet.place([f"kill{i}" for i in range(90)])
    victim, live = placement[0], placement[1] + placement[2]
    dead = fleet.servers[0]
    with WireConn(fleet.addr, timeout=15) as c:
        stores = "".join(f"set {k} 0 0 {len(k)}\r\n{k}\r\n" for k in victim + live).encode()
        assert c.request(stores) == b"STORED\r\n" * (len(victim) + len(live))
        assert server_stats(fleet.addr, dead)["state"] == "up"
        fleet.kill_backend(0)
        # Under load: 20 rounds of a pipelined get of every key of the dead server and one
        # live key. Every request for the dead server gets an error, none waits for a timeout.
        errors = timeouts = 0
        for _ in range(20):
            batch = "".join(f"get {k}\r\n" for k in victim) + f"get {live[0]}\r\n"
            c.send(batch.encode())
            for k in victim:
                reply = c.read_line()
                assert SERVER_ERROR.match(reply), (k, reply)
                errors += 1
                timeouts += reply == b"SERVER_ERROR timeout\r\n"
            assert c.read_value_reply() == \
                f"VALUE {live[0]} 0 {len(live[0])}\r\n{live[0]}\r\nEND\r\n".encode()
        assert timeouts * 10 < errors, f"{timeouts} timeouts among {errors} failed requests"
        down = wait_for(fleet.addr, dead, lambda f: f["state"] == "down", "state=down")
        assert int(down["hard_errors"]) >= 1, down
        assert c.request(f"get {victim[0]}\r\n".encode()) == TKO
        down = server_stats(fleet.addr, dead)
        assert int(down["fail_fast"]) >= 1, down
        assert int(down["last_change"]) > 0, down

        fleet.restart_backend(0)
        back = wait_for(fleet.addr, dead, lambda f: f["state"] == "up", "state=up (a probe)")
        assert int(back["probes"]) >= 1, back
        # Every worker serves it again (the restarted memcached is empty).
        for _ in range(4):
            with WireConn(fleet.addr, timeout=15) as other:
                assert other.request(f"set {victim[0]} 0 0 4\r\nback\r\n".encode()) == \
                    b"STORED\r\n"
                assert other.request(f"get {victim[0]}\r\n".encode()) == \
                    f"VALUE {victim[0]} 0 4\r\nback\r\nEND\r\n".encode()
    fleet.check_router_alive()


def test_stopped_server_goes_down_after_n_timeouts_and_comes_back(fleet_factory):  # noqa: F811
    # No heartbeats: the only soft errors are the requests' own timeouts.
    fleet = fleet_factory.fleet("memcached", router_args=[
        "--server-timeout", "300", "--timeouts-until-tko", "3", "--heartbeat-interval-ms", "0",
        *FAST_PROBES])
    placement = fleet.place([f"stop{i}" for i in range(60)])
    stuck = placement[2]
    server = fleet.servers[2]
    with WireConn(fleet.addr, timeout=15) as c:
        assert c.request(f"set {stuck[0]} 0 0 2\r\nok\r\n".encode()) == b"STORED\r\n"
        backend = fleet.backends[2]
        stop(backend)
        try:
            for i in range(3):
                assert c.request(f"get {stuck[i]}\r\n".encode()) == b"SERVER_ERROR timeout\r\n", i
            # The third timeout in a row marked it down: the next request fails fast.
            assert c.request(f"get {stuck[3]}\r\n".encode()) == TKO
            down = server_stats(fleet.addr, server)
            assert down["state"] == "down", down
            assert int(down["soft_errors"]) == 3 and int(down["timeouts"]) == 3, down
            assert int(down["fail_fast"]) == 1, down
        finally:
            backend.signal(signal.SIGCONT)
        wait_for(fleet.addr, server, lambda f: f["state"] == "up", "state=up after SIGCONT")
        assert c.request(f"get {stuck[0]}\r\n".encode()) == \
            f"VALUE {stuck[0]} 0 2\r\nok\r\nEND\r\n".encode()
    fleet.check_router_alive()


def test_idle_router_notices_dead_and_hung_servers(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached", router_args=[
        "--heartbeat-interval-ms", "100", "--server-timeout", "200", "--max-down-share", "1",
        *FAST_PROBES])
    # Heartbeats flow on idle connections, and are not client requests.
    alive = wait_for(fleet.addr, fleet.servers[0], lambda f: int(f["heartbeats"]) >= 2,
                     "heartbeats")
    assert alive["state"] == "up" and alive["requests"] == "0", alive
    stop(fleet.backends[1])
    fleet.kill_backend(2)
    try:
        hung = wait_for(fleet.addr, fleet.servers[1], lambda f: f["state"] == "down",
                        "state=down by heartbeats")
        assert int(hung["heartbeat_failures"]) >= 1 and int(hung["soft_errors"]) >= 1, hung
        dead = wait_for(fleet.addr, fleet.servers[2], lambda f: f["state"] == "down",
                        "state=down by its lost connection")
        assert int(dead["hard_errors"]) >= 1, dead
        for fields in (hung, dead):
            assert fields["requests"] == "0", fields  # nobody asked anything
    finally:
        fleet.backends[1].signal(signal.SIGCONT)
    wait_for(fleet.addr, fleet.servers[1], lambda f: f["state"] == "up", "state=up after SIGCONT")
    assert server_stats(fleet.addr, fleet.servers[0])["state"] == "up"
    fleet.check_router_alive()


def test_a_reload_keeps_the_health_of_servers_it_still_has(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached", router_args=FAST_PROBES)
    fleet.kill_backend(1)
    down = wait_for(fleet.addr, fleet.servers[1], lambda f: f["state"] == "down", "state=down")
    # The same servers in a changed text (a comment): a reload, and the record stays as it was.
    fleet.config_path.write_text("// reloaded\n" + fleet.config_path.read_text())
    deadline = time.monotonic() + WAIT
    while True:
        with WireConn(fleet.addr) as c:
            if c.stats()["config_reloads"] == "1":
                break
        assert time.monotonic() < deadline, "the router did not reload"
        time.sleep(0.05)
    after = server_stats(fleet.addr, fleet.servers[1])
    assert after["state"] == "down" and after["last_change"] == down["last_change"], after
    fleet.restart_backend(1)
    wait_for(fleet.addr, fleet.servers[1], lambda f: f["state"] == "up", "state=up (a probe)")
    fleet.check_router_alive()


def test_pool_guard_keeps_part_of_the_pool_up(fleet_factory):  # noqa: F811
    fleet = fleet_factory.fleet("memcached", router_args=["--max-down-share", "0.34"])
    fleet.kill_backend(0)
    fleet.kill_backend(1)
    # Both failures are seen (hard errors) whatever the order; only one may be marked down.
    for s in fleet.servers[:2]:
        wait_for(fleet.addr, s, lambda f: int(f["hard_errors"]) >= 1, "a hard error")
    states = [server_stats(fleet.addr, s)["state"] for s in fleet.servers]
    assert sorted(states[:2]) == ["down", "up"], states
    assert states[2] == "up", states
    # The server left up is still tried normally: its requests fail with its own error, not TKO.
    spared = fleet.servers[states.index("up")]
    keys = fleet.place([f"guard{i}" for i in range(60)])[fleet.servers.index(spared)]
    with WireConn(fleet.addr, timeout=15) as c:
        reply = c.request(f"get {keys[0]}\r\n".encode())
        assert SERVER_ERROR.match(reply) and reply != TKO, reply
    fleet.check_router_alive()


# -- nutcracker's auto_eject_hosts -------------------------------------------------------------

NUTCRACKER = Path("/usr/sbin/nutcracker")


def eject_yml(listen: str, ports, distribution: str) -> str:
    servers = "".join(f"   - {HOST}:{p}:1\n" for p in ports)
    return (f"pool:\n  listen: {listen}\n  hash: fnv1a_64\n  distribution: {distribution}\n"
            f"  timeout: 2000\n  auto_eject_hosts: true\n  server_failure_limit: 1\n"
            f"  server_retry_timeout: 120000\n  servers:\n{servers}")


@pytest.mark.skipif(not NUTCRACKER.exists(), reason="Debian's nutcracker is not installed")
@pytest.mark.skipif(not MEMCACHED.exists(), reason="Debian's memcached is not installed")
@pytest.mark.parametrize("distribution", ["ketama", "modula"])
def test_ejected_server_placement_matches_nutcracker(fleet_factory, distribution):  # noqa: F811
    from test_router_placement import (Nutcracker, flush, get_all, holds, set_all,
                                       start_yml_router)
    backends = [fleet_factory.backend("memcached", name=f"memcached{i}-") for i in range(3)]
    ports = [b.port for b in backends]
    nc_port, router_port = free_port(), free_port()
    workdir = fleet_factory.workdir
    proxy = Nutcracker(workdir, f"nutcracker-eject-{distribution}",
                       eject_yml(f"{HOST}:{nc_port}", ports, distribution), nc_port).start()
    try:
        config = workdir / f"eject-{distribution}.yml"
        config.write_text(eject_yml(f"{HOST}:{router_port}", ports, distribution))
        start_yml_router(fleet_factory, config, [router_port], f"router-eject-{distribution}")
        keys = [f"{i}:eject:{distribution}:{i * 7919 % 1000}".encode() for i in range(1000)]

        fleet_factory.forget(backends[1])
        backends[1].proc.send_signal(signal.SIGKILL)
        backends[1].proc.wait(timeout=10)
        # The router ejects on its own (a lost connection, a failed reconnect); nutcracker when
        # its requests fail: get keys until none fails (a miss comes from a live server).
        wait_for((HOST, router_port), f"{HOST}:{ports[1]}", lambda f: f["state"] == "down",
                 "ejected by the router")
        deadline = time.monotonic() + WAIT
        while True:
            # Every key: any of them may be the dead server's (nearby keys can share a stretch
            # of the continuum).
            with socket.create_connection((HOST, nc_port), timeout=10) as sock:
                sock.settimeout(10)
                sock.sendall(b"".join(b"get %s\r\n" % k for k in keys))
                data = b""
                while data.count(b"\r\n") < len(keys):
                    chunk = sock.recv(1 << 20)
                    assert chunk, "nutcracker closed the connection"
                    data += chunk
            if b"ERROR" not in data:
                break
            assert time.monotonic() < deadline, f"nutcracker never ejected the server: {data[:200]}"
            time.sleep(0.1)

        live = [ports[0], ports[2]]
        flush(live)
        set_all(nc_port, keys)
        by_nutcracker = {p: holds(p, keys) for p in live}
        flush(live)
        set_all(router_port, keys)
        by_router = {p: holds(p, keys) for p in live}
        assert len(by_router[ports[0]]) + len(by_router[ports[2]]) == len(keys)
        for p in live:
            diff = by_nutcracker[p] ^ by_router[p]
            assert not diff, (f"{len(diff)} keys placed differently on {p} by the router and "
                              f"nutcracker, e.g. {sorted(diff)[:3]}")
        assert all(by_router[p] for p in live), "every key went to one server"
        assert len(get_all(router_port, keys)) == len(keys)
    finally:
        proxy.stop()
