"""memfleetd's Prometheus endpoint (`-o metrics_port=N`): `/metrics` is valid text exposition
(Debian's `promtool check metrics` passes on it; skipped with a reason when promtool is missing),
uses the Prometheus memcached exporter's names, its counters move as known traffic says they must,
and every value equals what `stats`, `stats slabs` and `stats items` print at the same moment.
Bad option values stop the server at startup with a clear message.

memcached has no such endpoint: every test here is memfleet_only.
"""

from __future__ import annotations

import re
import socket
import subprocess
from typing import Dict

import pytest

from exposition import delta, http_get, parse, promtool_check, scrape, value
from server_process import HOST, free_port, server_binary
from wire import WireConn

pytestmark = pytest.mark.memfleet_only

# `stats` line -> the exporter's metric (github.com/prometheus/memcached_exporter).
GENERAL = {
    "curr_connections": "memcached_current_connections",
    "total_connections": "memcached_connections_total",
    "rejected_connections": "memcached_connections_rejected_total",
    "max_connections": "memcached_max_connections",
    "curr_items": "memcached_current_items",
    "total_items": "memcached_items_total",
    "bytes": "memcached_current_bytes",
    "limit_maxbytes": "memcached_limit_bytes",
    "evictions": "memcached_items_evicted_total",
    "reclaimed": "memcached_items_reclaimed_total",
    "store_too_large": "memcached_item_too_large_total",
    "store_no_memory": "memcached_item_no_memory_total",
    "accepting_conns": "memcached_accepting_connections",
    "listen_disabled_num": "memcached_connections_listener_disabled_total",
    "conn_yields": "memcached_connections_yielded_total",
    "crawler_reclaimed": "memcached_lru_crawler_reclaimed_total",
    "crawler_items_checked": "memcached_lru_crawler_items_checked_total",
    "moves_to_cold": "memcached_lru_crawler_moves_to_cold_total",
    "moves_to_warm": "memcached_lru_crawler_moves_to_warm_total",
    "moves_within_lru": "memcached_lru_crawler_moves_within_lru_total",
    "direct_reclaims": "memcached_direct_reclaims_total",
    "lru_crawler_starts": "memcached_lru_crawler_starts_total",
}
COMMANDS = {  # stat -> (command, status) of memcached_commands_total
    "get_hits": ("get", "hit"), "get_misses": ("get", "miss"),
    "delete_hits": ("delete", "hit"), "delete_misses": ("delete", "miss"),
    "incr_hits": ("incr", "hit"), "incr_misses": ("incr", "miss"),
    "decr_hits": ("decr", "hit"), "decr_misses": ("decr", "miss"),
    "cas_hits": ("cas", "hit"), "cas_misses": ("cas", "miss"), "cas_badval": ("cas", "badval"),
    "touch_hits": ("touch", "hit"), "touch_misses": ("touch", "miss"),
    "cmd_flush": ("flush", "hit"),
}
SLABS = {  # stats slabs N:<field> -> memcached_slab_*{slab="N"}
    "chunk_size": "memcached_slab_chunk_size_bytes",
    "chunks_per_page": "memcached_slab_chunks_per_page",
    "total_pages": "memcached_slab_current_pages",
    "total_chunks": "memcached_slab_current_chunks",
    "used_chunks": "memcached_slab_chunks_used",
    "free_chunks": "memcached_slab_chunks_free",
    "free_chunks_end": "memcached_slab_chunks_free_end",
}
ITEMS = {  # stats items items:N:<field> -> memcached_slab_*{slab="N"}
    "number": "memcached_slab_current_items",
    "number_hot": "memcached_slab_hot_items",
    "number_warm": "memcached_slab_warm_items",
    "number_cold": "memcached_slab_cold_items",
    "age_hot": "memcached_slab_hot_age_seconds",
    "age_warm": "memcached_slab_warm_age_seconds",
    "age": "memcached_slab_items_age_seconds",
    "mem_requested": "memcached_slab_mem_requested_bytes",
    "evicted": "memcached_slab_items_evicted_total",
    "evicted_nonzero": "memcached_slab_items_evicted_nonzero_total",
    "evicted_time": "memcached_slab_items_evicted_time_seconds",
    "outofmemory": "memcached_slab_items_outofmemory_total",
    "tailrepairs": "memcached_slab_items_tailrepairs_total",
    "reclaimed": "memcached_slab_items_reclaimed_total",
    "expired_unfetched": "memcached_slab_items_expired_unfetched_total",
    "evicted_unfetched": "memcached_slab_items_evicted_unfetched_total",
    "crawler_reclaimed": "memcached_slab_items_crawler_reclaimed_total",
    "moves_to_cold": "memcached_slab_items_moves_to_cold",
    "moves_to_warm": "memcached_slab_items_moves_to_warm",
    "moves_within_lru": "memcached_slab_items_moves_within_lru",
}
LRU_HITS = {"hits_to_hot": "hot", "hits_to_warm": "warm", "hits_to_cold": "cold",
            "hits_to_temp": "temporary"}


