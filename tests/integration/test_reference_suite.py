"""Behaviours memcached 1.6.18's own test suite (its t/*.t, run by `make compat`) checks, each
pinned here cheaply: stats cachedump, the stat names `stats` lists, idle_kicks, maxbytes after
cache_memlimit, the lookup lines and skipped= lines of `watch`, the close reason of a web request,
the crawler's state in `stats`, reclaims without the segmented LRU, slab_chunk_max=512, and
memfleetd's `-o slab_classes=memcached`.

Every expectation was checked against memcached 1.6.18 (MEMFLEETD=/usr/bin/memcached); waits are
bounded and nothing asserts a timing.
"""

import re
import socket
import time

import pytest

from wire import WireConn


def class_of(c, store: bytes) -> int:
    """Runs `store` (one storage command) and returns the slab class whose item count grew."""
    def counts():
        return {int(m.group(1)): int(v) for k, v in c.stats("items").items()
                if (m := re.fullmatch(r"items:(\d+):number", k))}
    before = counts()
    assert c.request(store) == b"STORED\r\n"
    after = counts()
    grown = [cls for cls, n in after.items() if before.get(cls, 0) != n]
    assert len(grown) == 1, (before, after)
    return grown[0]


def wait_for(pred, limit=15.0, step=0.1):  # bounded polling, never a timing assertion
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


# --- stats --------------------------------------------------------------------------------------

def test_stats_cachedump_lists_the_cold_items_of_a_class(start_server):
    # Without the maintainer every item is queued in COLD, which is what cachedump lists.
    srv = start_server(["-o", "no_lru_maintainer"])
    with WireConn(srv.addr) as c:
        cls = class_of(c, b"set foo 0 0 6\r\nfooval\r\n")
        assert c.request(b"set bar 0 0 3\r\nabc\r\n") == b"STORED\r\n"
        assert c.request(b"set exp 0 3600 2\r\nxy\r\n") == b"STORED\r\n"
        now = int(c.stats()["time"])
        dump = c.request(b"stats cachedump %d 0\r\n" % cls)
        lines = dump.split(b"\r\n")
        assert lines[-2:] == [b"END", b""], dump
        # Most recently stored first.
        assert lines[0].startswith(b"ITEM exp [2 b; "), dump
        expires = int(re.match(rb"ITEM exp \[2 b; (\d+) s\]", lines[0]).group(1))
        assert now + 3590 <= expires <= now + 3610, (now, dump)
        assert lines[1:3] == [b"ITEM bar [3 b; 0 s]", b"ITEM foo [6 b; 0 s]"], dump
        # The limit; two spaces between tokens are one separator.
        assert c.request(b"stats  cachedump %d 1\r\n" % cls).startswith(b"ITEM exp ")
        assert c.request(b"stats cachedump %d 1\r\n" % cls).count(b"ITEM ") == 1
        # A class without items lists nothing.
        assert c.request(b"stats cachedump 2 5\r\n" if cls != 2 else
                         b"stats cachedump 3 5\r\n") == b"END\r\n"


def test_stats_cachedump_errors(start_server):
    with WireConn(start_server().addr) as c:
        assert c.request(b"stats cachedump\r\n") == b"CLIENT_ERROR bad command line\r\n"
        assert c.request(b"stats cachedump 1\r\n") == b"CLIENT_ERROR bad command line\r\n"
        assert c.request(b"stats cachedump x 1\r\n") == \
            b"CLIENT_ERROR bad command line format\r\n"
        assert c.request(b"stats cachedump 1 -1\r\n") == \
            b"CLIENT_ERROR bad command line format\r\n"
        assert c.request(b"stats cachedump 1000 1\r\n") == b"CLIENT_ERROR Illegal slab id\r\n"
    with WireConn(start_server(["-X"]).addr) as c:
        assert c.request(b"stats cachedump 1 1\r\n") == \
            b"CLIENT_ERROR stats cachedump not allowed\r\n"


