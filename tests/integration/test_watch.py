"""`watch`: real slab classes on fetch/store lines, connevents, and a watcher that stops executing
commands.

Every expectation here was checked against memcached 1.6.18 (MEMFLEETD=/usr/bin/memcached). Waits
are bounded; nothing asserts a timing.
"""

import re
import socket
import struct
import time

import pytest

from wire import WireConn


def read_lines_until(w, pred, limit=10.0):
    buf = b""
    deadline = time.time() + limit
    w.sock.settimeout(0.2)
    while time.time() < deadline and not pred(buf):
        try:
            chunk = w.sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
    return buf


def class_holding(c, key_count_before):
    """The slab class whose item count differs from `key_count_before` (class -> number)."""
    now = item_counts(c)
    changed = [cls for cls, n in now.items() if key_count_before.get(cls, 0) != n]
    assert len(changed) == 1, (key_count_before, now)
    return changed[0]


def item_counts(c):
    counts = {}
    for k, v in c.stats(b"items").items():
        m = re.fullmatch(r"items:(\d+):number", k)
        if m:
            counts[int(m.group(1))] = int(v)
    return counts


def start_watcher(srv, what):
    w = WireConn(srv.addr)
    w.send(b"watch " + what + b"\r\n")
    assert w.read_line() == b"OK\r\n"
    return w


def test_fetch_and_store_lines_carry_the_slab_class(start_server):
    # Explicit -f/-n: memfleetd computes memcached's classes.
    srv = start_server(["-f", "1.25", "-n", "48"])
    with WireConn(srv.addr) as c:
        w = start_watcher(srv, b"fetchers mutations")
        try:
            before = item_counts(c)
            assert c.request(b"set small 0 0 1\r\nx\r\n") == b"STORED\r\n"
            small = class_holding(c, before)
            before = item_counts(c)
            assert c.request(b"set big 0 0 3000\r\n" + b"y" * 3000 + b"\r\n") == b"STORED\r\n"
            big = class_holding(c, before)
            assert small != big
            c.request(b"get small big nope\r\n")
            got = read_lines_until(w, lambda b: b"key=nope status=not_found" in b)
            assert b"type=item_store key=small status=stored cmd=set ttl=0 clsid=%d " % small in got
            assert b"type=item_store key=big status=stored cmd=set ttl=0 clsid=%d " % big in got
            assert b"type=item_get key=small status=found clsid=%d " % small in got
            assert b"type=item_get key=big status=found clsid=%d cfd=" % big in got
            assert re.search(rb"type=item_get key=nope status=not_found clsid=0 cfd=\d+ size=0\n",
                             got)
        finally:
            w.close()


def test_connevents_logs_open_and_close(start_server):
    srv = start_server([])
    w = start_watcher(srv, b"connevents")
    try:
        c = WireConn(srv.addr)
        port = c.sock.getsockname()[1]
        c.version()
        c.close()
        q = WireConn(srv.addr)
        qport = q.sock.getsockname()[1]
        q.send(b"quit\r\n")
        q.expect_closed()
        q.close()
        # c and q may be served by different workers: c's close (noticed when its EOF is read)
        # can be logged after q's quit, so wait for both.
        ends = [b"rport=%d transport=tcp reason=normal cfd=" % p for p in (port, qport)]
        got = read_lines_until(w, lambda b: all(e in b for e in ends))
        lines = got.decode().split("\n")
        assert lines[-1] == ""
        conn = [ln for ln in lines if f"rport={port} " in ln]
        assert len(conn) == 2, got
        assert re.fullmatch(rf"ts=\d+\.\d+ gid=\d+ type=conn_new rip=127\.0\.0\.1 rport={port} "
                            r"transport=tcp cfd=\d+", conn[0]), conn
        assert re.fullmatch(rf"ts=\d+\.\d+ gid=\d+ type=conn_close rip=127\.0\.0\.1 rport={port} "
                            r"transport=tcp reason=normal cfd=\d+", conn[1]), conn
        assert any(f"type=conn_new rip=127.0.0.1 rport={qport} " in ln for ln in lines)
        # connevents alone logs no fetches or stores.
        assert "type=item_" not in got.decode()
    finally:
        w.close()


