"""`stats` and its sub-commands: memcached's names, and counters counting what memcached counts."""

import re
import time

import pytest

from wire import WireConn, parse_values

MB = 1024 * 1024

GENERAL_STATS = [
    "pid", "uptime", "time", "version", "pointer_size", "rusage_user", "rusage_system",
    "max_connections", "curr_connections", "total_connections", "rejected_connections",
    "connection_structures", "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "get_hits",
    "get_misses", "get_expired", "get_flushed", "delete_misses", "delete_hits", "incr_misses",
    "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits", "cas_badval", "touch_hits",
    "touch_misses", "bytes_read", "bytes_written", "limit_maxbytes", "accepting_conns", "threads",
    "conn_yields", "hash_power_level", "hash_bytes", "hash_is_expanding", "bytes", "curr_items",
    "total_items", "expired_unfetched", "evicted_unfetched", "evictions", "reclaimed",
]

SETTINGS_STATS = [
    "maxbytes", "maxconns", "tcpport", "udpport", "verbosity", "evictions", "growth_factor",
    "chunk_size", "num_threads", "cas_enabled", "item_size_max", "domain_socket",
    "shutdown_command",
]


def test_general_stat_names(start_server):
    srv = start_server()
    with WireConn(srv.addr) as c:
        stats = c.stats()
        missing = [n for n in GENERAL_STATS if n not in stats]
        assert not missing, f"missing stats: {missing}"
        version = c.version()
    assert int(stats["pid"]) == srv.pid
    assert b"VERSION " + stats["version"].encode() + b"\r\n" == version
    assert int(stats["uptime"]) >= 0
    assert abs(int(stats["time"]) - time.time()) < 120  # a wall clock, in seconds
    assert int(stats["pointer_size"]) in (32, 64)
    assert int(stats["limit_maxbytes"]) == 64 * MB
    assert int(stats["threads"]) == 4
    assert int(stats["max_connections"]) == 1024
    assert int(stats["curr_connections"]) >= 1
    assert int(stats["total_connections"]) >= int(stats["curr_connections"])
    assert stats["accepting_conns"] == "1"
    assert int(stats["curr_items"]) == 0 and int(stats["bytes"]) == 0
    assert int(stats["evictions"]) == 0


def test_stats_end_with_end_and_lines_are_well_formed(server):
    with WireConn(server) as c:
        c.send(b"stats\r\n")
        raw = c.read_until(b"END\r\n")
    lines = raw.split(b"\r\n")
    assert lines[-2:] == [b"END", b""]
    for line in lines[:-2]:
        parts = line.split(b" ")
        assert parts[0] == b"STAT" and len(parts) == 3 and parts[1] and parts[2], line


def test_counters(server):
    """Each counter's increment, as memcached 1.6.18 counts it. Noteworthy: cmd_get counts keys,
    gat/gats count as touches (not gets), cmd_set counts cas attempts, and a get of a flushed key
    is a miss and also a get_flushed."""
    with WireConn(server) as c:
        before = c.stats()
        reply = c.request(
            b"set a 0 0 1\r\n1\r\n"
            b"get a b a\r\n"        # 2 hits, 1 miss
            b"gets a\r\n"           # 1 hit
            b"gat 10 a b\r\n"       # 1 touch hit, 1 touch miss
            b"touch a 10\r\ntouch b 1\r\n"
            b"incr a 1\r\nincr b 1\r\ndecr a 1\r\ndecr b 1\r\n"
            b"delete b\r\n"
            b"cas a 0 0 1 1\r\nx\r\ncas b 0 0 1 1\r\nx\r\n"
            b"flush_all\r\nget a\r\n")
        reply = re.sub(rb"(VALUE a 0 1) \d+\r\n", rb"\1 <cas>\r\n", reply)
        assert reply == (b"STORED\r\n" + b"VALUE a 0 1\r\n1\r\n" * 2 + b"END\r\n" +
                         b"VALUE a 0 1 <cas>\r\n1\r\nEND\r\n" +
                         b"VALUE a 0 1\r\n1\r\nEND\r\nTOUCHED\r\nNOT_FOUND\r\n2\r\nNOT_FOUND\r\n"
                         b"1\r\nNOT_FOUND\r\nNOT_FOUND\r\nEXISTS\r\nNOT_FOUND\r\nOK\r\nEND\r\n")
        after = c.stats()
    delta = {k: int(after[k]) - int(before[k]) for k in [
        "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "get_hits", "get_misses", "get_flushed",
        "delete_hits", "delete_misses", "incr_hits", "incr_misses", "decr_hits", "decr_misses",
        "cas_hits", "cas_misses", "cas_badval", "touch_hits", "touch_misses", "total_items"]}
    assert delta == {
        "cmd_get": 5, "cmd_set": 3, "cmd_flush": 1, "cmd_touch": 4, "get_hits": 3,
        "get_misses": 2, "get_flushed": 1, "delete_hits": 0, "delete_misses": 1, "incr_hits": 1,
        "incr_misses": 1, "decr_hits": 1, "decr_misses": 1, "cas_hits": 0, "cas_misses": 1,
        "cas_badval": 1, "touch_hits": 2, "touch_misses": 2, "total_items": 1}
    assert int(after["curr_items"]) == 0