def test_stats_lists_memcacheds_names(start_server):
    # memcached's stats.t counts the names of `stats`; these are the ones memfleetd lacked.
    with WireConn(start_server().addr) as c:
        names = c.stats()
    for name in ("response_obj_oom", "response_obj_count", "response_obj_bytes",
                 "read_buf_count", "read_buf_bytes", "read_buf_bytes_free", "read_buf_oom",
                 "reserved_fds"):
        assert name in names, name
    assert "idle_kicks" not in names  # only with -o idle_timeout


def test_idle_kicks_counts_connections_closed_for_idleness(start_server):
    srv = start_server(["-o", "idle_timeout=1"])
    with WireConn(srv.addr) as c:
        assert c.stats()["idle_kicks"] == "0"
    with WireConn(srv.addr, timeout=15) as idle:
        idle.expect_closed(timeout=15)
    with WireConn(srv.addr) as c:  # a fresh connection: it asks before it can idle out
        assert int(c.stats()["idle_kicks"]) >= 1


def test_stats_settings_maxbytes_follows_cache_memlimit(start_server):
    with WireConn(start_server(["-m", "8"]).addr) as c:
        assert c.stats("settings")["maxbytes"] == str(8 << 20)
        assert c.request(b"cache_memlimit 16\r\n") == b"OK\r\n"
        assert c.stats("settings")["maxbytes"] == str(16 << 20)
        assert c.stats()["limit_maxbytes"] == str(16 << 20)


# --- watch --------------------------------------------------------------------------------------

def start_watcher(addr, what: bytes) -> WireConn:
    w = WireConn(addr)
    w.send(b"watch " + what + b"\r\n")
    assert w.read_line() == b"OK\r\n"
    return w


def watch_lines(w, count: int) -> list:
    data = w.read_until_match(lambda b: len(b) if b.count(b"\n") >= count else None,
                              f"{count} watch lines")
    return data.split(b"\n")[:count]


def test_lookups_before_stores_deletes_and_deltas_log_item_get_lines(start_server):
    srv = start_server()
    with WireConn(srv.addr) as c, start_watcher(srv.addr, b"fetchers mutations") as w:
        c.send(b"set k 0 0 1 noreply\r\n5\r\n")
        got = watch_lines(w, 2)
        assert re.search(rb" type=item_get key=k status=not_found clsid=0 cfd=\d+ size=0$",
                         got[0]), got
        assert b" type=item_store key=k status=stored cmd=set " in got[1], got
        assert c.request(b"incr k 1\r\n") == b"6\r\n"
        got = watch_lines(w, 1)
        assert re.search(rb" type=item_get key=k status=found clsid=\d+ cfd=\d+ size=1$",
                         got[0]), got
        assert c.request(b"touch k 100\r\n") == b"TOUCHED\r\n"
        assert b" type=item_get key=k status=found " in watch_lines(w, 1)[0]
        assert c.request(b"delete k\r\n") == b"DELETED\r\n"
        assert b" type=item_get key=k status=found " in watch_lines(w, 1)[0]
        assert c.request(b"delete k\r\n") == b"NOT_FOUND\r\n"
        assert b" type=item_get key=k status=not_found " in watch_lines(w, 1)[0]


def test_a_web_request_closes_with_reason_error(start_server):
    srv = start_server()
    with start_watcher(srv.addr, b"connevents") as w:
        with WireConn(srv.addr) as c:
            c.send(b"GET / HTTP/1.1\r\n")
            assert c.expect_closed() == b""
        got = watch_lines(w, 2)
        assert b" type=conn_new " in got[0], got
        assert re.search(rb" type=conn_close .* reason=error cfd=\d+$", got[1]), got


