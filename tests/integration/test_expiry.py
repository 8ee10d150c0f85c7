"""Expiration times: relative, absolute (> 30 days means a unix time), negative, touch/gat, and
flush_all with a delay.

memcached's clock ticks once a second, so an item with exptime 2 lives between 1 and 3 seconds.
Tests read right after storing (always within the lifetime), then poll for the expiry with a
bounded deadline; they never assert how long anything took.
"""

import time

from wire import WireConn, parse_values

THIRTY_DAYS = 60 * 60 * 24 * 30
EXPIRY_DEADLINE = 10.0  # bound on the polling, far above the 3 s worst case


def wait_until_gone(conn, keys, deadline=EXPIRY_DEADLINE):
    """Polls until none of `keys` is returned; returns the keys still present at the deadline."""
    end = time.monotonic() + deadline
    while True:
        present = parse_values(conn.request(b"get " + b" ".join(keys) + b"\r\n"))
        if not present or time.monotonic() > end:
            return sorted(present)
        time.sleep(0.25)


def test_negative_and_past_exptime_expire_immediately(server):
    now = int(time.time())
    with WireConn(server) as c:
        assert c.request(b"set neg 0 -1 1\r\nx\r\nget neg\r\n") == b"STORED\r\nEND\r\n"
        assert c.request(b"set past 0 %d 1\r\nx\r\nget past\r\n" % (now - 10)) == \
            b"STORED\r\nEND\r\n"
        # Just over 30 days is an absolute time in January 1970.
        assert c.request(b"set old 0 %d 1\r\nx\r\nget old\r\n" % (THIRTY_DAYS + 1)) == \
            b"STORED\r\nEND\r\n"
        assert c.request(b"set t 0 100 1\r\nx\r\ntouch t -1\r\nget t\r\n") == \
            b"STORED\r\nTOUCHED\r\nEND\r\n"
        assert c.request(b"set g 0 100 1\r\nx\r\ngat -1 g\r\nget g\r\n") == \
            b"STORED\r\nVALUE g 0 1\r\nx\r\nEND\r\nEND\r\n"
        # Far future, relative (exactly 30 days) and absolute: still there.
        assert c.request(b"set f1 0 %d 1\r\nx\r\nset f2 0 %d 1\r\ny\r\nget f1 f2\r\n" %
                         (THIRTY_DAYS, now + 3600)) == \
            b"STORED\r\nSTORED\r\nVALUE f1 0 1\r\nx\r\nVALUE f2 0 1\r\ny\r\nEND\r\n"
        # incr/add on an expired key behave as if it was never there.
        assert c.request(b"incr neg 1\r\nadd neg 0 0 1\r\nz\r\n") == b"NOT_FOUND\r\nSTORED\r\n"


def test_relative_absolute_touch_and_gat_expiry(server):
    now = int(time.time())
    with WireConn(server) as c:
        assert c.request(
            b"set rel 0 2 1\r\nr\r\n"
            b"set abs 0 %d 1\r\na\r\n"
            b"set tch 0 0 1\r\nt\r\ntouch tch 2\r\n"
            b"set gat 0 0 1\r\ng\r\n"
            b"set keep 0 0 1\r\nk\r\n"
            b"set long 0 1000 1\r\nl\r\n"
            b"set shorten 0 1000 1\r\ns\r\ntouch shorten 2\r\n"
            % (now + 3)) == (b"STORED\r\n" * 3 + b"TOUCHED\r\n" + b"STORED\r\n" * 4 +
                             b"TOUCHED\r\n")
        assert c.request(b"gat 2 gat\r\n") == b"VALUE gat 0 1\r\ng\r\nEND\r\n"
        expiring = [b"rel", b"abs", b"tch", b"gat", b"shorten"]
        assert len(parse_values(c.request(b"get " + b" ".join(expiring) + b"\r\n"))) == 5
        assert wait_until_gone(c, expiring) == []
        assert c.request(b"get keep long\r\n") == \
            b"VALUE keep 0 1\r\nk\r\nVALUE long 0 1\r\nl\r\nEND\r\n"
        # Expired means gone for every command.
        assert c.request(b"touch rel 100\r\nincr rel 1\r\nappend rel 0 0 1\r\nx\r\n"
                         b"replace rel 0 0 1\r\nx\r\ndelete rel\r\n") == \
            b"NOT_FOUND\r\nNOT_FOUND\r\nNOT_STORED\r\nNOT_STORED\r\nNOT_FOUND\r\n"
        assert int(c.stats()["curr_items"]) >= 2


def store_until_it_sticks(conn, key, deadline=EXPIRY_DEADLINE):
    """memcached also drops items stored during the second in which a delayed flush takes effect
    (the flush deadline is compared with the item's time in whole seconds). Returns True once a
    freshly stored item reads back."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        reply = conn.request(b"set %s 0 0 1\r\nl\r\nget %s\r\n" % (key, key))
        if reply == b"STORED\r\nVALUE %s 0 1\r\nl\r\nEND\r\n" % key:
            return True
        assert reply == b"STORED\r\nEND\r\n", reply
        time.sleep(0.25)
    return False


def test_flush_all_with_delay(server):
    """memcached's flush deadline is (now + delay - 1) on its one-second clock: `flush_all 1` is
    immediate and `flush_all 3` takes effect after 1 to 2 seconds."""
    with WireConn(server) as c:
        assert c.request(b"set before 0 0 1\r\nb\r\nflush_all 3\r\n") == b"STORED\r\nOK\r\n"
        # Until the deadline everything is readable, including items stored after the command.
        assert c.request(b"set after 0 0 1\r\na\r\nget before after\r\n") == \
            b"STORED\r\nVALUE before 0 1\r\nb\r\nVALUE after 0 1\r\na\r\nEND\r\n"
        assert wait_until_gone(c, [b"before", b"after"]) == []
        # After the deadline, new items live normally.
        assert store_until_it_sticks(c, b"later")
        assert c.request(b"get later\r\n") == b"VALUE later 0 1\r\nl\r\nEND\r\n"


def test_flush_all_delay_noreply(server):
    with WireConn(server) as c:
        assert c.request(b"set x 0 0 1\r\nx\r\nflush_all 3 noreply\r\nget x\r\n") == \
            b"STORED\r\nVALUE x 0 1\r\nx\r\nEND\r\n"
        assert wait_until_gone(c, [b"x"]) == []


def test_flush_all_one_second_delay_is_immediate(server):
    with WireConn(server) as c:
        assert c.request(b"set x 0 0 1\r\nx\r\nflush_all 1\r\nget x\r\n") == \
            b"STORED\r\nOK\r\nEND\r\n"
