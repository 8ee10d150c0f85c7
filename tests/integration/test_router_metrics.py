"""memfleet-router's Prometheus endpoint (`--metrics-port`): `/metrics` is valid text exposition
(Debian's `promtool check metrics` passes on it; skipped with a reason when promtool is missing),
its counters move as known traffic says they must, and other paths answer 404.

Counters are compared as differences between two scrapes around the traffic, so the requests the
test itself makes to find its keys' servers (admin gets) do not blur them. Where a key goes is
asked of the router (`__memfleet__.route`), never assumed.
"""

from __future__ import annotations

import json
import signal
import time

from exposition import delta, http_get, parse, promtool_check, scrape, value
from router_fixture import fleet_factory  # noqa: F401 (fixture)
from server_process import HOST, free_port
from wire import WireConn, parse_values

WAIT = 15.0


def swap_in(path, text: str) -> None:
    """Replaces the config file atomically (written beside it, renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def route_of(conn: WireConn, key: str, op: str = "get"):
    got = parse_values(conn.request(f"get __memfleet__.route({op},{key})\r\n".encode()))
    value_ = next(iter(got.values()))[1].decode()
    return value_.split("\r\n") if value_ else []


def start(fleet_factory, config: dict, tmp_path, args=()):  # noqa: F811
    """Backends must be in config already; returns (router, metrics port, config path)."""
    path = tmp_path / "router.json"
    path.write_text(json.dumps(config))
    port = free_port()
    router = fleet_factory.router(path, ["--metrics-port", str(port), *args])
    return router, port, path


def two_pools(fleet_factory):  # noqa: F811
    backends = [fleet_factory.backend("memfleetd", name=f"backend{i}") for i in range(3)]
    names = [f"{HOST}:{b.port}" for b in backends]
    config = {"pools": {"A": {"servers": names[:2]}, "B": {"servers": names[2:]}},
              "route": {"type": "PrefixSelectorRoute", "policies": {"b:": "PoolRoute|B"},
                        "wildcard": "PoolRoute|A"}}
    return backends, names, config


def test_promtool_accepts_the_exposition(fleet_factory, tmp_path):  # noqa: F811
    _, _, config = two_pools(fleet_factory)
    router, port, _ = start(fleet_factory, config, tmp_path)
    with WireConn(router.addr) as c:  # some traffic, so that every family has samples
        for i in range(20):
            assert c.request(f"set m{i} 0 0 1\r\nx\r\nget m{i} b:{i}\r\n".encode()) == \
                f"STORED\r\nVALUE m{i} 0 1\r\nx\r\nEND\r\n".encode()
    status, headers, body = http_get(port, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    assert int(headers["content-length"]) == len(body.encode())
    promtool_check(body)
    parse(body)  # every sample line parses, none twice


def test_counters_follow_traffic(fleet_factory, tmp_path):  # noqa: F811
    _, names, config = two_pools(fleet_factory)
    router, port, _ = start(fleet_factory, config, tmp_path)
    keys_a = [f"a:{i}" for i in range(24)]
    keys_b = [f"b:{i}" for i in range(6)]
    missing = [f"a:none{i}" for i in range(10)]
    with WireConn(router.addr) as c:
        dest = {k: route_of(c, k, "set")[0] for k in keys_a + keys_b + missing}
        per_server = {n: sum(1 for k in keys_a + keys_b if dest[k] == n) for n in names}
        assert per_server[names[2]] == len(keys_b)
        assert per_server[names[0]] > 0 and per_server[names[1]] > 0, per_server

        before = scrape(port)
        # 30 sets, 30 gets of those keys, 10 gets of keys nobody set, 5 deletes, 3 misses of
        # delete, 4 incr misses: every one a single-key request.
        for k in keys_a + keys_b:
            assert c.request(f"set {k} 0 0 2\r\nok\r\n".encode()) == b"STORED\r\n"
        for k in keys_a + keys_b:
            assert c.request(f"get {k}\r\n".encode()) == f"VALUE {k} 0 2\r\nok\r\nEND\r\n".encode()
        for k in missing:
            assert c.request(f"get {k}\r\n".encode()) == b"END\r\n"
        for k in keys_a[:5]:
            assert c.request(f"delete {k}\r\n".encode()) == b"DELETED\r\n"
        for k in keys_a[:3]:
            assert c.request(f"delete {k}\r\n".encode()) == b"NOT_FOUND\r\n"
        for k in missing[:4]:
            assert c.request(f"incr {k} 1\r\n".encode()) == b"NOT_FOUND\r\n"
        after = scrape(port)
        s = c.stats()

    assert delta(after, before, "memfleet_router_requests_total", op="set") == 30
    assert delta(after, before, "memfleet_router_requests_total", op="get") == 40
    assert delta(after, before, "memfleet_router_requests_total", op="delete") == 8
    assert delta(after, before, "memfleet_router_requests_total", op="incr") == 4
    assert delta(after, before, "memfleet_router_requests_total", op="add") == 0
    assert delta(after, before, "memfleet_router_results_total", result="stored") == 30
    assert delta(after, before, "memfleet_router_results_total", result="found") == 30
    assert delta(after, before, "memfleet_router_results_total", result="deleted") == 5
    # A get miss, a delete miss and an incr miss are all "notfound".
    assert delta(after, before, "memfleet_router_results_total", result="notfound") == 10 + 3 + 4
    for bad in ("client_error", "remote_error", "timeout", "connect_error", "tko"):
        assert delta(after, before, "memfleet_router_results_total", result=bad) == 0, bad

    # Upstream requests per server: what the router's own placement says.
    sent = {n: 0 for n in names}
    for k in keys_a + keys_b:
        sent[dest[k]] += 2  # its set and its get
    for k in missing + missing[:4] + keys_a[:5] + keys_a[:3]:
        sent[dest[k]] += 1
    pool_of = {names[0]: "A", names[1]: "A", names[2]: "B"}
    for n in names:
        assert delta(after, before, "memfleet_router_upstream_requests_total", server=n,
                     pool=pool_of[n]) == sent[n], n
        assert value(after, "memfleet_router_upstream_up", server=n, pool=pool_of[n]) == 1
        assert value(after, "memfleet_router_upstream_errors_total", server=n,
                     pool=pool_of[n]) == 0
        assert value(after, "memfleet_router_upstream_in_flight", server=n, pool=pool_of[n]) == 0

    # The latency histogram of each pool counts every request sent to its servers.
    hist = "memfleet_router_pool_request_duration_seconds"
    for pool, members in (("A", names[:2]), ("B", names[2:])):
        count = value(after, f"{hist}_count", pool=pool)
        total = sum(value(after, "memfleet_router_upstream_requests_total", server=n, pool=pool)
                    for n in members)
        assert count == total, pool
        assert delta(after, before, f"{hist}_count", pool=pool) == sum(sent[n] for n in members)
        buckets = sorted(((float(dict(l)["le"]), v) for (name, l), v in after.items()
                          if name == f"{hist}_bucket" and dict(l)["pool"] == pool))
        assert buckets[-1] == (float("inf"), count)
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
        assert value(after, f"{hist}_sum", pool=pool) > 0

    # The same numbers as `stats` (memcached's names).
    assert int(s["get_hits"]) >= 30 and int(s["get_misses"]) >= 10
    assert value(after, "memfleet_router_client_connections") >= 1
    assert value(after, "memfleet_router_upstream_servers") == 3
    assert value(after, "memfleet_router_config_reloads_total") == 0


def test_multiget_counts(fleet_factory, tmp_path):  # noqa: F811
    """A multi-get counts once as a request and once per key as a result."""
    _, names, config = two_pools(fleet_factory)
    router, port, _ = start(fleet_factory, config, tmp_path)
    with WireConn(router.addr) as c:
        assert c.request(b"set mg:1 0 0 1\r\nx\r\nset b:mg 0 0 1\r\ny\r\n") == b"STORED\r\n" * 2
        before = scrape(port)
        assert c.request(b"get mg:1 b:mg mg:none\r\n") == \
            b"VALUE mg:1 0 1\r\nx\r\nVALUE b:mg 0 1\r\ny\r\nEND\r\n"
        after = scrape(port)
    assert delta(after, before, "memfleet_router_requests_total", op="get") == 1
    assert delta(after, before, "memfleet_router_results_total", result="found") == 2
    assert delta(after, before, "memfleet_router_results_total", result="notfound") == 1
    upstream = sum(delta(after, before, "memfleet_router_upstream_requests_total", server=n,
                         pool=p) for n, p in zip(names, "AAB"))
    assert upstream == 3  # one per key


def test_reload_metrics(fleet_factory, tmp_path):  # noqa: F811
    backends, names, config = two_pools(fleet_factory)
    router, port, path = start(fleet_factory, config, tmp_path)
    first = scrape(port)
    assert value(first, "memfleet_router_config_reloads_total") == 0
    assert value(first, "memfleet_router_config_last_reload_timestamp_seconds") == 0
    md5s = [dict(l)["md5"] for (n, l) in first if n == "memfleet_router_config_info"]
    assert len(md5s) == 1 and len(md5s[0]) == 32

    router.signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while value(scrape(port), "memfleet_router_config_reloads_total") != 1:
        assert time.monotonic() < deadline, "SIGHUP did not show in config_reloads_total"
        time.sleep(0.05)

    # A new config: server 2 moves from pool B to pool C; B goes away.
    config["pools"] = {"A": {"servers": names[:2]}, "C": {"servers": names[2:]}}
    config["route"]["policies"] = {"b:": "PoolRoute|C"}
    swap_in(path, json.dumps(config))
    deadline = time.monotonic() + WAIT
    while True:
        now = scrape(port)
        if value(now, "memfleet_router_config_reloads_total") == 2:
            break
        assert time.monotonic() < deadline, "the new config did not show in the metrics"
        time.sleep(0.05)
    new_md5 = [dict(l)["md5"] for (n, l) in now if n == "memfleet_router_config_info"]
    assert len(new_md5) == 1 and new_md5 != md5s
    assert value(now, "memfleet_router_config_last_reload_timestamp_seconds") > 0
    assert value(now, "memfleet_router_config_reload_failures_total") == 0
    with WireConn(router.addr) as c:
        assert c.request(b"set b:1 0 0 1\r\nx\r\n") == b"STORED\r\n"
    now = scrape(port)
    # The server is labelled with the pool the running config puts it in.
    assert value(now, "memfleet_router_upstream_requests_total", server=names[2], pool="C") == 1
    assert value(now, "memfleet_router_pool_request_duration_seconds_count", pool="C") == 1

    swap_in(path, "{ not json")
    deadline = time.monotonic() + WAIT
    while value(scrape(port), "memfleet_router_config_reload_failures_total") != 1:
        assert time.monotonic() < deadline, "the refused config did not show in the metrics"
        time.sleep(0.05)
    assert [dict(l)["md5"] for (n, l) in scrape(port)
            if n == "memfleet_router_config_info"] == new_md5


def test_other_paths(fleet_factory, tmp_path):  # noqa: F811
    _, _, config = two_pools(fleet_factory)
    router, port, _ = start(fleet_factory, config, tmp_path)
    for path in ("/", "/metrics", "/metrics?x=1"):
        status, _, body = http_get(port, path)
        assert status == 200 and "memfleet_router_requests_total" in body, path
    for path in ("/other", "/metricsx", "/favicon.ico"):
        status, _, body = http_get(port, path)
        assert status == 404, path
        assert "memfleet_router" not in body
    # The router still serves clients.
    with WireConn(router.addr) as c:
        assert c.request(b"set x 0 0 1\r\nx\r\n") == b"STORED\r\n"
