"""memfleet-router's route handles, observed from the outside: each test starts a router with a
small config in front of real backends (four memfleetd and one Debian memcached, shared by the
module) and checks where requests went by reading every server DIRECTLY, and what the client
was answered (docs/router.md, "Handles", is the specification).

The backends are shared, so every test uses keys with its own prefix. Where a route finishes
its work in the background (AllAsyncRoute, AllInitialRoute, AllMajorityRoute, AllFastestRoute),
the servers are polled with a bounded wait. Which replica serves reads is counted with each
server's own `stats` get_hits.
"""

from __future__ import annotations

import re
import signal
import socket
import time
from typing import Callable, Dict, List, Optional, Sequence

import pytest

from router_fixture import MEMCACHED, fleet_factory, module_fleet_factory  # noqa: F401
from server_process import HOST, REPO_ROOT, check_executable
from wire import WireConn, parse_values

WAIT = 15.0  # bound of every poll for background work
SERVER_ERROR = re.compile(rb"\ASERVER_ERROR [^\r\n]+\r\n\Z")


# ---- helpers -------------------------------------------------------------------------------------


class Backends:
    """The module's servers: index -> "host:port", and direct access to each."""

    def __init__(self, procs):
        self.procs = procs

    def __len__(self) -> int:
        return len(self.procs)

    def addr(self, i: int):
        return (HOST, self.procs[i].port)

    def name(self, i: int) -> str:
        return f"{HOST}:{self.procs[i].port}"

    def get(self, i: int, key: str) -> Optional[bytes]:
        with WireConn(self.addr(i)) as c:
            got = parse_values(c.request(f"get {key}\r\n".encode()))
        return got[key.encode()][1] if got else None

    def holders(self, key: str, among: Optional[Sequence[int]] = None) -> Dict[int, bytes]:
        """{server index: value} of every server (of `among`) that has key."""
        out = {}
        for i in (range(len(self)) if among is None else among):
            v = self.get(i, key)
            if v is not None:
                out[i] = v
        return out

    def set(self, i: int, key: str, value: str) -> None:
        with WireConn(self.addr(i)) as c:
            assert c.request(f"set {key} 0 0 {len(value)}\r\n{value}\r\n".encode()) == \
                b"STORED\r\n"

    def get_hits(self, i: int) -> int:
        with WireConn(self.addr(i)) as c:
            return int(c.stats()["get_hits"])


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.05)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def route_of(conn: WireConn, key: str, op: str = "get") -> List[str]:
    """The servers the router sends an `op` for key to (its admin get)."""
    reply = conn.request(f"get __memfleet__.route({op},{key})\r\n".encode())
    got = parse_values(reply)
    assert len(got) == 1, f"admin route get answered {reply!r}"
    value = next(iter(got.values()))[1].decode()
    return value.split("\r\n") if value else []


def store(conn: WireConn, key: str, value: str, cmd: str = "set") -> bytes:
    return conn.request(f"{cmd} {key} 0 0 {len(value)}\r\n{value}\r\n".encode())


def get_value(conn: WireConn, key: str) -> Optional[bytes]:
    got = parse_values(conn.request(f"get {key}\r\n".encode()))
    return got[key.encode()][1] if got else None


@pytest.fixture(scope="module")
def backends(module_fleet_factory):  # noqa: F811
    procs = [module_fleet_factory.backend("memfleetd", name=f"memfleetd{i}") for i in range(4)]
    kind = "memcached" if check_executable(MEMCACHED) is None else "memfleetd"
    procs.append(module_fleet_factory.backend(kind, name=f"{kind}4"))
    return Backends(procs)


@pytest.fixture
def start_router(fleet_factory):  # noqa: F811
    """Starts a router with the config (dict or text) and returns a connection to it."""
    conns = []

    def start(config, args: Sequence[str] = ()) -> WireConn:
        router = fleet_factory.router(config, args)
        c = WireConn(router.addr)
        conns.append(c)
        return c

    yield start
    for c in conns:
        c.close()


