"""Connection handling: pipelining, arbitrary request splits, many clients, hostile input, the -c
limit and unix sockets. After every hostile input a NEW connection must be served correctly."""

import os
import random
import shutil
import socket
import struct
import tempfile
import threading
import time

import pytest
from pymemcache.client.base import Client

from wire import VERSION_REPLY, WireConn, WireError, connect, parse_values


def assert_serves(addr, tag=b"ok"):
    """A fresh connection stores and reads back a value."""
    with WireConn(addr) as c:
        key = b"probe_" + tag
        assert c.request(b"set %s 0 0 %d\r\n%s\r\nget %s\r\n" % (key, len(tag), tag, key)) == \
            b"STORED\r\nVALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(tag), tag)


# --- pipelining ----------------------------------------------------------------------------


def build_mixed_pipeline(n):
    """n mixed commands and the replies memcached gives, from a tiny model of the cache."""
    rng = random.Random(1234)
    store = {}  # key -> (flags, data)
    reqs, reps = [b"set counter 0 0 1\r\n0\r\n"], [b"STORED\r\n"]
    counter = 0
    for i in range(n):
        key = b"key%d" % rng.randrange(40)
        kind = i % 10
        if kind == 0:
            data = b"value-%d" % i
            reqs.append(b"set %s %d 0 %d\r\n%s\r\n" % (key, i, len(data), data))
            reps.append(b"STORED\r\n")
            store[key] = (i, data)
        elif kind == 1:
            reqs.append(b"get %s\r\n" % key)
            reps.append((b"VALUE %s %d %d\r\n%s\r\n" % (key, store[key][0], len(store[key][1]),
                                                       store[key][1]) if key in store else b"")
                        + b"END\r\n")
        elif kind == 2:
            reqs.append(b"add %s 7 0 3\r\nadd\r\n" % key)
            if key in store:
                reps.append(b"NOT_STORED\r\n")
            else:
                reps.append(b"STORED\r\n")
                store[key] = (7, b"add")
        elif kind == 3:
            counter += 3
            reqs.append(b"incr counter 3\r\n")
            reps.append(b"%d\r\n" % counter)
        elif kind == 4:
            reqs.append(b"delete %s\r\n" % key)
            reps.append(b"DELETED\r\n" if store.pop(key, None) else b"NOT_FOUND\r\n")
        elif kind == 5:
            reqs.append(b"append %s 0 0 2\r\n+a\r\n" % key)
            if key in store:
                store[key] = (store[key][0], store[key][1] + b"+a")
                reps.append(b"STORED\r\n")
            else:
                reps.append(b"NOT_STORED\r\n")
        elif kind == 6:
            other = b"key%d" % rng.randrange(40)
            reqs.append(b"get %s %s nosuchkey\r\n" % (key, other))
            rep = b""
            for k in (key, other):
                if k in store:
                    rep += b"VALUE %s %d %d\r\n%s\r\n" % (k, store[k][0], len(store[k][1]),
                                                         store[k][1])
            reps.append(rep + b"END\r\n")
        elif kind == 7:
            data = b"quiet-%d" % i
            reqs.append(b"set %s 1 0 %d noreply\r\n%s\r\n" % (key, len(data), data))
            store[key] = (1, data)
        elif kind == 8:
            reqs.append(b"touch %s 1000\r\n" % key)
            reps.append(b"TOUCHED\r\n" if key in store else b"NOT_FOUND\r\n")
        else:
            reqs.append(b"bogus_command %d\r\n" % i)
            reps.append(b"ERROR\r\n")
    return b"".join(reqs), b"".join(reps)


def test_pipeline_1000_mixed_commands_in_one_write(server):
    data, expected = build_mixed_pipeline(1000)
    with WireConn(server) as c:
        assert c.request_pipelined(data) == expected
    assert_serves(server)


def test_pipeline_large_replies_while_client_is_slow_to_read(server):
    """50 MB of replies to one write: the server must neither drop nor reorder them, however it
    paces its output buffers."""
    value = bytes(range(256)) * 2048  # 512 KiB
    with WireConn(server, timeout=60) as c:
        assert c.request(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value)) == b"STORED\r\n"
        reply = c.request_pipelined(b"get big\r\n" * 100, timeout=30)
    one = b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value)
    assert len(reply) == 100 * len(one)
    assert reply == one * 100


SPLIT_REQUEST = (b"set sk 5 0 10\r\nab\r\ncd\r\nef\r\nget sk\r\nincr n 7\r\n"
                 b"gets nosuch\r\ndelete sk\r\nbogus\r\n")
