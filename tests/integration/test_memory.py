"""Memory bound of the release build: -m is a real ceiling on resident memory.

memfleet-only: the bound is our promise. For reference, memcached 1.6.18 with -m 16 after the same
48 MB of writes sits at about 22 MB VmRSS (16 MB cache + ~6 MB).
"""

import pytest

from server_process import check_executable, release_binary
from wire import WireConn, parse_values

MB = 1024 * 1024
CACHE_MB = 16
# Allowed on top of -m: code and libraries (~3 MB), the hash table, per-thread and per-connection
# buffers, slab headers and allocator slack. Generous on purpose: the test catches "memory grows
# with the data written", not a few MB of fixed cost.
OVERHEAD_MB = 16
VALUE_SIZE = 1000
ITEMS = 48_000  # about 3 x 16 MB of values


def vm_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.mark.memfleet_only
def test_rss_stays_within_memory_limit(start_server):
    binary = release_binary()
    if check_executable(binary):
        pytest.skip(f"release binary {binary} not built (make release), or set "
                    f"MEMFLEETD_RELEASE")
    srv = start_server(["-m", str(CACHE_MB)], binary=binary, name="release")
    with WireConn(srv.addr, timeout=60) as c:
        for batch in range(ITEMS // 1000):
            c.send(b"".join(b"set key:%d 0 0 %d noreply\r\n%s\r\n" %
                            (n, VALUE_SIZE, b"%08d" % n * (VALUE_SIZE // 8))
                            for n in range(batch * 1000, batch * 1000 + 1000)))
        assert c.request(b"") == b""  # every write processed, and not one error reply

        rss_kb = vm_kb(srv.pid, "VmRSS")
        hwm_kb = vm_kb(srv.pid, "VmHWM")
        limit_kb = (CACHE_MB + OVERHEAD_MB) * 1024
        assert rss_kb <= limit_kb, f"VmRSS {rss_kb} kB > {limit_kb} kB (-m {CACHE_MB} + " \
                                   f"{OVERHEAD_MB} MB overhead)"
        assert hwm_kb <= limit_kb, f"VmHWM (peak) {hwm_kb} kB > {limit_kb} kB"

        stats = c.stats()
        assert int(stats["evictions"]) > 0
        # A store refused while the page mover works on the tail (see test_stats.test_evictions)
        # is counted in outofmemory; none is lost without a trace.
        refused = c.refused_stores()
        assert int(stats["total_items"]) + refused == ITEMS, (stats, refused)
        assert refused < ITEMS // 100
        assert int(stats["bytes"]) <= CACHE_MB * MB
        # Early keys were evicted, the latest is there, and the server still serves.
        values = parse_values(c.request(b"get key:0 key:1 key:%d\r\n" % (ITEMS - 1)))
        assert list(values) == [b"key:%d" % (ITEMS - 1)]
        assert c.request(b"set fresh 0 0 5\r\nhello\r\nget fresh\r\n") == \
            b"STORED\r\nVALUE fresh 0 5\r\nhello\r\nEND\r\n"