def pools(b: Backends, **members: Sequence[int]) -> dict:
    return {name: {"servers": [b.name(i) for i in idx]} for name, idx in members.items()}


# ---- selectors -----------------------------------------------------------------------------------


def test_prefix_selector_longest_prefix_wins(backends, start_router):
    b = backends
    c = start_router({
        "pools": pools(b, P0=[0], P1=[1], P2=[2]),
        "route": {"type": "PrefixSelectorRoute",
                  "policies": {"ps:a:": "PoolRoute|P0", "ps:a:b:": "PoolRoute|P1"},
                  "wildcard": "PoolRoute|P2"},
    })
    expect = {"ps:a:b:1": 1, "ps:a:b:": 1, "ps:a:x": 0, "ps:a:": 0, "ps:a:b": 0, "ps:zz": 2,
              "other": 2}
    for key, where in expect.items():
        assert store(c, key, f"v-{key}") == b"STORED\r\n", key
        assert b.holders(key, among=[0, 1, 2]) == {where: f"v-{key}".encode()}, key
        assert route_of(c, key) == [b.name(where)], key
        assert get_value(c, key) == f"v-{key}".encode()


def test_prefix_selector_without_wildcard(backends, start_router):
    b = backends
    c = start_router({"pools": pools(b, P0=[0]),
                      "route": {"type": "PrefixSelectorRoute",
                                "policies": {"pn:": "PoolRoute|P0"}}})
    assert store(c, "pn:1", "x") == b"STORED\r\n"
    assert b.holders("pn:1", among=[0, 1, 2]) == {0: b"x"}
    assert c.request(b"get nopolicy\r\n") == b"SERVER_ERROR no route for key\r\n"
    assert c.request(b"set nopolicy 0 0 1\r\nx\r\n") == b"SERVER_ERROR no route for key\r\n"
    assert b.holders("nopolicy") == {}


def test_operation_selector(backends, start_router):
    """gets to pool A, sets to pool B, deletes to both (AllSyncRoute), others an error."""
    b = backends
    c = start_router({
        "pools": pools(b, A=[0], B=[1]),
        "route": {"type": "OperationSelectorRoute",
                  "operation_policies": {
                      "get": "PoolRoute|A",
                      "set": "PoolRoute|B",
                      "delete": {"type": "AllSyncRoute",
                                 "children": ["PoolRoute|A", "PoolRoute|B"]}},
                  "default_policy": "ErrorRoute|not routed"},
    })
    assert store(c, "os:1", "to-b") == b"STORED\r\n"
    assert b.holders("os:1", among=[0, 1, 2]) == {1: b"to-b"}
    assert get_value(c, "os:1") is None  # gets read A, which never saw the set
    b.set(0, "os:1", "on-a")
    assert get_value(c, "os:1") == b"on-a"
    assert route_of(c, "os:1", "get") == [b.name(0)]
    assert route_of(c, "os:1", "set") == [b.name(1)]
    assert sorted(route_of(c, "os:1", "delete")) == sorted([b.name(0), b.name(1)])
    assert c.request(b"delete os:1\r\n") == b"DELETED\r\n"
    assert b.holders("os:1", among=[0, 1]) == {}
    assert c.request(b"delete os:1\r\n") == b"NOT_FOUND\r\n"
    # The default policy: add and incr are not routed anywhere.
    assert store(c, "os:2", "x", "add") == b"SERVER_ERROR not routed\r\n"
    assert c.request(b"incr os:2 1\r\n") == b"SERVER_ERROR not routed\r\n"
    assert b.holders("os:2") == {}


# ---- fan-out routes ------------------------------------------------------------------------------