def test_items_and_bytes(server):
    with WireConn(server) as c:
        c.request(b"set a 0 0 10\r\n0123456789\r\nset b 0 0 3\r\nabc\r\n")
        stats = c.stats()
        assert int(stats["curr_items"]) == 2 and int(stats["total_items"]) == 2
        assert int(stats["bytes"]) > 13  # value bytes plus per-item overhead
        hit = c.request(b"delete a\r\n")
        assert hit == b"DELETED\r\n"
        stats2 = c.stats()
        assert int(stats2["curr_items"]) == 1 and int(stats2["bytes"]) < int(stats["bytes"])
        assert int(stats2["delete_hits"]) == 1


def test_bytes_read_and_written(server):
    with WireConn(server) as c:
        before = c.stats()
        c.request(b"set x 0 0 1000\r\n" + b"x" * 1000 + b"\r\nget x\r\n")
        after = c.stats()
    assert int(after["bytes_read"]) - int(before["bytes_read"]) >= 1000
    assert int(after["bytes_written"]) - int(before["bytes_written"]) >= 1000


def test_stats_settings(start_server):
    srv = start_server(["-m", "8", "-t", "2", "-c", "100", "-I", "2m", "-f", "1.5", "-n", "64"])
    with WireConn(srv.addr) as c:
        s = c.stats("settings")
        missing = [n for n in SETTINGS_STATS if n not in s]
        assert not missing, f"missing settings: {missing}"
        assert int(s["maxbytes"]) == 8 * MB
        assert int(s["maxconns"]) == 100
        assert int(s["tcpport"]) == srv.port
        assert int(s["udpport"]) == 0
        assert int(s["num_threads"]) == 2
        assert int(s["item_size_max"]) == 2 * MB
        assert s["growth_factor"] == "1.50"
        assert int(s["chunk_size"]) == 64
        assert s["evictions"] == "on"
        assert s["cas_enabled"] == "yes"
        assert s["shutdown_command"] == "no"
        assert s["domain_socket"] == "NULL"
        assert int(s["verbosity"]) == 0
        stats = c.stats()
        assert int(stats["limit_maxbytes"]) == 8 * MB
        assert int(stats["threads"]) == 2
        assert int(stats["max_connections"]) == 100


def test_stats_settings_flags(start_server):
    srv = start_server(["-M", "-C", "-A", "-vv"])
    with WireConn(srv.addr) as c:
        s = c.stats("settings")
        assert s["evictions"] == "off"
        assert s["cas_enabled"] == "no"
        assert s["shutdown_command"] == "yes"
        assert int(s["verbosity"]) == 2
        # -C: gets reports a unique of 0 and cas cannot succeed.
        assert c.request(b"set a 0 0 1\r\n1\r\ngets a\r\ncas a 0 0 1 0\r\n2\r\n") == \
            b"STORED\r\nVALUE a 0 1 0\r\n1\r\nEND\r\nEXISTS\r\n"


def test_stats_items_and_slabs(server):
    with WireConn(server) as c:
        assert c.stats("items") == {}
        c.request(b"set small 0 0 10\r\n0123456789\r\nset large 0 0 5000\r\n" + b"L" * 5000 +
                  b"\r\n")
        items = c.stats("items")
        numbers = {k: int(v) for k, v in items.items()
                   if k.startswith("items:") and k.endswith(":number")}
        assert sum(numbers.values()) == 2 and len(numbers) == 2, items
        slabs = c.stats("slabs")
        assert int(slabs["active_slabs"]) == 2
        assert int(slabs["total_malloced"]) > 0
        for cls in (k.split(":")[1] for k in numbers):
            assert int(slabs[f"{cls}:chunk_size"]) > 0
            assert int(slabs[f"{cls}:used_chunks"]) == 1


