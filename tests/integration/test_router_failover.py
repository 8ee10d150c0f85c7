"""memfleet-router's routes for failure and replication against real servers: FailoverRoute over
two pools with the first one's server killed, FailoverWithExptimeRoute's gutter with its short
TTL, WarmUpRoute filling cold from warm, ShadowRoute (PoolRoute `shadows`) copying traffic, and a
replicated pool (AllSyncRoute writes, LatestRoute reads) that keeps answering reads with a replica
killed, MissFailoverRoute reading through to the pool that has a key, and the shipped replicated-gutter example with one and then two replicas killed.

Each test starts its own backends and router on free loopback ports (router_fixture), kills a
backend by its pid after forget(), bounds every wait, and reads backends directly to see where a
value really is. No test assumes which server a key lands on beyond what its config forces.
"""

from __future__ import annotations

import re
import signal
import time

from router_fixture import HOST, fleet_factory  # noqa: F401 (fixture)
from server_process import REPO_ROOT, STOP_TIMEOUT
from wire import WireConn, parse_values

WAIT = 10.0  # the bound of every wait for something the router does in the background
MG_HIT = re.compile(rb"\AVA (\d+)((?: [^\r\n]*)?)\r\n")


def start_backends(factory, n):
    return [factory.backend("memfleetd") for _ in range(n)]


def addr_of(b):
    return f"{HOST}:{b.port}"


def kill(factory, b):
    """SIGKILL by pid; the backend's end is not judged."""
    factory.forget(b)
    b.proc.send_signal(signal.SIGKILL)
    b.proc.wait(timeout=STOP_TIMEOUT)


def meta_get(b, key: str):
    """mg <key> v f t on backend b directly: None on a miss, else (value, flags, ttl)."""
    with WireConn(b.addr) as c:
        reply = c.request(f"mg {key} v f t\r\n".encode())
    if reply == b"EN\r\n":
        return None
    m = MG_HIT.match(reply)
    assert m, f"mg {key} answered {reply!r}"
    flags = dict((tok[:1], tok[1:]) for tok in m.group(2).split())
    value = reply[m.end():m.end() + int(m.group(1))]
    return value, int(flags[b"f"]), int(flags[b"t"])