def test_all_sync_route(backends, start_router):
    b = backends
    every = list(range(len(b)))
    c = start_router({"pools": pools(b, R=every), "route": "AllSyncRoute|Pool|R"})
    assert store(c, "as:1", "everywhere") == b"STORED\r\n"
    assert b.holders("as:1") == {i: b"everywhere" for i in every}
    assert sorted(route_of(c, "as:1", "set")) == sorted(b.name(i) for i in every)
    # The worst reply wins: an add refused by the one server that has the key is NOT_STORED,
    # although every other server stored it.
    b.set(2, "as:2", "only-on-2")
    assert store(c, "as:2", "added", "add") == b"NOT_STORED\r\n"
    assert b.holders("as:2") == {i: (b"only-on-2" if i == 2 else b"added") for i in every}
    # A miss is worse than a hit: a key on one server only reads as a miss.
    b.set(3, "as:3", "only-on-3")
    assert get_value(c, "as:3") is None
    assert c.request(b"delete as:3\r\n") == b"NOT_FOUND\r\n"
    assert b.holders("as:3") == {}
    assert c.request(b"delete as:1\r\n") == b"DELETED\r\n"
    assert b.holders("as:1") == {}


def test_all_async_route(backends, start_router):
    b = backends
    every = list(range(len(b)))
    c = start_router({"pools": pools(b, R=every), "route": "AllAsyncRoute|Pool|R"})
    # The default reply at once (NOT_STORED for a storage command); the write lands everywhere.
    assert store(c, "aa:1", "later") == b"NOT_STORED\r\n"
    wait_until(lambda: b.holders("aa:1") == {i: b"later" for i in every},
               "an AllAsyncRoute set reached every server")
    # A retrieval is answered with a miss even though every server has the key.
    assert get_value(c, "aa:1") is None
    assert c.request(b"delete aa:1\r\n") == b"NOT_FOUND\r\n"
    wait_until(lambda: b.holders("aa:1") == {}, "an AllAsyncRoute delete reached every server")


def test_all_initial_route(backends, start_router):
    b = backends
    c = start_router({"pools": pools(b, R=[0, 1, 2]), "route": "AllInitialRoute|Pool|R"})
    # The first child's reply; the others finish in the background.
    b.set(0, "ai:1", "on-first")
    assert store(c, "ai:1", "added", "add") == b"NOT_STORED\r\n"
    wait_until(lambda: b.holders("ai:1", among=[0, 1, 2]) ==
               {0: b"on-first", 1: b"added", 2: b"added"}, "the other children stored the add")
    b.set(1, "ai:2", "on-second")
    assert store(c, "ai:2", "added", "add") == b"STORED\r\n"
    wait_until(lambda: b.holders("ai:2", among=[0, 1, 2]) ==
               {0: b"added", 1: b"on-second", 2: b"added"}, "the third child stored the add")
    b.set(1, "ai:3", "not-first")
    assert get_value(c, "ai:3") is None  # the first child misses
    assert get_value(c, "ai:1") == b"on-first"


def test_all_majority_route(backends, start_router):
    b = backends
    c = start_router({"pools": pools(b, R=[0, 1, 2]),
                      "route": {"type": "AllMajorityRoute", "children": "Pool|R"}})
    # Two of three store the add: STORED.
    b.set(0, "am:1", "old")
    assert store(c, "am:1", "new", "add") == b"STORED\r\n"
    wait_until(lambda: b.holders("am:1", among=[0, 1, 2]) == {0: b"old", 1: b"new", 2: b"new"},
               "the add reached every child")
    # Two of three refuse it: NOT_STORED.
    b.set(0, "am:2", "old")
    b.set(2, "am:2", "old")
    assert store(c, "am:2", "new", "add") == b"NOT_STORED\r\n"
    wait_until(lambda: b.holders("am:2", among=[0, 1, 2]) == {0: b"old", 1: b"new", 2: b"old"},
               "the add reached every child")
    # Reads: a key on two of three is a hit, on one of three a miss.
    b.set(0, "am:3", "v")
    b.set(1, "am:3", "v")
    assert get_value(c, "am:3") == b"v"
    b.set(2, "am:4", "v")
    assert get_value(c, "am:4") is None