def test_evictions(start_server):
    srv = start_server(["-m", "8"])
    value = b"e" * 1000
    with WireConn(srv.addr, timeout=60) as c:
        for batch in range(24):  # 24 MB into an 8 MB cache
            c.send(b"".join(b"set key:%d 0 0 1000 noreply\r\n%s\r\n" % (batch * 1000 + i, value)
                            for i in range(1000)))
        assert c.request(b"") == b""
        stats = c.stats()
        assert int(stats["evictions"]) > 0
        # Every store linked an item, except one the cache refused with "SERVER_ERROR out of
        # memory" (hidden by noreply): memcached refuses a store when every item its tail search
        # looks at is busy, and so may memfleetd while the page mover works on that class's tail.
        refused = c.refused_stores()
        assert int(stats["total_items"]) + refused == 24000, (stats, refused)
        assert refused < 100
        assert 0 < int(stats["curr_items"]) < 24000
        assert int(stats["bytes"]) <= 8 * MB
        values = parse_values(c.request(b"get key:0 key:23999\r\n"))
        assert list(values) == [b"key:23999"]  # the oldest is gone, the newest is there


def test_no_evictions_with_M(start_server):
    srv = start_server(["-M", "-m", "8"])
    value = b"m" * 1000
    with WireConn(srv.addr, timeout=60) as c:
        replies = b""
        for batch in range(16):
            replies += c.request_pipelined(b"".join(
                b"set key:%d 0 0 1000\r\n%s\r\n" % (batch * 1000 + i, value) for i in range(1000)))
        lines = replies.split(b"\r\n")[:-1]
        assert len(lines) == 16000
        assert set(lines) == {b"STORED", b"SERVER_ERROR out of memory storing object"}
        stats = c.stats()
        assert int(stats["evictions"]) == 0
        assert int(stats["curr_items"]) == lines.count(b"STORED")
        # The first items are still there.
        assert parse_values(c.request(b"get key:0\r\n"))[b"key:0"] == (0, value)
        # Deleting makes room again.
        c.request(b"".join(b"delete key:%d noreply\r\n" % i for i in range(2000)))
        assert c.request(b"set again 0 0 1000\r\n%s\r\n" % value) == b"STORED\r\n"


@pytest.mark.parametrize("sub", [b"detail on", b"detail off", b"detail dump"])
def test_stats_detail(server, sub):
    with WireConn(server) as c:
        c.send(b"stats " + sub + b"\r\n")
        line = c.read_line()
        assert line in (b"OK\r\n", b"END\r\n") or line.startswith(b"PREFIX ")


def test_stats_settings_show_run_time_changes(start_server):
    # memcached's `slabs automove` and `lru tune|mode|temp_ttl` change the settings themselves,
    # so `stats settings` shows the current values, not the start-up ones.
    srv = start_server([])
    with WireConn(srv.addr) as c:
        s = c.stats("settings")
        assert (s["slab_automove"], s["slab_automove_ratio"]) == ("1", "0.80")
        assert (s["hot_lru_pct"], s["warm_lru_pct"]) == ("20", "40")
        assert (s["hot_max_factor"], s["warm_max_factor"]) == ("0.20", "2.00")
        assert (s["lru_segmented"], s["temp_lru"], s["temporary_ttl"]) == ("yes", "no", "61")
        for cmd in (b"slabs automove 2", b"slabs automove ratio 0.5", b"lru tune 10 30 0.1 1.5",
                    b"lru mode flat", b"lru temp_ttl 30"):
            assert c.request(cmd + b"\r\n") == b"OK\r\n", cmd
        s = c.stats("settings")
        assert (s["slab_automove"], s["slab_automove_ratio"]) == ("2", "0.50")
        assert (s["hot_lru_pct"], s["warm_lru_pct"]) == ("10", "30")
        assert (s["hot_max_factor"], s["warm_max_factor"]) == ("0.10", "1.50")
        assert (s["lru_segmented"], s["temp_lru"], s["temporary_ttl"]) == ("no", "yes", "30")
        # A negative temp_ttl turns the TEMP LRU off and keeps the last ttl.
        for cmd in (b"slabs automove 0", b"lru mode segmented", b"lru temp_ttl -1"):
            assert c.request(cmd + b"\r\n") == b"OK\r\n", cmd
        s = c.stats("settings")
        assert s["slab_automove"] == "0"
        assert (s["lru_segmented"], s["temp_lru"], s["temporary_ttl"]) == ("yes", "no", "30")