def test_a_watcher_that_lost_lines_is_told_how_many(start_server):
    srv = start_server(["-o", "watcher_logbuf_size=8"])
    w = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    w.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    w.settimeout(10)
    w.connect(srv.addr)
    try:
        w.sendall(b"watch fetchers\r\n")
        head = b""
        while not head.endswith(b"OK\r\n"):
            head += w.recv(1)
        # The watcher reads nothing while thousands of lines are logged: some must be lost.
        key = b"x" * 200
        with WireConn(srv.addr) as c:
            for batch in range(40):
                c.request(b"".join(b"get %s%d\r\n" % (key, batch * 500 + i) for i in range(500)))
            # Reading frees room; the next line that fits is preceded by skipped=<n>.
            seen, deadline = b"", time.monotonic() + 20
            while time.monotonic() < deadline:
                c.request(b"get after\r\n")
                try:
                    seen += w.recv(65536)
                except socket.timeout:
                    continue
                if re.search(rb"\nskipped=\d+\n[^\n]*type=item_get[^\n]*\n", seen):
                    break
            assert re.search(rb"\nskipped=\d+\n[^\n]*type=item_get[^\n]*\n", seen), seen[-400:]
    finally:
        w.close()


# --- LRU and crawler ----------------------------------------------------------------------------

def test_crawler_enabled_at_run_time_shows_and_reclaims(start_server):
    srv = start_server(["-o", "no_lru_crawler,no_lru_maintainer"])
    with WireConn(srv.addr) as c:
        assert "lru_crawler_running" not in c.stats()
        for i in range(10):
            assert c.request(b"set s%d 0 1 2\r\nok\r\n" % i) == b"STORED\r\n"
            assert c.request(b"set i%d 0 0 2\r\nok\r\n" % i) == b"STORED\r\n"
        time.sleep(2.5)  # the short-lived items expire
        assert c.request(b"lru_crawler enable\r\n") == b"OK\r\n"
        assert "lru_crawler_running" in c.stats()
        assert c.request(b"lru_crawler crawl all\r\n") == b"OK\r\n"
        # Polled as memcached's lru-crawler.t does: done once lru_crawler_running is 0.
        assert wait_for(lambda: c.stats()["lru_crawler_running"] == "0")
        assert c.stats()["crawler_reclaimed"] == "10"
        assert c.stats()["curr_items"] == "10"


def test_without_the_segmented_lru_a_store_reclaims_a_flushed_item(start_server):
    with WireConn(start_server(["-o", "no_modern"]).addr) as c:
        assert c.request(b"set key 0 0 1\r\n1\r\n") == b"STORED\r\n"
        assert c.stats()["reclaimed"] == "0"
        time.sleep(2)  # flush_all takes what was stored at least a second ago
        assert c.request(b"flush_all\r\n") == b"OK\r\n"
        assert c.request(b"set key 0 0 1\r\n1\r\n") == b"STORED\r\n"
        assert c.stats()["reclaimed"] == "1"


# --- slab classes -------------------------------------------------------------------------------

def test_slab_chunk_max_512_is_accepted_and_chunks_values(start_server):
    with WireConn(start_server(["-o", "slab_chunk_max=512"]).addr) as c:
        assert c.stats("settings")["slab_chunk_max"] == "512"
        value = bytes(range(256)) * 20
        assert c.request(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value)) == b"STORED\r\n"
        assert c.request(b"get big\r\n") == b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value),
                                                                                  value)


@pytest.mark.memfleet_only
def test_slab_classes_memcached_gives_memcacheds_class_ids(start_server):
    with WireConn(start_server(["-o", "slab_classes=memcached"]).addr) as c:
        assert class_of(c, b"set big 0 0 66560\r\n" + b"B" * 66560 + b"\r\n") == 31
        assert class_of(c, b"set mid 0 0 20000\r\n" + b"y" * 20000 + b"\r\n") == 25
        assert class_of(c, b"set small 0 0 2\r\nok\r\n") == 1
        slabs = c.stats("slabs")
        assert slabs["1:chunk_size"] == "96" and slabs["31:chunk_size"] == "82792"
    with WireConn(start_server(["-o", "slab_classes=memcached,slab_chunk_max=4096"]).addr) as c:
        assert class_of(c, b"set big 0 0 11000\r\n" + b"C" * 11000 + b"\r\n") == 17