def test_all_fastest_route(backends, start_router):
    b = backends
    dead = f"{HOST}:{closed_port()}"
    c = start_router({"pools": {"R": {"servers": [dead, b.name(1), b.name(2)]}},
                      "route": "AllFastestRoute|Pool|R"})
    # The first reply that is not a failover error: the dead server never wins.
    for i in range(5):
        assert store(c, f"af:{i}", f"v{i}") == b"STORED\r\n"
        assert get_value(c, f"af:{i}") == f"v{i}".encode()
    wait_until(lambda: all(b.holders(f"af:{i}", among=[1, 2]) == {1: f"v{i}".encode(),
                                                                  2: f"v{i}".encode()}
                           for i in range(5)), "every live child stored the sets")
    # All children failing: the last failure.
    c2 = start_router({"pools": {"D": {"servers": [dead, f"{HOST}:{closed_port()}"]}},
                       "route": "AllFastestRoute|Pool|D"})
    assert SERVER_ERROR.match(c2.request(b"get af:0\r\n"))
    assert SERVER_ERROR.match(store(c2, "af:x", "x"))


def test_random_route_spreads_reads(backends, start_router):
    b = backends
    replicas = [0, 1, 2]
    c = start_router({"pools": pools(b, R=replicas),
                      "route": {"type": "OperationSelectorRoute",
                                "operation_policies": {"get": "RandomRoute|Pool|R"},
                                "default_policy": "AllSyncRoute|Pool|R"}})
    assert store(c, "rr:1", "replicated") == b"STORED\r\n"
    assert b.holders("rr:1", among=replicas) == {i: b"replicated" for i in replicas}
    before = {i: b.get_hits(i) for i in replicas}
    c.send(b"get rr:1\r\n" * 300)
    for _ in range(300):
        assert c.read_value_reply() == b"VALUE rr:1 0 10\r\nreplicated\r\nEND\r\n"
    served = {i: b.get_hits(i) - before[i] for i in replicas}
    assert sum(served.values()) == 300, served
    assert all(n > 0 for n in served.values()), f"some replica served no read: {served}"


def test_latest_route(backends, fleet_factory, start_router):  # noqa: F811
    """LatestRoute reads from the replica this router chose first (docs/router.md: chosen per
    router, not per request), and from the next one when that one fails."""
    own = [fleet_factory.backend("memfleetd", name=f"latest{i}") for i in range(3)]
    names = [f"{HOST}:{p.port}" for p in own]
    c = start_router({"pools": {"R": {"servers": names}},
                      "route": {"type": "OperationSelectorRoute",
                                "operation_policies": {
                                    "get": {"type": "LatestRoute", "children": "Pool|R",
                                            "failover_count": 3}},
                                "default_policy": "AllSyncRoute|Pool|R"}})
    assert store(c, "lr:1", "replicated") == b"STORED\r\n"
    with_hits = Backends(own)
    before = [with_hits.get_hits(i) for i in range(3)]
    c.send(b"get lr:1\r\n" * 300)
    for _ in range(300):
        assert c.read_value_reply() == b"VALUE lr:1 0 10\r\nreplicated\r\nEND\r\n"
    served = [with_hits.get_hits(i) - before[i] for i in range(3)]
    assert sorted(served) == [0, 0, 300], served
    first = served.index(300)
    # The chosen replica goes away: reads fail over to another one, without an error.
    fleet_factory.forget(own[first])
    own[first].proc.send_signal(signal.SIGKILL)
    own[first].proc.wait(timeout=15)
    for _ in range(20):
        assert get_value(c, "lr:1") == b"replicated"