def start(start_server, *args: str):
    port = free_port()
    srv = start_server(["-o", f"metrics_port={port}", *args])
    return srv, port


def traffic(c: WireConn, n: int) -> None:
    """n sets, n + 1 get hits (with the gets), n get misses, then one of each other command's
    outcomes."""
    for i in range(n):
        assert c.request(f"set t{i} 0 0 3\r\nabc\r\nget t{i} none{i}\r\n".encode()) == \
            f"STORED\r\nVALUE t{i} 0 3\r\nabc\r\nEND\r\n".encode()
    cas = c.request(b"gets t0\r\n").split(b"\r\n")[0].split(b" ")[4]
    assert c.request(b"set n 0 0 1\r\n5\r\nincr n 2\r\ndecr n 1\r\nincr none 1\r\n"
                     b"decr none 1\r\ntouch t1 100\r\ntouch none 100\r\ndelete t2\r\n"
                     b"delete none\r\ncas t0 0 0 1 " + cas + b"\r\nx\r\n"
                     b"cas t0 0 0 1 " + cas + b"\r\ny\r\ncas none 0 0 1 1\r\nz\r\n") == \
        b"STORED\r\n7\r\n6\r\nNOT_FOUND\r\nNOT_FOUND\r\nTOUCHED\r\nNOT_FOUND\r\nDELETED\r\n" \
        b"NOT_FOUND\r\nSTORED\r\nEXISTS\r\nNOT_FOUND\r\n"


def test_promtool_accepts_the_exposition(start_server):
    srv, port = start(start_server)
    with WireConn(srv.addr) as c:  # traffic, so that the slab and item families have samples
        traffic(c, 20)
    status, headers, body = http_get(port, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    assert int(headers["content-length"]) == len(body.encode())
    promtool_check(body)
    samples = parse(body)
    assert value(samples, "memcached_up") == 1
    assert any(name == "memcached_slab_current_items" for name, _ in samples)
    assert any(name == "memcached_slab_chunk_size_bytes" for name, _ in samples)
    # Families are typed by the exporter's conventions: counters end in _total, nothing else.
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, re.M))
    assert types["memcached_commands_total"] == "counter"
    assert types["memcached_current_items"] == "gauge"
    for name, kind in types.items():
        assert (kind == "counter") == name.endswith("_total"), (name, kind)
    assert http_get(port, "/other")[0] == 404


def test_counters_follow_traffic(start_server):
    srv, port = start(start_server)
    n = 25
    with WireConn(srv.addr) as c:
        before = scrape(port)
        traffic(c, n)
        after = scrape(port)

    def moved(name, **labels):
        return delta(after, before, name, **labels)

    cmd = "memcached_commands_total"
    assert moved(cmd, command="get", status="hit") == n + 1  # and the gets
    assert moved(cmd, command="get", status="miss") == n
    assert moved(cmd, command="set", status="hit") == n + 1  # the n sets and "set n"; not cas
    assert moved(cmd, command="cas", status="hit") == 1
    assert moved(cmd, command="cas", status="badval") == 1
    assert moved(cmd, command="cas", status="miss") == 1
    for command in ("incr", "decr", "touch", "delete"):
        assert moved(cmd, command=command, status="miss") == 1, command
        assert moved(cmd, command=command, status="hit") == 1, command
    assert moved("memcached_items_total") == n + 1 + 1  # + "set n" + the cas that stored
    assert value(after, "memcached_current_items") == n  # n + "n" - the deleted t2
    assert moved("memcached_read_bytes_total") > 0
    assert moved("memcached_written_bytes_total") > 0
    lru_hits = sum(int(v) for (name, _), v in after.items()
                   if name == "memcached_slab_lru_hits_total")
    assert lru_hits >= n  # the get hits, by class and segment