SPLIT_REPLY = (b"STORED\r\nVALUE sk 5 10\r\nab\r\ncd\r\nef\r\nEND\r\n8\r\nEND\r\nDELETED\r\n"
               b"ERROR\r\n")


def test_request_sent_one_byte_at_a_time(server):
    with WireConn(server) as c:
        assert c.request(b"set n 0 0 1\r\n1\r\n") == b"STORED\r\n"
        deadline = time.monotonic() + 60
        c.send_slowly(SPLIT_REQUEST, chunk=1, pause=0.002)
        assert time.monotonic() < deadline
        assert c.request(b"") == SPLIT_REPLY


def test_request_split_at_every_position(server):
    with WireConn(server) as c:
        for i in range(1, len(SPLIT_REQUEST)):
            assert c.request(b"set n 0 0 1\r\n1\r\n") == b"STORED\r\n"
            c.send(SPLIT_REQUEST[:i])
            time.sleep(0.002)  # lets the server read the first part on its own
            assert c.request(SPLIT_REQUEST[i:]) == SPLIT_REPLY, f"split at {i}"


def test_large_value_sent_in_odd_chunks(server):
    value = os.urandom(300_000)
    with WireConn(server) as c:
        c.send_slowly(b"set v 0 0 %d\r\n%s\r\n" % (len(value), value), chunk=7919, pause=0.0005)
        assert c.request(b"") == b"STORED\r\n"
        assert parse_values(c.request(b"get v\r\n"))[b"v"] == (0, value)


# --- many clients --------------------------------------------------------------------------


def test_200_concurrent_connections(server):
    n = 200
    opened = threading.Barrier(n + 1, timeout=60)
    results = [None] * n

    def client(i):
        try:
            with WireConn(server, timeout=30) as c:
                assert c.version().startswith(b"VERSION ")
                opened.wait()  # all n connections are open at the same time
                data = b"data-%d-" % i * 10
                r1 = c.request(b"set conc%d %d 0 %d\r\n%s\r\n" % (i, i, len(data), data))
                r2 = c.request(b"get conc%d shared\r\n" % i)
                results[i] = (r1 == b"STORED\r\n" and
                              r2 == b"VALUE conc%d %d %d\r\n%s\r\nEND\r\n" % (i, i, len(data),
                                                                            data))
                opened.wait()
        except Exception as e:  # reported below through results
            results[i] = repr(e)
            opened.abort()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    try:
        opened.wait()
        with WireConn(server) as c:
            curr = int(c.stats()["curr_connections"])
        opened.wait()
    except threading.BrokenBarrierError:
        curr = None
    for t in threads:
        t.join(timeout=60)
    failures = {i: r for i, r in enumerate(results) if r is not True}
    assert not failures, f"{len(failures)} clients failed, e.g. {list(failures.items())[:3]}"
    assert curr is not None and curr >= n + 1
    with WireConn(server) as c:
        values = parse_values(c.request(b"get " + b" ".join(b"conc%d" % i for i in range(n)) +
                                        b"\r\n"))
        assert len(values) == n


def test_many_short_connections(server):
    for i in range(300):
        s = connect(server)
        if i % 3 == 0:
            s.sendall(b"get x\r\n")
        s.close()
    assert_serves(server)
    with WireConn(server) as c:
        assert int(c.stats()["total_connections"]) >= 300


def test_half_closed_client_gets_its_replies(server):
    with WireConn(server) as c:
        c.send(b"set h 0 0 2\r\nhi\r\nget h\r\n")
        c.sock.shutdown(socket.SHUT_WR)
        assert c.expect_closed() == b"STORED\r\nVALUE h 0 2\r\nhi\r\nEND\r\n"
    assert_serves(server)


def test_client_reset_while_server_writes(server):
    value = b"r" * 500_000
    with WireConn(server) as c:
        assert c.request(b"set r 0 0 %d\r\n%s\r\n" % (len(value), value)) == b"STORED\r\n"
    for _ in range(5):
        s = connect(server)
        s.sendall(b"get r\r\n" * 50)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST with replies in flight
    assert_serves(server)


# --- hostile input -------------------------------------------------------------------------


def test_unknown_commands(server):
    with WireConn(server) as c:
        words = [b"bogus", b"GET", b"sett", b"gets_", b"\x01\x02", b"x" * 100, b"stats_",
                 b"meta", b"lru", b"incr_"]
        reply = c.request(b"".join(w + b" a b c\r\n" for w in words) * 10)
        assert reply == b"ERROR\r\n" * 100
        assert c.request(b"get nothing\r\n") == b"END\r\n"  # the same connection still works
    assert_serves(server)


