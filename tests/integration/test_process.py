"""Process-level behaviour: idle connections, graceful shutdown, daemon mode, several listeners."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from server_process import free_port, run_to_exit
from wire import WireConn


def test_idle_timeout_closes_idle_connections(start_server):
    srv = start_server(["-o", "idle_timeout=1"])
    with WireConn(srv.addr, timeout=15) as idle, WireConn(srv.addr) as busy:
        assert idle.request(b"set k 0 0 1\r\nv\r\n") == b"STORED\r\n"
        # The idle connection is closed by the server within a few seconds; a connection that
        # keeps sending stays open.
        deadline = time.monotonic() + 12
        closed = False
        while time.monotonic() < deadline and not closed:
            assert busy.request(b"get k\r\n") == b"VALUE k 0 1\r\nv\r\nEND\r\n"
            idle.drain(quiet=0.5, limit=0.6)
            closed = idle.eof
        assert closed, "idle connection was not closed"
        assert busy.request(b"get k\r\n") == b"VALUE k 0 1\r\nv\r\nEND\r\n"


def test_sigusr1_finishes_requests_then_exits(start_server):
    srv = start_server()
    with WireConn(srv.addr) as c:
        assert c.request(b"set k 0 0 5\r\nhello\r\n") == b"STORED\r\n"
        srv.signal(signal.SIGUSR1)
        assert srv.wait(timeout=15) == 0
    with pytest.raises(OSError):
        socket.create_connection(srv.addr, timeout=2).close()


def test_daemon_mode_writes_pid_file(binary):
    port = free_port()
    # A directory every user can reach: the reference drops to nobody before writing the file.
    piddir = Path(tempfile.mkdtemp(prefix="memfleet-pid-", dir="/tmp"))
    os.chmod(piddir, 0o777)
    pid_file = piddir / "server.pid"
    result = run_to_exit(binary, ["-d", "-P", str(pid_file), "-p", str(port), "-l", "127.0.0.1"])
    assert result.returncode == 0, result.stderr
    pid = None
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (pid_file.exists() and pid_file.read_text()):
            time.sleep(0.05)
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)  # the daemon is alive
        with WireConn(("127.0.0.1", port)) as c:
            assert c.request(b"set d 0 0 1\r\nx\r\nget d\r\n") == (
                b"STORED\r\nVALUE d 0 1\r\nx\r\nEND\r\n")
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
                pytest.fail("daemon did not exit on SIGTERM")
        shutil.rmtree(piddir, ignore_errors=True)


def test_several_listen_addresses(start_server):
    srv = start_server(["-l", "127.0.0.1,127.0.0.2"])
    for host in ("127.0.0.1", "127.0.0.2"):
        with WireConn((host, srv.port)) as c:
            assert c.request(b"set %s 0 0 1\r\nx\r\n" % host.encode()) == b"STORED\r\n"
    with WireConn(("127.0.0.2", srv.port)) as c:
        assert c.request(b"get 127.0.0.1\r\n") == b"VALUE 127.0.0.1 0 1\r\nx\r\nEND\r\n"


@pytest.mark.parametrize("threads", ["1", "2", "8"])
def test_thread_counts_serve_the_same(start_server, threads):
    srv = start_server(["-t", threads])
    conns = [WireConn(srv.addr) for _ in range(10)]
    try:
        for i, c in enumerate(conns):
            assert c.request(b"set k%d 0 0 1\r\n%d\r\n" % (i, i)) == b"STORED\r\n"
        for i, c in enumerate(conns):
            j = (i + 3) % len(conns)
            assert c.request(b"get k%d\r\n" % j) == b"VALUE k%d 0 1\r\n%d\r\nEND\r\n" % (j, j)
            assert c.stats()["threads"] == threads
    finally:
        for c in conns:
            c.close()