def wait_for(what, probe):
    """Calls probe until it returns something truthy, at most WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: not seen within {WAIT}s"
        time.sleep(0.05)


def stat(b, name: str) -> int:
    with WireConn(b.addr) as c:
        return int(c.stats()[name])


def test_failover_route_survives_a_killed_pool(fleet_factory):  # noqa: F811
    first, second = start_backends(fleet_factory, 2)
    config = {"pools": {"A": {"servers": [addr_of(first)]}, "B": {"servers": [addr_of(second)]}},
              "route": {"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}
    router = fleet_factory.router(config)
    with WireConn(router.addr, timeout=15) as c:
        assert c.request(b"set before 0 0 3\r\nold\r\n") == b"STORED\r\n"
        assert meta_get(first, "before") == (b"old", 0, -1)  # the first pool while it lives
        assert meta_get(second, "before") is None
        kill(fleet_factory, first)
        for i in range(10):
            assert c.request(f"set after{i} 5 0 2\r\nv{i}\r\n".encode()) == b"STORED\r\n", i
        got = parse_values(c.request(("get " + " ".join(f"after{i}" for i in range(10)) +
                                      "\r\n").encode()))
        assert len(got) == 10, got
        assert meta_get(second, "after3") == (b"v3", 5, -1)
        # A key only the dead pool had is a miss from the second, not an error.
        assert c.request(b"get before\r\n") == b"END\r\n"
        assert c.request(b"delete after1\r\n") == b"DELETED\r\n"
    assert router.running()


def test_failover_with_exptime_writes_the_gutter_with_a_short_ttl(fleet_factory):  # noqa: F811
    normal, gutter = start_backends(fleet_factory, 2)
    config = {"pools": {"main": {"servers": [addr_of(normal)]},
                        "gutter": {"servers": [addr_of(gutter)]}},
              "route": {"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|main",
                        "failover": "PoolRoute|gutter", "failover_exptime": 5}}
    router = fleet_factory.router(config)
    with WireConn(router.addr, timeout=15) as c:
        assert c.request(b"set healthy 0 0 1\r\nh\r\n") == b"STORED\r\n"
        assert meta_get(normal, "healthy") == (b"h", 0, -1)  # untouched while main answers
        kill(fleet_factory, normal)
        assert c.request(b"set forever 3 0 5\r\nvalue\r\n") == b"STORED\r\n"
        assert c.request(b"set hour 0 3600 1\r\nx\r\n") == b"STORED\r\n"
        assert c.request(b"set short 0 2 1\r\ny\r\n") == b"STORED\r\n"
        assert parse_values(c.request(b"get forever\r\n")) == {b"forever": (3, b"value")}
        # Through meta too: the T token is rewritten, not only the neutral exptime.
        assert c.request(b"ms metakey 2 T0\r\nmv\r\n") == b"HD\r\n"
    value, flags, ttl = meta_get(gutter, "forever")
    assert (value, flags) == (b"value", 3)
    assert 0 < ttl <= 5, ttl  # "never expires" became the gutter's 5 s
    assert 0 < meta_get(gutter, "hour")[2] <= 5
    assert 0 < meta_get(gutter, "short")[2] <= 2  # a shorter exptime is kept
    assert 0 < meta_get(gutter, "metakey")[2] <= 5
    assert router.running()


def test_warm_up_route_fills_cold_from_warm(fleet_factory):  # noqa: F811
    cold, warm = start_backends(fleet_factory, 2)
    config = {"pools": {"cold": {"servers": [addr_of(cold)]}, "warm": {"servers": [addr_of(warm)]}},
              "route": {"type": "WarmUpRoute", "cold": "PoolRoute|cold", "warm": "PoolRoute|warm",
                        "exptime": 100}}
    router = fleet_factory.router(config)
    with WireConn(warm.addr) as w:
        for key in ("only_warm", "gets_warm", "meta_warm"):
            assert w.request(f"set {key} 7 0 4\r\nwarm\r\n".encode()) == b"STORED\r\n"
    with WireConn(router.addr, timeout=15) as c:
        # get: warm's hit is the reply; the add to cold happens in the background.
        assert parse_values(c.request(b"get only_warm\r\n")) == {b"only_warm": (7, b"warm")}
        value, flags, ttl = wait_for("the add of only_warm to cold",
                                     lambda: meta_get(cold, "only_warm"))
        assert (value, flags) == (b"warm", 7)
        assert 0 < ttl <= 100, ttl
        # gets: added to cold first, then cold's own item (and cas) is the reply.
        reply = c.request(b"gets gets_warm\r\n")
        assert re.match(rb"\AVALUE gets_warm 7 4 \d+\r\nwarm\r\nEND\r\n\Z", reply), reply
        assert meta_get(cold, "gets_warm")[:2] == (b"warm", 7)
        # A meta get that asks no flags still warms cold with the whole item.
        assert c.request(b"mg meta_warm v\r\n") == b"VA 4\r\nwarm\r\n"
        assert meta_get(cold, "meta_warm")[:2] == (b"warm", 7)
        # Writes go to cold only.
        assert c.request(b"set new 0 0 3\r\nnew\r\n") == b"STORED\r\n"
        assert meta_get(cold, "new")[0] == b"new"
        assert meta_get(warm, "new") is None
        # A key in neither is a miss.
        assert c.request(b"get nowhere\r\n") == b"END\r\n"
    assert router.running()


def test_shadow_copies_traffic_and_replies_come_from_default(fleet_factory):  # noqa: F811
    main, shadow = start_backends(fleet_factory, 2)
    config = {"pools": {"main": {"servers": [addr_of(main)]},
                        "shadow": {"servers": [addr_of(shadow)]}},
              "route": {"type": "PoolRoute", "pool": "main",
                        "shadows": [{"target": "PoolRoute|shadow", "index_range": [0, 1],
                                     "key_fraction_range": [0, 1]}]}}
    router = fleet_factory.router(config)
    with WireConn(router.addr, timeout=15) as c:
        assert c.request(b"set copied 0 0 4\r\nmain\r\n") == b"STORED\r\n"
        assert wait_for("the shadow's copy", lambda: meta_get(shadow, "copied"))[0] == b"main"
        # The shadow diverges: the client still reads the default's value.
        with WireConn(shadow.addr) as s:
            assert s.request(b"set copied 0 0 6\r\nshadow\r\n") == b"STORED\r\n"
        gets_before = stat(shadow, "cmd_get")
        assert parse_values(c.request(b"get copied\r\n")) == {b"copied": (0, b"main")}
        wait_for("the shadow's get", lambda: stat(shadow, "cmd_get") > gets_before)
        # A key only the shadow has is a miss for the client.
        with WireConn(shadow.addr) as s:
            assert s.request(b"set shadow_only 0 0 1\r\nz\r\n") == b"STORED\r\n"
        assert c.request(b"get shadow_only\r\n") == b"END\r\n"
    # A dead shadow costs the client nothing.
    kill(fleet_factory, shadow)
    with WireConn(router.addr, timeout=15) as c:
        for i in range(5):
            assert c.request(f"set s{i} 0 0 1\r\n{i}\r\n".encode()) == b"STORED\r\n"
            got = parse_values(c.request(f"get s{i}\r\n".encode()))
            assert got == {f"s{i}".encode(): (0, str(i).encode())}
    assert router.running()


def test_replicated_pool_reads_survive_a_killed_replica(fleet_factory):  # noqa: F811
    replicas = start_backends(fleet_factory, 3)
    config = {"pools": {"R": {"servers": [addr_of(b) for b in replicas]}},
              "route": {"type": "OperationSelectorRoute",
                        "operation_policies": {
                            "get": {"type": "LatestRoute", "children": "Pool|R",
                                    "failover_count": 3},
                            "gets": {"type": "LatestRoute", "children": "Pool|R",
                                     "failover_count": 3}},
                        "default_policy": "AllSyncRoute|Pool|R"}}
    router = fleet_factory.router(config)
    keys = [f"rep{i}" for i in range(20)]
    with WireConn(router.addr, timeout=15) as c:
        for k in keys:
            assert c.request(f"set {k} 1 0 {len(k)}\r\n{k}\r\n".encode()) == b"STORED\r\n"
    for b in replicas:
        assert meta_get(b, keys[0])[0] == keys[0].encode()  # every replica has every write
    # Kill each replica the router might read first, one at a time keeping the last: every
    # read still hits, through the replicas left.
    for victim in replicas[:2]:
        kill(fleet_factory, victim)
        with WireConn(router.addr, timeout=15) as c:
            for k in keys:
                got = parse_values(c.request(f"get {k}\r\n".encode()))
                assert got == {k.encode(): (1, k.encode())}, k
            got = parse_values(c.request(("get " + " ".join(keys) + "\r\n").encode()))
            assert len(got) == len(keys)
    assert router.running()


def test_miss_failover_reads_the_pool_that_has_the_key(fleet_factory):  # noqa: F811
    old, new = start_backends(fleet_factory, 2)
    config = {"pools": {"new": {"servers": [addr_of(new)]}, "old": {"servers": [addr_of(old)]}},
              "route": {"type": "MissFailoverRoute",
                        "children": ["PoolRoute|new", "PoolRoute|old"]}}
    router = fleet_factory.router(config)
    with WireConn(old.addr) as o:
        assert o.request(b"set in_old 2 0 3\r\nold\r\n") == b"STORED\r\n"
    with WireConn(router.addr, timeout=15) as c:
        assert c.request(b"set in_new 0 0 3\r\nnew\r\n") == b"STORED\r\n"  # writes: first only
        assert meta_get(old, "in_new") is None
        assert parse_values(c.request(b"get in_new in_old nowhere\r\n")) == {
            b"in_new": (0, b"new"), b"in_old": (2, b"old")}
        # A delete goes on until one pool deletes.
        assert c.request(b"delete in_old\r\n") == b"DELETED\r\n"
        assert meta_get(old, "in_old") is None
        assert c.request(b"delete nowhere\r\n") == b"NOT_FOUND\r\n"
    assert router.running()


def test_shipped_replicated_gutter_example(fleet_factory):  # noqa: F811
    replicas = start_backends(fleet_factory, 3)
    gutter = fleet_factory.backend("memfleetd")
    text = (REPO_ROOT / "configs/examples/replicated-gutter.json").read_text()
    for example, b in zip(["127.0.0.1:11311", "127.0.0.1:11312", "127.0.0.1:11313",
                           "127.0.0.1:11321"], [*replicas, gutter]):
        assert f'"{example}"' in text, example
        text = text.replace(f'"{example}"', f'"{addr_of(b)}"')
    router = fleet_factory.router(text)
    keys = [f"g{i}" for i in range(10)]
    with WireConn(router.addr, timeout=15) as c:
        for k in keys:
            assert c.request(f"set {k} 0 0 2\r\nv1\r\n".encode()) == b"STORED\r\n"
        assert all(meta_get(b, k) is not None for b in replicas for k in keys)
        assert meta_get(gutter, keys[0]) is None
        # One replica down: a majority still stores, every read hits, the gutter is not used.
        kill(fleet_factory, replicas[0])
        assert c.request(b"set one_down 0 0 1\r\nx\r\n") == b"STORED\r\n"
        assert len(parse_values(c.request(("get " + " ".join(keys) + "\r\n").encode()))) == 10
        assert meta_get(gutter, "one_down") is None
        # Two down: writes land in the gutter too, with its 10 s TTL; reads still hit.
        kill(fleet_factory, replicas[1])
        assert c.request(b"set two_down 0 0 1\r\ny\r\n") == b"STORED\r\n"
        value, _, ttl = meta_get(gutter, "two_down")
        assert value == b"y" and 0 < ttl <= 10, ttl
        assert parse_values(c.request(b"get two_down g3\r\n")) == {
            b"two_down": (0, b"y"), b"g3": (0, b"v1")}
        # A delete reaches the live replica and, in the background, the gutter.
        # (the majority of connect errors may answer before the live replica has deleted)
        c.request(b"delete two_down\r\n")
        wait_for("the live replica's delete", lambda: meta_get(replicas[2], "two_down") is None)
        wait_for("the gutter's delete", lambda: meta_get(gutter, "two_down") is None)
    assert router.running()