def test_bad_data_chunks(server):
    with WireConn(server) as c:
        for _ in range(20):
            assert c.request(b"set b 0 0 3\r\nabcdefgh\r\n") == \
                b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
        assert c.request(b"set b 0 0 3\r\nabc\r\nget b\r\n") == \
            b"STORED\r\nVALUE b 0 3\r\nabc\r\nEND\r\n"
    assert_serves(server)


def send_line_until_closed(addr, line):
    """Sends a line the server must refuse by closing, and waits for that close."""
    with WireConn(addr, timeout=30) as c:
        try:
            c.send(line)
        except OSError:
            pass  # the server may close while we are still sending
        c.expect_closed(timeout=30)


def test_2mb_line_without_newline_closes_connection(server):
    send_line_until_closed(server, b"g" * (2 * 1024 * 1024))
    assert_serves(server)


def test_long_key_line_without_newline_closes_connection(server):
    send_line_until_closed(server, b"set " + b"k" * (2 * 1024 * 1024))
    assert_serves(server)


def test_binary_garbage(server):
    rng = random.Random(42)
    for round_ in range(5):
        garbage = b"x" + bytes(rng.randrange(256) for _ in range(64 * 1024))
        with WireConn(server, timeout=30) as c:
            try:
                c.send(garbage + b"\r\n")
            except OSError:
                pass
            reply = c.drain(quiet=0.5, limit=10)
            # Whatever came back is error lines (the server may also close the connection).
            for line in reply.split(b"\r\n")[:-1]:
                assert line == b"ERROR" or line.startswith((b"CLIENT_ERROR ", b"SERVER_ERROR ")), \
                    f"round {round_}: unexpected reply line {line[:100]!r}"
        assert_serves(server, b"r%d" % round_)


def test_nul_and_control_bytes(server):
    with WireConn(server) as c:
        assert c.request(b"\x00\x01\x02\r\n\x7f\r\n\x00\r\n") == b"ERROR\r\n" * 3
    assert_serves(server)


def test_disconnect_mid_value(server):
    with WireConn(server) as c:
        c.send(b"set partial 0 0 100\r\nonly part of it")
    with WireConn(server) as c:
        c.send(b"set huge 0 0 1073741824\r\n" + b"z" * 65536)
    with WireConn(server) as c:
        assert c.request(b"get partial huge\r\n") == b"END\r\n"
    assert_serves(server)


# --- -c connection limit -------------------------------------------------------------------


