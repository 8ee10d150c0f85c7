"""Command-line flags: rejections, lifecycle (SIGTERM, SIGINT, the shutdown command)."""

import signal

import pytest

from server_process import free_port, run_to_exit, sanitizer_reports
from wire import WireConn

REJECTED = [
    ["-c", "0"],
    ["-t", "0"],
    ["-B", "http"],
    ["-o", "unknownkey"],
    ["-l", "fooble"],
    ["-p", "70000"],
    ["-f", "1.0"],
    ["-f", "x"],
    ["-n", "0"],
    ["-R", "0"],
    ["--no-such-option"],
]


@pytest.mark.parametrize("args", REJECTED, ids=[" ".join(a) for a in REJECTED])
def test_rejected_flags(binary, args):
    extra = [] if "-p" in args else ["-p", str(free_port())]
    if "-l" not in args:
        extra += ["-l", "127.0.0.1"]
    run = run_to_exit(binary, extra + args)
    assert run.returncode is not None, f"{args}: did not exit (it should refuse to start)"
    assert run.returncode != 0, f"{args}: exit code 0\nstderr: {run.stderr}"
    assert run.stderr.strip(), f"{args}: exited {run.returncode} without a message on stderr"
    assert not sanitizer_reports(run.stderr), run.stderr


def test_udp_disabled_explicitly(start_server):
    srv = start_server(["-U", "0"])
    with WireConn(srv.addr) as c:
        assert c.request(b"set a 0 0 1\r\n1\r\nget a\r\n") == \
            b"STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n"
        assert c.stats("settings")["udpport"] == "0"


def test_help_exits_zero(binary):
    run = run_to_exit(binary, ["-h"])
    assert run.returncode == 0, run.stderr
    assert "-p" in run.stdout and "-m" in run.stdout and "-c" in run.stdout


def test_sigterm_exits_zero(start_server):
    srv = start_server()
    idle = WireConn(srv.addr)
    mid_request = WireConn(srv.addr)
    try:
        assert idle.request(b"set a 0 0 1\r\n1\r\n") == b"STORED\r\n"
        mid_request.send(b"set b 0 0 100\r\nhalf")
        srv.signal(signal.SIGTERM)
        assert srv.wait(timeout=15) == 0
        idle.expect_closed()
    finally:
        idle.close()
        mid_request.close()


def test_sigint_exits_zero(start_server):
    srv = start_server()
    with WireConn(srv.addr) as c:
        assert c.request(b"get a\r\n") == b"END\r\n"
    srv.signal(signal.SIGINT)
    assert srv.wait(timeout=15) == 0


def test_shutdown_command_needs_A(start_server):
    srv = start_server()
    with WireConn(srv.addr) as c:
        assert c.request(b"shutdown\r\n") == b"ERROR: shutdown not enabled\r\n"
    assert srv.running()
    srv = start_server(["-A"])
    with WireConn(srv.addr) as c:
        assert c.request(b"shutdown foo\r\n") == b"CLIENT_ERROR invalid shutdown mode\r\n"
        c.send(b"shutdown\r\n")
        assert c.expect_closed() == b""
    assert srv.wait(timeout=15) == 0


def test_shutdown_graceful(start_server):
    srv = start_server(["-A"])
    with WireConn(srv.addr) as c:
        c.send(b"shutdown graceful\r\n")
        assert c.expect_closed() == b""
    assert srv.wait(timeout=15) == 0
