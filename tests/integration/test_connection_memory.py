"""Memory per idle connection (issue 14): an idle connection costs no more than in memcached.

Each server in turn — the release memfleetd and Debian's memcached, in the same run with the same
flags (-t 2 -m 64 -c 7000) — gets a warm-up of 1,000 connections that send three rounds of
`version` all at once and then close, so that what a server keeps whatever the number of
connections (a worker's buffer pool filled by a burst of reads, allocator caches) is in the
baseline; then N = 5,000 connections that each send one `version` and read its reply, and stay
open. The RSS growth per connection is compared: memfleetd's must stay within memcached's
* 1.1 + SLACK_BYTES. Before the buffer pool memfleetd grew by ~9,000 bytes per connection
(a 16 KiB read buffer and a 16 KiB output buffer each, one page of each touched) against
memcached's ~550; with it, ~400.

memfleet-only (it measures the release build against memcached; the reference run has nothing
to compare). RSS is an outcome, not a timing: every wait is bounded, nothing is timed.
"""

import resource
import socket
import time
from pathlib import Path

import pytest

from server_process import check_executable, release_binary

MEMCACHED = Path("/usr/bin/memcached")
N = 5000
WARM_CONNS = 1000
WARM_ROUNDS = 3
FLAGS = ["-t", "2", "-m", "64", "-c", "7000", "-U", "0"]
# What the comparison allows on top of memcached's * 1.1, per connection. RSS moves in 4 KiB
# pages, and what a worker keeps for its next borrowers (BufferPool: up to 64 read blocks of
# 16 KiB and 64 output areas per worker) is filled by the warm-up's bursts but not to a count
# the test controls: 128 bytes x 5,000 connections = 640 KiB, i.e. twenty more 16 KiB blocks
# kept at the end than after the warm-up, across both workers. A buffer held per idle
# connection (16 KiB each, one page of it touched) exceeds the bound thirty times over.
SLACK_BYTES = 128
BOUND_S = 120


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def steady_rss_kb(pid):
    """VmRSS once two readings 0.3 s apart agree (at most ten seconds)."""
    last = rss_kb(pid)
    for _ in range(33):
        time.sleep(0.3)
        now = rss_kb(pid)
        if now == last:
            break
        last = now
    return last


def read_line(s):
    got = b""
    while not got.endswith(b"\r\n"):
        data = s.recv(100)
        assert data, f"server closed the connection after {got!r}"
        got += data
    return got


def connect_all(addr, count, deadline):
    socks = []
    try:
        while len(socks) < count:
            assert time.monotonic() < deadline, f"{len(socks)} of {count} connections in time"
            socks.append(socket.create_connection(addr, timeout=30))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def warm_up(addr, deadline):
    socks = connect_all(addr, WARM_CONNS, deadline)
    try:
        for _ in range(WARM_ROUNDS):
            for s in socks:
                s.sendall(b"version\r\n")
            for s in socks:
                assert read_line(s).startswith(b"VERSION ")
    finally:
        for s in socks:
            s.close()
    time.sleep(0.5)  # let the server see the closes


def bytes_per_connection(srv):
    """RSS growth per connection of N idle connections that each had one `version`."""
    deadline = time.monotonic() + BOUND_S
    warm_up(srv.addr, deadline)
    before = steady_rss_kb(srv.pid)
    socks = []
    try:
        # In chunks: connect, then one request each and its reply, so that the accept queue
        # stays short and every connection has been served before RSS is read.
        while len(socks) < N:
            chunk = connect_all(srv.addr, min(500, N - len(socks)), deadline)
            socks.extend(chunk)
            for s in chunk:
                s.sendall(b"version\r\n")
            for s in chunk:
                assert read_line(s).startswith(b"VERSION ")
        after = steady_rss_kb(srv.pid)
    finally:
        for s in socks:
            s.close()
    return (after - before) * 1024.0 / N, before, after


@pytest.mark.memfleet_only
def test_idle_connection_costs_no_more_than_in_memcached(start_server):
    binary = release_binary()
    if check_executable(binary):
        pytest.skip(f"release binary {binary} not built (make release), or set MEMFLEETD_RELEASE")
    if check_executable(MEMCACHED):
        pytest.skip("memcached not installed (scripts/install-deps.sh)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = N + WARM_CONNS + 100
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    try:
        results = {}
        for name, path in (("memcached", MEMCACHED), ("memfleetd", binary)):
            srv = start_server(FLAGS, binary=path, name=name)
            results[name] = bytes_per_connection(srv)
            srv.stop()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    reference, fleet = results["memcached"][0], results["memfleetd"][0]
    summary = ", ".join(f"{k}: {v[0]:.0f} bytes/conn (RSS {v[1]} -> {v[2]} kB)"
                        for k, v in results.items())
    print(summary)
    # memcached keeps a few hundred bytes per connection: a reading near zero would mean the
    # measurement saw nothing, and the comparison would prove nothing.
    assert reference > 100, summary
    assert fleet <= reference * 1.1 + SLACK_BYTES, summary