def test_connection_limit(start_server):
    """memcached keeps some descriptors in reserve (reserved_fds, 20 with -t 4), so with -c 64 it
    serves about 40 clients; the next one reads "ERROR Too many open connections" and is closed.
    memcached also lowers RLIMIT_NOFILE to -c, which is why -c 10 -t 4 does not even start."""
    limit = 64
    srv = start_server(["-c", str(limit), "-t", "4"])
    conns, served, rejected_reply = [], 0, None
    try:
        for _ in range(limit + 20):
            c = WireConn(srv.addr)
            conns.append(c)
            c.send(b"version\r\n")
            try:
                line = c.read_line()
            except WireError as e:
                if not c.eof:
                    raise
                rejected_reply = e.received
                break
            if VERSION_REPLY.match(line):
                served += 1
                continue
            rejected_reply = line
            c.expect_closed()
            break
        assert rejected_reply is not None, f"all {served} connections were served"
        assert rejected_reply == b"ERROR Too many open connections\r\n"
        assert 1 <= served <= limit
    finally:
        for c in conns:
            c.close()
    # Closing connections frees slots: a new client is served again.
    deadline = time.monotonic() + 20
    while True:
        try:
            assert_serves(srv.addr)
            break
        except (WireError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with WireConn(srv.addr) as c:
        assert int(c.stats("settings")["maxconns"]) == limit
        stats = c.stats()
        assert int(stats["rejected_connections"]) >= 1
        assert int(stats["max_connections"]) == limit


# --- unix socket ---------------------------------------------------------------------------


@pytest.fixture
def socket_dir():
    """A directory the reference can create its socket in: it drops to `nobody` before binding,
    and pytest's tmp_path sits under a 0700 directory."""
    path = tempfile.mkdtemp(prefix="memfleet-test-")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_unix_socket(start_server, socket_dir):
    path = os.path.join(socket_dir, "memfleet.sock")
    srv = start_server(["-s", path])
    assert srv.addr == path
    with WireConn(path) as c:
        assert c.request(b"set u 3 0 4\r\nunix\r\nget u\r\n") == \
            b"STORED\r\nVALUE u 3 4\r\nunix\r\nEND\r\n"
        assert c.stats("settings")["domain_socket"] == path
    client = Client(path, connect_timeout=10, timeout=10, default_noreply=False)
    try:
        assert client.get("u") == b"unix"
        assert client.set("v", "w") is True
        assert client.get("v") == b"w"
    finally:
        client.close()


def test_idle_timeout_spares_unix_socket_connections(start_server, socket_dir):
    # memcached times out only TCP connections.
    path = os.path.join(socket_dir, "memfleet.sock")
    srv = start_server(["-s", path, "-o", "idle_timeout=1"])
    with WireConn(path, timeout=15) as idle:
        assert idle.request(b"set k 0 0 1\r\nv\r\n") == b"STORED\r\n"
        idle.drain(quiet=3.5, limit=4.0)  # well past the timeout, checked every second
        assert not idle.eof
        assert idle.request(b"get k\r\n") == b"VALUE k 0 1\r\nv\r\nEND\r\n"


# --- replies batched through io_uring (src/server/io_batch.h) ---------------------------------


@pytest.mark.memfleet_only
@pytest.mark.parametrize("options", [[], ["-o", "no_io_uring"]], ids=["io_uring", "no_io_uring"])
def test_replies_from_many_connections_at_once(start_server, options):
    """Many clients in lockstep make one epoll batch hold requests and replies for many connections
    (each read and its keys prefetched in the batch steps before any is executed): every
    reply reaches its own client, whole and in order, with batched sends or without them; large
    replies (several pieces, the ordinary path) mix with small ones."""
    srv = start_server(["-t", "2"] + options)
    addr = (srv.host, srv.port)
    big = bytes(range(256)) * 1024  # 256 KiB
    with WireConn(addr) as c:
        assert c.request(b"set big 0 0 %d\r\n%s\r\n" % (len(big), big)) == b"STORED\r\n"
    n, rounds = 40, 100
    results = [None] * n

    def client(i):
        try:
            with WireConn(addr, timeout=30) as c:
                for r in range(rounds):
                    data = b"%d-%d-" % (i, r) * (1 + (i + r) % 20)
                    key = b"k%d" % i
                    got = c.request(b"set %s %d 0 %d\r\n%s\r\nget %s\r\n" %
                                    (key, r, len(data), data, key))
                    want = b"STORED\r\nVALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, r, len(data), data)
                    assert got == want, (i, r, got[:80])
                    if r % 25 == 0:
                        assert c.request(b"get big\r\n") == \
                            b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(big), big)
            results[i] = True
        except Exception as e:  # reported below
            results[i] = repr(e)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    failures = {i: r for i, r in enumerate(results) if r is not True}
    assert not failures, f"{len(failures)} clients failed, e.g. {list(failures.items())[:3]}"
    assert_serves(addr)


@pytest.mark.memfleet_only
@pytest.mark.parametrize("options", [[], ["-o", "no_io_uring"]], ids=["io_uring", "no_io_uring"])
def test_oversized_lines_among_busy_connections(start_server, options):
    """Lines that outgrow the largest read buffer close their connections while busy connections
    are read in the same epoll batches (the batch steps, with reads through io_uring or not);
    those carry on untouched."""
    srv = start_server(["-t", "1"] + options)
    addr = (srv.host, srv.port)
    n_busy, rounds = 20, 150
    results = [None] * n_busy
    stop = threading.Event()

    def busy(i):
        try:
            with WireConn(addr, timeout=30) as c:
                for r in range(rounds):
                    data = b"%d-%d" % (i, r)
                    key = b"busy%d" % i
                    got = c.request(b"set %s 0 0 %d\r\n%s\r\nget %s\r\n" % (key, len(data), data, key))
                    assert got == b"STORED\r\nVALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(data), data)
            results[i] = True
        except Exception as e:  # reported below
            results[i] = repr(e)

    def oversized():
        while not stop.is_set():
            send_line_until_closed(addr, b"g" * (2 * 1024 * 1024))

    threads = [threading.Thread(target=busy, args=(i,), daemon=True) for i in range(n_busy)]
    big = [threading.Thread(target=oversized, daemon=True) for _ in range(2)]
    for t in threads + big:
        t.start()
    for t in threads:
        t.join(timeout=120)
    stop.set()
    for t in big:
        t.join(timeout=60)
    failures = {i: r for i, r in enumerate(results) if r is not True}
    assert not failures, f"{len(failures)} clients failed, e.g. {list(failures.items())[:3]}"
    assert not any(t.is_alive() for t in big), "an oversized line was not closed"
    assert_serves(addr)