def test_latest_route_salts_spread_reads(backends, start_router):
    """Each LatestRoute reads from one replica, chosen by the router's host and the route's salt:
    routes (as routers of a fleet) with different salts spread their reads over the replicas."""
    b = backends
    replicas = [0, 1, 2]
    salts = 30  # with 3 replicas, the chance that 30 choices miss one is about 1e-5
    c = start_router({
        "pools": pools(b, R=replicas),
        "route": {"type": "PrefixSelectorRoute",
                  "policies": {f"ls{n}:": {"type": "LatestRoute", "children": "Pool|R",
                                           "salt": f"salt{n}"} for n in range(salts)},
                  "wildcard": "AllSyncRoute|Pool|R"}})
    chosen = set()
    for n in range(salts):
        key = f"ls{n}:k"
        for i in replicas:
            b.set(i, key, "v")
        before = {i: b.get_hits(i) for i in replicas}
        c.send(f"get {key}\r\n".encode() * 10)
        for _ in range(10):
            assert c.read_value_reply() == f"VALUE {key} 0 1\r\nv\r\nEND\r\n".encode()
        served = {i: b.get_hits(i) - before[i] for i in replicas}
        readers = [i for i in replicas if served[i]]
        assert len(readers) == 1 and served[readers[0]] == 10, served
        assert route_of(c, key)[0] == b.name(readers[0])  # the first of its failover order
        chosen.add(readers[0])
    assert chosen == set(replicas), f"{salts} salts chose only replicas {chosen}"


# ---- hashing, terminal routes --------------------------------------------------------------------


def test_hash_route(backends, start_router):
    b = backends
    members = [0, 1, 2, 4]
    c = start_router({"pools": pools(b, R=members),
                      "route": {"type": "HashRoute", "children": "Pool|R",
                                "hash_func": "Crc32"}})
    used = set()
    for i in range(60):
        key = f"hr:{i}"
        assert store(c, key, key) == b"STORED\r\n"
        dests = route_of(c, key, "set")
        assert len(dests) == 1 and dests == route_of(c, key, "get")
        where = [j for j in members if b.name(j) == dests[0]]
        assert b.holders(key) == {where[0]: key.encode()}, key
        used.add(where[0])
    assert used == set(members), f"60 keys reached only {used}"


def test_null_route(backends, start_router):
    b = backends
    c = start_router({"pools": pools(b, A=[0]),
                      "route": {"type": "PrefixSelectorRoute",
                                "policies": {"nr:": "NullRoute"}, "wildcard": "PoolRoute|A"}})
    assert store(c, "nr:1", "x") == b"NOT_STORED\r\n"
    assert store(c, "nr:1", "x", "add") == b"NOT_STORED\r\n"
    assert c.request(b"get nr:1\r\n") == b"END\r\n"
    assert c.request(b"delete nr:1\r\n") == b"NOT_FOUND\r\n"
    assert c.request(b"incr nr:1 1\r\n") == b"NOT_FOUND\r\n"
    assert c.request(b"touch nr:1 10\r\n") == b"NOT_FOUND\r\n"
    assert route_of(c, "nr:1", "set") == []
    assert b.holders("nr:1") == {}


def test_error_route(backends, start_router):
    b = backends
    c = start_router({"pools": pools(b, A=[0]),
                      "route": {"type": "PrefixSelectorRoute",
                                "policies": {"er:": "ErrorRoute|go away",
                                             "er:plain:": "ErrorRoute"},
                                "wildcard": "PoolRoute|A"}})
    assert c.request(b"get er:1\r\n") == b"SERVER_ERROR go away\r\n"
    assert store(c, "er:1", "x") == b"SERVER_ERROR go away\r\n"
    assert c.request(b"get er:plain:1\r\n") == b"SERVER_ERROR local error\r\n"
    assert c.request(b"mg er:1 v\r\n").startswith(b"SERVER_ERROR ")
    assert b.holders("er:1") == {}
    assert store(c, "ok:1", "x") == b"STORED\r\n"  # the wildcard still serves


# ---- routing prefixes and named handles ----------------------------------------------------------


