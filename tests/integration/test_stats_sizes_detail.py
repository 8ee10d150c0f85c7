"""`stats sizes` (-o track_sizes, sizes_enable/sizes_disable) and `stats detail on|off|dump` (per
prefix counters, -D delimiter), as memcached 1.6.18 documents and does them.

Every expectation here was checked against memcached 1.6.18 (MEMFLEETD=/usr/bin/memcached). Item
sizes themselves differ (memfleetd's item header is smaller, see docs/compatibility.md), so the
histogram is checked for its shape and its counts, not for the bucket of each size.
"""

import re

from wire import WireConn

SIZE_LINE = re.compile(rb"STAT (\d+) (\d+)")


def sizes(c):
    raw = c.request(b"stats sizes\r\n")
    assert raw.endswith(b"END\r\n"), raw
    hist = {}
    for line in raw[:-len(b"END\r\n")].split(b"\r\n")[:-1]:
        m = SIZE_LINE.fullmatch(line)
        assert m, raw
        size, count = int(m.group(1)), int(m.group(2))
        assert size % 32 == 0 and count > 0, raw
        hist[size] = count
    assert list(hist) == sorted(hist)
    return hist


def test_stats_sizes_without_track_sizes_is_disabled(server):
    with WireConn(server) as c:
        assert c.request(b"set a 0 0 1\r\nx\r\n") == b"STORED\r\n"
        assert c.request(b"stats sizes\r\n") == b"STAT sizes_status disabled\r\nEND\r\n"


def test_stats_sizes_with_track_sizes_counts_items_by_size(start_server):
    srv = start_server(["-o", "track_sizes"])
    with WireConn(srv.addr) as c:
        assert c.request(b"stats sizes\r\n") == b"END\r\n"
        c.request(b"".join(b"set s%d 0 0 10 noreply\r\n%s\r\n" % (i, b"x" * 10) for i in range(5)))
        c.request(b"".join(b"set b%d 0 0 1000 noreply\r\n%s\r\n" % (i, b"y" * 1000)
                           for i in range(3)))
        hist = sizes(c)
        assert sum(hist.values()) == 8
        small, big = min(hist), max(hist)
        assert hist[small] == 5 and hist[big] == 3
        assert 10 <= small < 1000 <= big  # a bucket holds items up to its size
        # Deleting and overwriting keep the histogram in step with what is stored.
        assert c.request(b"delete s0\r\n") == b"DELETED\r\n"
        assert c.request(b"set b0 0 0 10\r\n%s\r\n" % (b"x" * 10)) == b"STORED\r\n"
        assert sizes(c) == {small: 5, big: 2}
        assert c.request(b"flush_all\r\n") == b"OK\r\n"
        c.request(b"get s1 s2 s3 s4 b0 b1 b2\r\n")  # flushed items go as they are touched
        assert c.request(b"stats sizes\r\n") == b"END\r\n"


def test_sizes_enable_and_disable_at_run_time(server):
    with WireConn(server) as c:
        assert c.request(b"set before 0 0 10\r\n%s\r\n" % (b"x" * 10)) == b"STORED\r\n"
        # The status line alone, without END (as memcached 1.6.18 answers).
        assert c.request(b"stats sizes_enable\r\n") == b"STAT sizes_status enabled\r\n"
        assert c.request(b"stats sizes\r\n") == b"END\r\n"  # items from before do not count
        assert c.request(b"set after 0 0 10\r\n%s\r\n" % (b"x" * 10)) == b"STORED\r\n"
        assert sum(sizes(c).values()) == 1
        assert c.request(b"delete before\r\n") == b"DELETED\r\n"
        assert sum(sizes(c).values()) == 1
        assert c.request(b"stats sizes_enable\r\n") == b"STAT sizes_status enabled\r\n"
        assert sum(sizes(c).values()) == 1
        assert c.request(b"stats sizes_disable\r\n") == b"STAT sizes_status disabled\r\n"
        assert c.request(b"stats sizes\r\n") == b"STAT sizes_status disabled\r\nEND\r\n"
        assert c.request(b"stats sizes_disable\r\n") == b"STAT sizes_status disabled\r\n"


