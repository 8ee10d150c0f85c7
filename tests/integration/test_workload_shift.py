"""Workload shift (issue 14): after memory fills with small items, a new size class must get the
memory the workload now needs, as fast as memcached gives it or faster.

With `-m 64 -t 2 -o slab_reassign,slab_automove=2`, both servers get 700,000 items of 100 bytes,
then the same 300 keys with 100 KB values three times over (one second apart), then a read of the
150 keys written last. memcached 1.6.18 serves 40 to 150 of them on this machine (110-150 when the
issue was filed), memfleetd served 27 then: its level 2 moved at most one page a second.

The release memfleetd and Debian's memcached run the scenario side by side in the same test (one
thread each, at the same time, so that both see the same load on the machine); memfleetd must
keep at least as many of the 150 as memcached, less TOLERANCE. Nothing is timed: each server's
page mover works while its client writes, so how many pages a server can move depends on the
machine, and a shared machine can starve either mover for part of a round.

memfleet-only: it compares memfleetd with memcached (MEMFLEETD=/usr/bin/memcached skips it).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from server_process import check_executable, release_binary
from wire import WireConn

MEMCACHED = Path("/usr/bin/memcached")
ARGS = ["-m", "64", "-t", "2", "-o", "slab_reassign,slab_automove=2"]
SMALL_ITEMS = 700_000
SMALL_SIZE = 100
BIG_ITEMS = 300
BIG_SIZE = 100 * 1024
ROUNDS = 3
READ_BACK = 150
# One page of the large class: 100 KB items take 9 per 1 MiB page in memfleetd, 10 in
# memcached. Where a round's last page move lands, before or after the client's last write, is
# up to the scheduler on a shared machine; a page either way is not a difference in behaviour.
TOLERANCE = 10


def big_value(key: int, rnd: int) -> bytes:
    stamp = b"%03d:%d:" % (key, rnd)
    return (stamp * (BIG_SIZE // len(stamp) + 1))[:BIG_SIZE]


def run_scenario(addr) -> dict:
    """The issue's scenario against one server; returns what was served and a few stats."""
    with WireConn(addr, timeout=60) as c:
        small = b"s" * SMALL_SIZE
        for start in range(0, SMALL_ITEMS, 2000):
            c.send(b"".join(b"set small:%d 0 0 %d noreply\r\n%s\r\n" % (n, SMALL_SIZE, small)
                            for n in range(start, min(SMALL_ITEMS, start + 2000))))
            assert c.request(b"") == b""  # every write processed, no error reply
        replies = {}
        for rnd in range(ROUNDS):
            if rnd > 0:
                time.sleep(1)
            for key in range(BIG_ITEMS):
                c.send(b"set big:%d 0 0 %d\r\n%s\r\n" % (key, BIG_SIZE, big_value(key, rnd)))
                reply = c.read_line()
                replies[reply] = replies.get(reply, 0) + 1
        served = 0
        for key in range(BIG_ITEMS - READ_BACK, BIG_ITEMS):
            c.send(b"get big:%d\r\n" % key)
            reply = c.read_value_reply()
            if reply == b"END\r\n":
                continue
            head = b"VALUE big:%d 0 %d\r\n" % (key, BIG_SIZE)
            assert reply == head + big_value(key, ROUNDS - 1) + b"\r\nEND\r\n", \
                f"big:{key}: wrong value ({reply[:60]!r}...)"
            served += 1
        stats = c.stats()
        return {"served": served, "replies": replies, "slabs_moved": int(stats["slabs_moved"]),
                "evictions": int(stats["evictions"])}


@pytest.mark.memfleet_only
def test_keeps_as_many_recent_large_items_as_memcached_after_a_shift(start_server):
    memfleetd = release_binary()
    if check_executable(memfleetd):
        pytest.skip(f"release binary {memfleetd} not built (make release), or set "
                    f"MEMFLEETD_RELEASE")
    if check_executable(MEMCACHED):
        pytest.skip("Debian memcached is not installed (scripts/install-deps.sh)")
    servers = {"memfleetd": start_server(ARGS, binary=memfleetd, name="memfleetd"),
               "memcached": start_server(ARGS, binary=MEMCACHED, name="memcached")}
    results, errors = {}, {}

    def client(name):
        try:
            results[name] = run_scenario(servers[name].addr)
        except BaseException as e:  # reported below, in the test's thread
            errors[name] = e

    threads = [threading.Thread(target=client, args=(name,), daemon=True) for name in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), f"a client did not finish: {results}"
    for name, e in errors.items():
        raise AssertionError(f"{name}: {e}") from e

    for name, r in results.items():
        assert r["replies"] == {b"STORED\r\n": ROUNDS * BIG_ITEMS}, (name, r)
    mf, mc = results["memfleetd"], results["memcached"]
    print(f"served of the latest {READ_BACK}: {results}")  # shown with -s or on failure
    assert mf["served"] >= mc["served"] - TOLERANCE, \
        f"memfleetd served {mf['served']} of the {READ_BACK} latest large items, memcached " \
        f"{mc['served']}: {results}"