def test_watcher_no_longer_executes_commands(start_server):
    srv = start_server([])
    with WireConn(srv.addr) as c, WireConn(srv.addr) as w:
        # Commands pipelined behind `watch`, and sent later, are not executed.
        w.send(b"watch fetchers\r\nset a 0 0 1\r\n1\r\nversion\r\n")
        assert w.read_line() == b"OK\r\n"
        w.send(b"set b 0 0 1\r\n2\r\nget a\r\nversion\r\n")
        # The watcher still gets its log lines (this get also shows a/b were never stored).
        c.request(b"get zz\r\n")
        got = read_lines_until(w, lambda b: b"key=zz status=not_found" in b)
        assert b"key=zz status=not_found" in got
        assert c.request(b"get a b\r\n") == b"END\r\n"
        got += read_lines_until(w, lambda b: b"key=b status=not_found" in b)
        assert b"key=a status=not_found" in got and b"key=b status=not_found" in got
        assert b"VERSION" not in got and b"STORED" not in got and b"END" not in got
        for line in got.split(b"\n")[:-1]:
            assert line.startswith(b"ts=") and b" type=item_get " in line, got


@pytest.mark.memfleet_only
def test_watch_deletions_logs_delete_and_md(start_server):
    # `deletions` came after 1.6.18 (which answers ERROR); the line is newer memcached's:
    # "type=deleted key=<key> cmd=delete|md clsid=<class> size=<value bytes>".
    srv = start_server([])
    with WireConn(srv.addr) as c:
        w = start_watcher(srv, b"deletions")
        try:
            before = item_counts(c)
            assert c.request(b"set vfoo 0 0 4\r\nvbar\r\n") == b"STORED\r\n"
            cls = class_holding(c, before)
            assert c.request(b"delete vfoo\r\n") == b"DELETED\r\n"
            assert c.request(b"delete vfoo\r\n") == b"NOT_FOUND\r\n"  # no line for a miss
            assert c.request(b"set m/x 0 0 5\r\nhello\r\n") == b"STORED\r\n"
            assert c.request(b"md m/x\r\n") == b"HD\r\n"
            assert c.request(b"get other\r\n") == b"END\r\n"  # fetches are not watched
            got = read_lines_until(w, lambda b: b"cmd=md" in b)
            lines = got.split(b"\n")[:-1]
            assert len(lines) == 2, got
            assert re.fullmatch(rb"ts=\d+\.\d+ gid=\d+ type=deleted key=vfoo cmd=delete "
                                rb"clsid=%d size=4" % cls, lines[0]), got
            assert re.fullmatch(rb"ts=\d+\.\d+ gid=\d+ type=deleted key=m%2Fx cmd=md "
                                rb"clsid=\d+ size=5", lines[1]), got
        finally:
            w.close()


def test_watch_rejects_unknown_log_types(start_server):
    srv = start_server([])
    with WireConn(srv.addr) as c:
        assert c.request(b"watch everything\r\n") == b"ERROR\r\n"
        assert c.request(b"watch fetchers nonsense\r\n") == b"ERROR\r\n"
        assert c.version().startswith(b"VERSION ")


def binary_store(opcode, key, value, exptime=0, cas=0):
    """A binary-protocol set (0x01) / add (0x02) / replace (0x03) request."""
    extras = struct.pack(">II", 0, exptime)
    body = len(extras) + len(key) + len(value)
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, body, 0,
                       cas) + extras + key + value