def test_routing_prefixes(backends, start_router):
    b = backends
    config = {"pools": pools(b, P0=[0], P1=[1]),
              "routes": [{"aliases": ["/rp/one/"], "route": "PoolRoute|P0"},
                         {"aliases": ["/rp/two/", "/rp/too/"], "route": "PoolRoute|P1"}]}
    c = start_router(config)
    # A prefixed key goes to its alias's route with the prefix stripped.
    assert store(c, "/rp/one/k1", "one") == b"STORED\r\n"
    assert b.holders("k1", among=[0, 1]) == {0: b"one"}
    assert b.holders("/rp/one/k1", among=[0, 1]) == {}
    assert store(c, "/rp/two/k2", "two") == b"STORED\r\n"
    assert store(c, "/rp/too/k3", "too") == b"STORED\r\n"
    assert b.holders("k2", among=[0, 1]) == {1: b"two"}
    assert b.holders("k3", among=[0, 1]) == {1: b"too"}
    # The client gets its own key back.
    assert c.request(b"get /rp/one/k1 /rp/two/k2\r\n") == (
        b"VALUE /rp/one/k1 0 3\r\none\r\nVALUE /rp/two/k2 0 3\r\ntwo\r\nEND\r\n")
    assert route_of(c, "/rp/two/k2") == [b.name(1)]
    # A key without a prefix takes the first alias's route, as it is; an unknown prefix too.
    assert store(c, "rp:plain", "plain") == b"STORED\r\n"
    assert b.holders("rp:plain", among=[0, 1]) == {0: b"plain"}
    assert store(c, "/rp/nope/k4", "x") == b"STORED\r\n"
    assert b.holders("/rp/nope/k4", among=[0, 1]) == {0: b"x"}
    # --route-prefix names the default route.
    c2 = start_router(config, ["--route-prefix", "/rp/two/"])
    assert store(c2, "rp:default", "d") == b"STORED\r\n"
    assert b.holders("rp:default", among=[0, 1]) == {1: b"d"}


def test_wildcard_routing_prefixes_broadcast(backends, start_router):
    b = backends
    config = {"pools": pools(b, P0=[0], P1=[1], P2=[2]),
              "routes": [{"aliases": ["/east/web/"], "route": "PoolRoute|P0"},
                         {"aliases": ["/east/api/"], "route": "PoolRoute|P1"},
                         {"aliases": ["/west/web/"], "route": "PoolRoute|P2"}]}
    c = start_router(config)
    # A write to /*/*/ reaches every route, with the prefix stripped.
    assert store(c, "/*/*/wk", "all") == b"STORED\r\n"
    # The default route answers; the others finish in the background.
    wait_until(lambda: b.holders("wk") == {0: b"all", 1: b"all", 2: b"all"}, "wk everywhere")
    # A pattern within one part: only the aliases it matches.
    assert store(c, "/east/*/wk2", "east") == b"STORED\r\n"
    wait_until(lambda: b.holders("wk2") == {0: b"east", 1: b"east"}, "wk2 in the east")
    assert store(c, "/*/w*/wk3", "web") == b"STORED\r\n"
    wait_until(lambda: b.holders("wk3") == {0: b"web", 2: b"web"}, "wk3 in both webs")
    # A get answers with the default route's reply (the first alias), the client's key back.
    assert store(c, "/west/web/wk4", "west-only") == b"STORED\r\n"
    assert c.request(b"get /*/*/wk\r\n") == b"VALUE /*/*/wk 0 3\r\nall\r\nEND\r\n"
    assert c.request(b"get /*/*/wk4 /east/web/wk2\r\n") == (
        b"VALUE /east/web/wk2 0 4\r\neast\r\nEND\r\n")
    # A delete everywhere (what a broadcast is for: invalidating a key in every cluster).
    assert c.request(b"delete /*/*/wk\r\n") == b"DELETED\r\n"
    wait_until(lambda: b.holders("wk") == {}, "the broadcast delete reached every pool")
    # A pattern no alias matches: an error, nothing stored anywhere.
    assert store(c, "/north/*/wk5", "x").startswith(b"SERVER_ERROR ")
    assert b.holders("wk5") == {}