def test_sizes_enable_needs_cas(start_server):
    srv = start_server(["-C"])
    with WireConn(srv.addr) as c:
        assert c.request(b"stats sizes_enable\r\n") == \
            b"STAT sizes_status error\r\nSTAT sizes_error cas_support_disabled\r\n"
        assert c.request(b"stats sizes\r\n") == b"STAT sizes_status disabled\r\nEND\r\n"


def prefixes(c):
    raw = c.request(b"stats detail dump\r\n")
    assert raw.endswith(b"END\r\n"), raw
    out = {}
    for line in raw[:-len(b"END\r\n")].split(b"\r\n")[:-1]:
        m = re.fullmatch(rb"PREFIX (\S+) get (\d+) hit (\d+) set (\d+) del (\d+)", line)
        assert m, raw
        out[m.group(1).decode()] = tuple(int(m.group(i)) for i in range(2, 6))
    return out


# Which commands count, as memcached 1.6.18 counts them: get/gets/gat per key (hits too), every
# set/add/cas/append attempt (stored or not), every delete (found or not); never incr/decr,
# touch or any meta command; keys without the delimiter not at all.
WORKLOAD = (b"set a:1 0 0 1\r\nx\r\n"
            b"get a:1 a:2 b:1 nokey\r\n"
            b"gets a:1\r\n"
            b"add a:1 0 0 1\r\nx\r\n"
            b"delete a:1\r\n"
            b"delete a:9\r\n"
            b"incr c:1 1\r\n"
            b"touch a:1 10\r\n"
            b"set c:1 0 0 1\r\n1\r\n"
            b"incr c:1 1\r\n"
            b"gat 0 c:1\r\n"
            b"mg c:1 v\r\n"
            b"ms d:1 1\r\nx\r\n"
            b"md d:1\r\n"
            b"ma c:1\r\n"
            b"cas c:1 0 0 1 99\r\n1\r\n"
            b"append c:1 0 0 1\r\n1\r\n")
COUNTED = {"a": (3, 2, 2, 2), "b": (1, 0, 0, 0), "c": (1, 1, 3, 0)}


def test_stats_detail_counts_per_prefix(server):
    with WireConn(server) as c:
        assert c.request(b"stats detail dump\r\n") == b"END\r\n"
        c.request(WORKLOAD)
        assert prefixes(c) == {}  # off by default
        assert c.request(b"stats detail on\r\n") == b"OK\r\n"
        c.request(WORKLOAD)
        assert prefixes(c) == COUNTED
        assert c.request(b"stats detail off\r\n") == b"OK\r\n"
        c.request(WORKLOAD)
        assert prefixes(c) == COUNTED  # kept, not counted further
        assert c.request(b"stats reset\r\n") == b"RESET\r\n"
        assert c.request(b"stats detail dump\r\n") == b"END\r\n"


def test_stats_detail_set_counts_even_when_too_large(server):
    with WireConn(server) as c:
        assert c.request(b"stats detail on\r\n") == b"OK\r\n"
        n = 1100 * 1024  # above the default -I 1m
        reply = c.request_pipelined(b"set big:1 0 0 %d\r\n%s\r\n" % (n, b"z" * n))
        assert reply == b"SERVER_ERROR object too large for cache\r\n"
        assert prefixes(c) == {"big": (0, 0, 1, 0)}


def test_stats_detail_usage_and_delimiter(start_server):
    srv = start_server(["-D", "/"])
    with WireConn(srv.addr) as c:
        for bad in (b"stats detail\r\n", b"stats detail foo\r\n"):
            assert c.request(bad) == b"CLIENT_ERROR usage: stats detail on|off|dump\r\n"
        assert c.request(b"stats detail on extra\r\n") == b"OK\r\n"  # extra tokens ignored
        assert c.stats(b"settings")["detail_enabled"] == "yes"
        c.request(b"set user/1 0 0 1\r\nx\r\nset a:b 0 0 1\r\nx\r\nget user/1 user/2 a:b\r\n")
        assert prefixes(c) == {"user": (2, 1, 1, 0)}