def stable(before: Dict[str, str], after: Dict[str, str]) -> Dict[str, str]:
    """The stats that did not change between two reads."""
    return {k: v for k, v in after.items() if before.get(k) == v}


def test_values_equal_stats(start_server):
    srv, port = start(start_server)
    with WireConn(srv.addr) as c:
        traffic(c, 30)
        # A scrape between two reads of each stats reply: every value that did not change between
        # them must be in the scrape as is. (The LRU maintainer and the clock move some values in
        # the background; the stats commands' own bytes move bytes_read and bytes_written.)
        first = [c.stats(), c.stats("slabs"), c.stats("items")]
        samples = scrape(port, convert=str)
        general, slabs, items = (stable(a, b) for a, b in zip(
            first, [c.stats(), c.stats("slabs"), c.stats("items")]))
    for must in ("get_hits", "cmd_set", "curr_items", "total_items", "bytes", "cas_badval"):
        assert must in general, f"{must} moved without traffic"
    assert value(samples, "memcached_version", version=general["version"]) == "1"
    compared = 0
    for stat, metric in GENERAL.items():
        if stat in general:
            assert value(samples, metric) == general[stat], stat
            compared += 1
    assert compared >= 15
    for stat, (command, status) in COMMANDS.items():
        assert value(samples, "memcached_commands_total", command=command,
                     status=status) == general[stat], stat
    cas = sum(int(general[s]) for s in ("cas_hits", "cas_misses", "cas_badval"))
    assert int(value(samples, "memcached_commands_total", command="set", status="hit")) == \
        int(general["cmd_set"]) - cas
    assert value(samples, "memcached_malloced_bytes") == slabs["total_malloced"]
    classes = 0
    for name, v in slabs.items():
        cls, _, field = name.partition(":")
        if field in SLABS:
            assert value(samples, SLABS[field], slab=cls) == v, name
            classes += field == "chunk_size"
        elif field == "get_hits":
            assert value(samples, "memcached_slab_commands_total", slab=cls, command="get",
                         status="hit") == v, name
    assert classes >= 1
    for name, v in items.items():
        _, cls, field = name.split(":")
        if field in ITEMS:
            assert value(samples, ITEMS[field], slab=cls) == v, name
        elif field in LRU_HITS:
            assert value(samples, "memcached_slab_lru_hits_total", slab=cls,
                         lru=LRU_HITS[field]) == v, name
    assert any(name.endswith(":number") for name in items)


def test_bad_option_values_stop_startup(tmp_path):
    binary = str(server_binary())

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary, "-p", str(free_port()), "-l", HOST, *args],
                              capture_output=True, timeout=60, cwd=tmp_path)

    for opt, message in (("metrics_port=0", "metrics_port must be between 1 and 65535"),
                         ("metrics_port=70000", "metrics_port must be between 1 and 65535"),
                         ("metrics_port=x", "could not parse argument to metrics_port"),
                         ("metrics_host=127.0.0.1", "metrics_host needs metrics_port")):
        r = run("-o", opt)
        assert r.returncode == 64, (opt, r)
        assert message in r.stderr.decode(), (opt, r.stderr)
    # A busy port: a clear error at startup, not a server without its endpoint.
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        r = run("-o", f"metrics_port={taken}")
    assert r.returncode != 0
    err = r.stderr.decode()
    assert f"metrics_port {taken}" in err and "in use" in err, err
    # An unknown host, likewise.
    r = run("-o", "metrics_port=1,metrics_host=no-such-host.invalid")
    assert r.returncode != 0 and "metrics_port 1" in r.stderr.decode(), r.stderr


def test_help_lists_the_options():
    out = subprocess.run([str(server_binary()), "-h"], capture_output=True, timeout=60)
    assert out.returncode == 0
    text = out.stdout.decode()
    assert "   - metrics_port:" in text and "   - metrics_host:" in text