def test_meta_and_binary_stores_are_logged_as_mutations(start_server):
    srv = start_server([])
    w = start_watcher(srv, b"mutations")
    try:
        with WireConn(srv.addr) as c:
            assert c.request(b"ms mkey 3 T60\r\nabc\r\n") == b"HD\r\n"
            assert c.request(b"ms mkey 1 MA\r\nd\r\n") == b"HD\r\n"
            assert c.request(b"ms nokey 1 MR\r\nd\r\n") == b"NS\r\n"
            assert c.request(b"ms mkey 1 ME\r\nd\r\n") == b"NS\r\n"
            assert c.request(b"append mkey 0 0 1\r\ne\r\n") == b"STORED\r\n"
        with socket.create_connection(srv.addr, timeout=10) as b:
            b.sendall(binary_store(0x01, b"bkey", b"hello") + binary_store(0x02, b"bkey", b"x"))
            got = b""
            while len(got) < 48:  # two 24-byte response headers (the add's carries a body)
                chunk = b.recv(4096)
                assert chunk
                got += chunk
            assert got[6:8] == b"\x00\x00" and got[24 + 6:24 + 8] == b"\x00\x02"
        end = b"key=bkey status=not_stored cmd=add"
        lines = read_lines_until(w, lambda b: end in b).decode().split("\n")
        store = [ln.split(" ", 2)[2] for ln in lines if "type=item_store" in ln]
        want = [
            r"type=item_store key=mkey status=stored cmd=set ttl=(59|60) clsid=\d+ cfd=\d+ size=3",
            # an append logs the joined item, with the old item's ttl
            r"type=item_store key=mkey status=stored cmd=append ttl=(59|60) clsid=\d+ cfd=\d+ "
            r"size=4",
            r"type=item_store key=nokey status=not_stored cmd=replace ttl=0 clsid=\d+ cfd=\d+ "
            r"size=1",
            r"type=item_store key=mkey status=not_stored cmd=add ttl=0 clsid=\d+ cfd=\d+ size=1",
            r"type=item_store key=mkey status=stored cmd=append ttl=(59|60) clsid=\d+ cfd=\d+ "
            r"size=5",
            r"type=item_store key=bkey status=stored cmd=set ttl=0 clsid=\d+ cfd=\d+ size=5",
            r"type=item_store key=bkey status=not_stored cmd=add ttl=0 clsid=\d+ cfd=\d+ size=1",
        ]
        assert len(store) == len(want), lines
        # One connection's lines keep their order; two connections' may interleave (memcached
        # gathers each worker thread's log buffer separately).
        meta = [ln for ln in store if "key=bkey" not in ln]
        binary = [ln for ln in store if "key=bkey" in ln]
        for line, pattern in zip(meta + binary, want):
            assert re.fullmatch(pattern, line), (line, pattern)
    finally:
        w.close()


def test_ma_that_creates_its_item_logs_an_add(start_server):
    # memcached stores the item an `ma` with N creates as an `add` and logs it before applying
    # N's TTL (so ttl=0 even with N100); incr/decr of an existing item, and a miss, log nothing.
    srv = start_server([])
    w = start_watcher(srv, b"mutations")
    try:
        with WireConn(srv.addr) as c:
            assert c.request(b"ma cnt N0 J7\r\n") == b"HD\r\n"
            assert c.request(b"ma cnt2 N100 J7 v\r\n") == b"VA 1\r\n7\r\n"
            assert c.request(b"ma cnt\r\n") == b"HD\r\n"
            assert c.request(b"ma cnt MD D3\r\n") == b"HD\r\n"
            assert c.request(b"ma nope\r\n") == b"NF\r\n"
            assert c.request(b"ma quiet N0 q\r\n") == b"HD\r\n"
            assert c.request(b"incr cnt 1\r\n") == b"6\r\n"
            assert c.request(b"mg cnt2 t v\r\n") == b"VA 1 t100\r\n7\r\n"
            assert c.request(b"set last 0 0 1\r\nx\r\n") == b"STORED\r\n"
        got = read_lines_until(w, lambda b: b"key=last " in b)
        lines = [ln.split(b" ", 2)[2] for ln in got.split(b"\n")[:-1]]
        want = [
            rb"type=item_store key=cnt status=stored cmd=add ttl=0 clsid=\d+ cfd=\d+ size=1",
            rb"type=item_store key=cnt2 status=stored cmd=add ttl=0 clsid=\d+ cfd=\d+ size=1",
            rb"type=item_store key=quiet status=stored cmd=add ttl=0 clsid=\d+ cfd=\d+ size=1",
            rb"type=item_store key=last status=stored cmd=set ttl=0 clsid=\d+ cfd=\d+ size=1",
        ]
        assert len(lines) == len(want), got
        for line, pattern in zip(lines, want):
            assert re.fullmatch(pattern, line), (line, pattern)
    finally:
        w.close()


def test_stats_conns_shows_a_watcher_as_conn_watch(start_server):
    srv = start_server([])
    w = start_watcher(srv, b"fetchers")
    try:
        port = w.sock.getsockname()[1]
        deadline = time.time() + 10
        while True:  # the state may change just after OK is sent
            with WireConn(srv.addr) as c:
                conns = c.stats(b"conns")
            fds = [k.split(":")[0] for k, v in conns.items()
                   if k.endswith(":addr") and v == f"tcp:127.0.0.1:{port}"]
            assert len(fds) == 1, conns
            state = conns[fds[0] + ":state"]
            if state == "conn_watch" or time.time() > deadline:
                break
            time.sleep(0.05)
        assert state == "conn_watch"
    finally:
        w.close()
