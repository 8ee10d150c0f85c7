"""`lru_crawler metadump|mgdump|tocrawl`: dumps that are streamed (large, read slowly, closed half
way, next to other clients of the same worker), mgdump's format, and tocrawl's limit on a crawl.

Every expectation here was checked against memcached 1.6.18 (MEMFLEETD=/usr/bin/memcached) except
the tests marked memfleet_only (mgdump arrived in memcached 1.6.19; exactly-once listing while the
hash table grows and requests pipelined behind a dump are memfleetd's own). Loops are bounded in
count and time; nothing asserts a timing.
"""

import base64
import signal
import socket
import threading
import time

import pytest

from wire import WireConn


def fill(c, prefix, count, size=10, exptime=0, batch=500):
    value = b"v" * size
    for start in range(0, count, batch):
        c.send(b"".join(b"set %s%d 0 %d %d noreply\r\n%s\r\n" % (prefix, n, exptime, size, value)
                        for n in range(start, min(count, start + batch))))
        assert c.request(b"") == b""  # noreply: nothing before the VERSION sentinel


def small_window_conn(addr, rcvbuf=16384):
    """A WireConn whose receive buffer is small from the start, so that a dump it does not read
    stalls the server quickly. (Shrinking SO_RCVBUF on a connected loopback socket can leave the
    window shut for good, so it is set before connect.)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(30)
    sock.connect(addr)
    w = WireConn.__new__(WireConn)
    w.addr, w.timeout, w.sock, w.buf, w.eof = addr, 30.0, sock, b"", False
    return w


def dump_lines(data, end=b"END\r\n"):
    assert data.endswith(end), data[-200:]
    body = data[:-len(end)]
    assert body == b"" or body.endswith(b"\n")
    return body.split(b"\n")[:-1]


def metadump_keys(data):
    keys = []
    for line in dump_lines(data):
        fields = dict(f.split(b"=", 1) for f in line.split(b" "))
        assert list(fields) == [b"key", b"exp", b"la", b"cas", b"fetch", b"cls", b"size"], line
        keys.append(fields[b"key"])
    return keys


def test_large_metadump_read_slowly_lists_every_key_once(start_server):
    srv = start_server(["-m", "64"])
    n = 40_000
    with WireConn(srv.addr, timeout=60) as c:
        fill(c, b"key:", n)
    with small_window_conn(srv.addr) as d:
        d.send(b"lru_crawler metadump all\r\n")
        data = b""
        deadline = time.time() + 60
        while not data.endswith(b"END\r\n") and time.time() < deadline:
            chunk = d.sock.recv(16384)
            if not chunk:
                break
            data += chunk
            if len(data) < 400_000:
                time.sleep(0.001)  # a slow reader for the first part of the dump
        keys = metadump_keys(data)
        assert len(keys) == n
        assert set(keys) == {b"key%%3A%d" % i for i in range(n)}


def test_metadump_hash_and_classes_list_the_same_keys(start_server):
    srv = start_server([])
    with WireConn(srv.addr, timeout=30) as c:
        fill(c, b"s:", 300, 10)
        fill(c, b"b:", 50, 3000)
        c.send(b"lru_crawler metadump hash\r\n")
        hashed = metadump_keys(c.read_until(b"END\r\n"))
        c.send(b"lru_crawler metadump all\r\n")
        everything = metadump_keys(c.read_until(b"END\r\n"))
        assert sorted(hashed) == sorted(everything) and len(set(hashed)) == 350
        classes = {}
        c.send(b"lru_crawler metadump all\r\n")
        for line in dump_lines(c.read_until(b"END\r\n")):
            fields = dict(f.split(b"=", 1) for f in line.split(b" "))
            classes.setdefault(int(fields[b"cls"]), set()).add(fields[b"key"])
        assert len(classes) == 2
        for cls, keys in classes.items():
            c.send(b"lru_crawler metadump %d\r\n" % cls)
            assert set(metadump_keys(c.read_until(b"END\r\n"))) == keys
        both = b",".join(b"%d" % k for k in classes)
        c.send(b"lru_crawler metadump " + both + b"\r\n")
        assert len(metadump_keys(c.read_until(b"END\r\n"))) == 350


def test_metadump_pipelined_behind_other_requests_is_refused(start_server):
    srv = start_server([])
    with WireConn(srv.addr) as c:
        c.send(b"set a 0 0 1\r\nx\r\nlru_crawler metadump all\r\n")
        assert c.read_line() == b"STORED\r\n"
        assert c.read_line() == b"ERROR cannot pipeline other commands before metadump\r\n"
        assert c.version().startswith(b"VERSION ")


def test_closing_half_way_through_a_dump(start_server):
    srv = start_server(["-m", "64", "-t", "1"])
    with WireConn(srv.addr, timeout=30) as c:
        fill(c, b"key:", 30_000, 20)
    busy = b"BUSY currently processing crawler request\r\n"

    def start_dump():
        # memcached's crawler thread notices a closed client within about a second; until then
        # it answers BUSY.
        deadline = time.time() + 15
        while True:
            d = small_window_conn(srv.addr)
            d.send(b"lru_crawler metadump all\r\n")
            first = d.read_until_match(lambda b: len(b) if len(b) >= 4 else None, "a reply")
            if first != busy[:len(first)] or time.time() > deadline:
                return d, first
            d.close()
            time.sleep(0.1)

    for _ in range(3):
        d, first = start_dump()
        assert first.startswith(b"key=")
        d.close()  # never reads the rest
    with WireConn(srv.addr) as c:
        assert c.request(b"get key:1\r\n").startswith(b"VALUE key:1 0 20\r\n")
    d, first = start_dump()
    assert len(metadump_keys(first + d.read_until(b"END\r\n", timeout=30))) == 30_000
    d.close()


def test_a_stalled_dump_does_not_hold_up_other_clients(start_server):
    # One worker thread: the dumping connection and the other client share it.
    srv = start_server(["-m", "64", "-t", "1"])
    with WireConn(srv.addr, timeout=30) as c:
        fill(c, b"key:", 30_000, 50)
        with small_window_conn(srv.addr) as d:
            d.send(b"lru_crawler metadump all\r\n")
            time.sleep(0.3)  # the dump fills the socket buffers and stalls
            for i in range(20):
                assert c.request(b"get key:%d\r\n" % i).startswith(b"VALUE ")
            assert c.request(b"set other 0 0 1\r\nx\r\n") == b"STORED\r\n"
            # The dump then completes once its client reads.
            data = d.read_until(b"END\r\n", timeout=30)
            assert len(metadump_keys(data)) >= 30_000


def conn_state(addr, sock):
    """`stats conns` state of the server side of `sock`, asked on a new connection; None while
    the server has not taken the connection on yet."""
    port = sock.getsockname()[1]
    with WireConn(addr) as c:
        conns = c.stats(b"conns")
    fds = [k.split(":")[0] for k, v in conns.items()
           if k.endswith(":addr") and v == f"tcp:127.0.0.1:{port}"]
    assert len(fds) <= 1, conns
    return conns[fds[0] + ":state"] if fds else None


def read_dump(d, limit=60.0):
    data = b""
    deadline = time.time() + limit
    while not data.endswith(b"END\r\n") and time.time() < deadline:
        chunk = d.sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_stats_conns_shows_a_running_dump_as_conn_watch(start_server):
    # memcached hands the dumping connection to its crawler thread in state conn_watch, for the
    # whole dump; afterwards the connection takes commands again.
    srv = start_server(["-m", "64"])
    n = 50_000
    with WireConn(srv.addr, timeout=60) as c:
        fill(c, b"key:", n)
    with small_window_conn(srv.addr, rcvbuf=4096) as d:
        d.send(b"lru_crawler metadump all\r\n")
        deadline = time.time() + 10
        state = conn_state(srv.addr, d.sock)
        while state not in ("conn_watch", "conn_nread", "conn_mwrite") and time.time() < deadline:
            time.sleep(0.05)
            state = conn_state(srv.addr, d.sock)
        assert state == "conn_watch"
        assert len(metadump_keys(read_dump(d))) == n
        assert d.request(b"get key:1\r\n").startswith(b"VALUE key:1 ")
        assert conn_state(srv.addr, d.sock) != "conn_watch"


def test_idle_timeout_spares_a_running_dump_and_a_data_block(start_server):
    # memcached's idle_timeout closes only a connection waiting for a command (conn_new_cmd,
    # conn_read): not one whose dump the client reads slowly, nor one half way through a value.
    srv = start_server(["-m", "64", "-o", "idle_timeout=1"])
    n = 50_000
    with WireConn(srv.addr, timeout=60) as c:
        fill(c, b"key:", n)
    with small_window_conn(srv.addr, rcvbuf=4096) as d, WireConn(srv.addr) as mid, \
            WireConn(srv.addr, timeout=15) as idle:
        d.send(b"lru_crawler metadump all\r\n")
        first = d.sock.recv(100)  # the dump has started; the rest waits for us
        assert first.startswith(b"key=")
        mid.send(b"set half 0 0 10\r\n01234")
        assert idle.version().startswith(b"VERSION ")
        # Wait until the idle connection is closed: the timeout has fired at least once since
        # the dump stalled and the value was cut.
        deadline = time.time() + 15
        while time.time() < deadline and not idle.eof:
            idle.drain(quiet=0.5, limit=0.6)
        assert idle.eof, "the idle connection was not closed"
        mid.send(b"56789\r\n")
        assert mid.read_line() == b"STORED\r\n"
        assert len(metadump_keys(first + read_dump(d))) == n


@pytest.mark.parametrize("how", ["SIGUSR1", "shutdown graceful"])
def test_graceful_shutdown_finishes_a_running_dump(start_server, how):
    # memcached's shutdown waits for its crawler thread, which writes the whole dump first; the
    # connection is then closed. memfleetd does the same (within its bound on a graceful stop).
    srv = start_server(["-m", "64", "-A"])
    n = 30_000
    with WireConn(srv.addr, timeout=60) as c:
        fill(c, b"key:", n)
    with small_window_conn(srv.addr, rcvbuf=4096) as d:
        d.send(b"lru_crawler metadump all\r\n")
        first = d.sock.recv(100)
        assert first.startswith(b"key=")
        if how == "SIGUSR1":
            srv.signal(signal.SIGUSR1)
        else:
            with WireConn(srv.addr) as c:
                c.send(b"shutdown graceful\r\n")
                c.expect_closed()
        data = first + read_dump(d)
        assert len(metadump_keys(data)) == n
        d.sock.settimeout(15)
        assert d.sock.recv(100) == b""  # then closed
    assert srv.wait(timeout=15) == 0


@pytest.mark.memfleet_only
def test_requests_pipelined_after_a_dump_run_after_it(start_server):
    # memcached 1.6.18 drops them (the connection is handed to its crawler thread).
    srv = start_server([])
    with WireConn(srv.addr, timeout=30) as c:
        fill(c, b"k:", 5000)
        c.send(b"lru_crawler mgdump all\r\nget k:1\r\nversion\r\n")
        mg = c.read_until(b"EN\r\n")
        assert len(mg.split(b"\r\n")) == 5002
        assert c.read_value_reply() == b"VALUE k:1 0 10\r\nvvvvvvvvvv\r\nEND\r\n"
        assert c.read_line().startswith(b"VERSION ")
        c.send(b"lru_crawler metadump all\r\ndelete k:2\r\nlru_crawler metadump all\r\n")
        assert len(metadump_keys(c.read_until(b"END\r\n"))) == 5000
        assert c.read_line() == b"DELETED\r\n"
        # Like memcached, a dump is refused while earlier replies are still unsent.
        assert c.read_line() == b"ERROR cannot pipeline other commands before metadump\r\n"


@pytest.mark.memfleet_only
def test_metadump_while_the_hash_table_grows_lists_each_old_key_once(start_server):
    # hashpower 12 (4096 buckets) doubles several times while the dump is read slowly.
    srv = start_server(["-m", "256", "-o", "hashpower=12"])
    with WireConn(srv.addr, timeout=60) as c, small_window_conn(srv.addr) as d:
        fill(c, b"old:", 6000)
        d.send(b"lru_crawler metadump all\r\n")
        errors = []

        def grow():
            try:
                fill(c, b"new:", 60_000)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        t = threading.Thread(target=grow)
        t.start()
        data = b""
        deadline = time.time() + 60
        while not data.endswith(b"END\r\n") and time.time() < deadline:
            chunk = d.sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if t.is_alive():
                time.sleep(0.002)
        t.join()
        assert not errors
        keys = metadump_keys(data)
        old = [k for k in keys if k.startswith(b"old%3A")]
        assert len(old) == 6000 and len(set(old)) == 6000
        assert len(set(keys)) == len(keys)
        assert int(c.stats()["hash_power_level"]) > 12


@pytest.mark.memfleet_only
def test_mgdump_lists_live_keys_as_mg_lines(start_server):
    srv = start_server([])
    with WireConn(srv.addr) as c:
        fill(c, b"live:", 100)
        fill(c, b"dead:", 20, exptime=1)
        binkey = b"\x00\x01bin\xff"
        b64 = base64.b64encode(binkey)
        assert c.request(b"ms " + b64 + b" 1 b\r\nx\r\n") == b"HD\r\n"
        time.sleep(2.2)
        c.send(b"lru_crawler mgdump all\r\n")
        data = c.read_until(b"EN\r\n")
        lines = data[:-len(b"EN\r\n")].split(b"\r\n")[:-1]
        assert sorted(lines) == sorted([b"mg live:%d" % i for i in range(100)] +
                                       [b"mg " + b64 + b" b"])
        c.send(b"lru_crawler mgdump hash\r\n")
        assert sorted(c.read_until(b"EN\r\n")[:-4].split(b"\r\n")[:-1]) == sorted(lines)
        # Every listed key can be fetched with the line as it is.
        for line in lines[:5]:
            assert c.request(line + b" v\r\n").startswith(b"VA 1")


@pytest.mark.memfleet_only
def test_mgdump_errors_as_memcached_1_6_19(start_server):
    srv = start_server([])
    with WireConn(srv.addr) as c:
        assert c.request(b"lru_crawler mgdump 100\r\n") == b"BADCLASS invalid class id\r\n"
        assert c.request(b"lru_crawler mgdump x\r\n") == b"BADCLASS invalid class id\r\n"
        assert c.request(b"lru_crawler mgdump\r\n") == b"ERROR\r\n"
        assert c.request(b"lru_crawler mgdump 1 2\r\n") == b"ERROR\r\n"
        c.send(b"version\r\nlru_crawler mgdump all\r\n")
        assert c.read_line().startswith(b"VERSION ")
        assert c.read_line() == b"ERROR cannot pipeline other commands before mgdump\r\n"
        assert c.request(b"lru_crawler disable\r\n") == b"OK\r\n"
        assert c.request(b"lru_crawler mgdump all\r\n") == b"CLIENT_ERROR lru crawler disabled\r\n"
    srv = start_server(["-X"])
    with WireConn(srv.addr) as c:
        assert c.request(b"lru_crawler mgdump all\r\n") == b"ERROR key dump not allowed\r\n"


def wait_for_crawl(c, starts_before, limit=20.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        st = c.stats()
        if int(st["lru_crawler_starts"]) > starts_before and st["lru_crawler_running"] == "0":
            return st
        time.sleep(0.05)
    raise AssertionError("the crawl did not finish")


def crawl(c):
    starts = int(c.stats()["lru_crawler_starts"])
    deadline = time.time() + 10
    while True:
        reply = c.request(b"lru_crawler crawl all\r\n")
        if reply == b"OK\r\n":
            break
        assert reply == b"BUSY currently processing crawler request\r\n"
        assert time.time() < deadline
        time.sleep(0.05)
    return wait_for_crawl(c, starts)


def test_tocrawl_bounds_each_crawl(start_server):
    # No maintainer: only the crawler looks for expired items. memcached counts tocrawl per
    # sub-LRU (HOT, WARM, COLD, TEMP), so one crawl of one class reclaims at most 4 x tocrawl.
    srv = start_server(["-o", "no_lru_maintainer"])
    with WireConn(srv.addr) as c:
        fill(c, b"short:", 200, exptime=1)
        time.sleep(2.2)
        assert c.request(b"lru_crawler tocrawl 10\r\n") == b"OK\r\n"
        assert c.stats(b"settings")["lru_crawler_tocrawl"] == "10"
        st = crawl(c)
        first = int(st["crawler_reclaimed"])
        assert 0 < first <= 40
        assert int(st["curr_items"]) == 200 - first
        items = c.stats(b"items")
        checked = sum(int(v) for k, v in items.items() if k.endswith(":crawler_items_checked"))
        assert first <= checked <= 40
        st = crawl(c)
        second = int(st["crawler_reclaimed"])
        assert first < second <= first + 40
        assert c.request(b"lru_crawler tocrawl 0\r\n") == b"OK\r\n"
        st = crawl(c)
        assert int(st["crawler_reclaimed"]) == 200
        assert int(st["curr_items"]) == 0


@pytest.mark.memfleet_only
def test_tocrawl_counts_items_per_class(start_server):
    srv = start_server(["-o", "no_lru_maintainer,lru_crawler_tocrawl=7"])
    with WireConn(srv.addr) as c:
        fill(c, b"small:", 100, 10, exptime=1)
        fill(c, b"big:", 100, 3000, exptime=1)
        time.sleep(2.2)
        st = crawl(c)
        assert int(st["crawler_reclaimed"]) == 14
        items = c.stats(b"items")
        per_class = [int(v) for k, v in items.items() if k.endswith(":crawler_reclaimed")]
        assert sorted(per_class) == [7, 7]
        assert c.request(b"lru_crawler tocrawl 4294967297\r\n") == b"OK\r\n"  # low 32 bits: 1
        st = crawl(c)
        assert int(st["crawler_reclaimed"]) == 16