def test_named_handles(backends, start_router):
    b = backends
    c = start_router({
        "pools": pools(b, P0=[0], P1=[1], P2=[2]),
        "named_handles": [{"name": "both", "type": "AllSyncRoute",
                           "children": ["PoolRoute|P0", "PoolRoute|P1"]}],
        "route": {"type": "PrefixSelectorRoute",
                  "policies": {
                      "nh:both:": "both",
                      "nh:mixed:": {"type": "OperationSelectorRoute",
                                    "operation_policies": {
                                        "get": {"name": "third", "type": "PoolRoute",
                                                "pool": "P2"}},
                                    "default_policy": "both"}},
                  "wildcard": "third"},
    })
    assert store(c, "nh:both:1", "b") == b"STORED\r\n"
    assert b.holders("nh:both:1", among=[0, 1, 2]) == {0: b"b", 1: b"b"}
    assert store(c, "nh:mixed:1", "m") == b"STORED\r\n"
    assert b.holders("nh:mixed:1", among=[0, 1, 2]) == {0: b"m", 1: b"m"}
    assert get_value(c, "nh:mixed:1") is None  # reads go to "third", defined inline
    b.set(2, "nh:mixed:1", "from-p2")
    assert get_value(c, "nh:mixed:1") == b"from-p2"
    assert store(c, "nh:other", "o") == b"STORED\r\n"  # the wildcard names "third"
    assert b.holders("nh:other", among=[0, 1, 2]) == {2: b"o"}


# ---- the shipped replicated example --------------------------------------------------------------


def test_shipped_replicated_example(backends, start_router):
    b = backends
    text = (REPO_ROOT / "configs/examples/replicated.json").read_text()
    # Its pools (main: 4 servers, sessions: 3, feeds: 2) on this module's backends.
    placement = {"main": [0, 1, 2, 3], "sessions": [0, 2, 4], "feeds": [1, 3]}
    subnet = {"main": "1", "sessions": "2", "feeds": "3"}
    for pool, members in placement.items():
        for n, i in enumerate(members, start=1):
            example = f"10.0.{subnet[pool]}.{n}:11211"
            assert example in text, example
            text = text.replace(f'"{example}"', f'"{b.name(i)}"')
    assert "10.0." not in text
    c = start_router(text)

    sessions = placement["sessions"]
    # A write reaches every replica, and the router says so.
    assert store(c, "session:1", "s1") == b"STORED\r\n"
    assert b.holders("session:1", among=sessions) == {i: b"s1" for i in sessions}
    assert sorted(route_of(c, "session:1", "set")) == sorted(b.name(i) for i in sessions)
    assert len(route_of(c, "session:1", "get")) == 3  # LatestRoute's failover order
    assert get_value(c, "session:1") == b"s1"
    # Reads are served by some replica: with a different value on each, the router returns one
    # of them.
    for i in sessions:
        b.set(i, "session:2", f"replica{i}")
    assert get_value(c, "session:2") in {f"replica{i}".encode() for i in sessions}
    assert c.request(b"delete session:1\r\n") == b"DELETED\r\n"
    assert b.holders("session:1", among=sessions) == {}

    feeds = placement["feeds"]
    assert store(c, "feed:1", "f1") == b"STORED\r\n"
    assert b.holders("feed:1", among=feeds) == {i: b"f1" for i in feeds}
    assert sorted(route_of(c, "feed:1", "set")) == sorted(b.name(i) for i in feeds)
    before = {i: b.get_hits(i) for i in feeds}
    c.send(b"get feed:1\r\n" * 200)
    for _ in range(200):
        assert c.read_value_reply() == b"VALUE feed:1 0 2\r\nf1\r\nEND\r\n"
    served = {i: b.get_hits(i) - before[i] for i in feeds}
    assert sum(served.values()) == 200 and all(served.values()), served

    # Every other key is sharded over "main": on exactly the one server the router names.
    for n in range(12):
        key = f"user:{n}"
        assert store(c, key, key) == b"STORED\r\n"
        dests = route_of(c, key, "set")
        assert len(dests) == 1
        index = [i for i in placement["main"] if b.name(i) == dests[0]][0]
        assert b.holders(key) == {index: key.encode()}
