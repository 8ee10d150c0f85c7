"""The fixture's judgement of a server run, checked with fake servers: a harness that cannot see a
sanitizer report or a hung shutdown would let every other test pass for the wrong reason."""

import signal
import socket
import sys
import textwrap

import pytest

import server_process
from server_process import ServerProcess, ServerStartError
from wire import WireConn

FAKE_SERVER = textwrap.dedent("""\
    #!{python}
    # A stand-in server: listens on -l/-p like memfleetd, answers every line with VERSION,
    # and on SIGTERM behaves as MODE says.
    import os, signal, socket, sys, threading
    MODE = {mode!r}
    args = sys.argv[1:]
    port = int(args[args.index("-p") + 1])
    host = args[args.index("-l") + 1] if "-l" in args else "127.0.0.1"
    if MODE == "refuse":
        sys.stderr.write("bad flag\\n")
        sys.exit(64)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(16)
    def on_term(signum, frame):
        if MODE == "asan":
            sys.stderr.write("==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\\n")
            os._exit(1)
        if MODE == "ubsan":
            sys.stderr.write("server.cc:10:5: runtime error: signed integer overflow\\n")
            os._exit(0)
        if MODE == "hang":
            return
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    def serve(conn):
        with conn:
            for line in conn.makefile("rb"):
                conn.sendall(b"VERSION fake\\r\\n")
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
""")


def fake_server(tmp_path, mode):
    path = tmp_path / f"fake-{mode}"
    path.write_text(FAKE_SERVER.format(python=sys.executable, mode=mode))
    path.chmod(0o755)
    return path


def run_fake(tmp_path, mode):
    srv = ServerProcess(fake_server(tmp_path, mode), [], tmp_path, name=mode)
    srv.start()
    with WireConn(srv.addr) as c:
        assert c.version() == b"VERSION fake\r\n"
    srv.stop()
    return srv


def test_clean_exit_has_no_problems(tmp_path):
    assert run_fake(tmp_path, "clean").problems() == []


def test_sanitizer_report_is_a_problem(tmp_path):
    problems = run_fake(tmp_path, "asan").problems()
    assert any("exited with code 1" in p for p in problems), problems
    assert any("AddressSanitizer" in p for p in problems), problems


def test_ubsan_report_with_exit_zero_is_a_problem(tmp_path):
    problems = run_fake(tmp_path, "ubsan").problems()
    assert any("runtime error:" in p for p in problems), problems


def test_hung_shutdown_is_killed_and_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(server_process, "STOP_TIMEOUT", 1.0)
    srv = run_fake(tmp_path, "hang")
    assert srv.proc.returncode == -signal.SIGKILL
    assert any("SIGKILL" in p for p in srv.problems())


def test_refusal_to_start_is_reported_with_stderr(tmp_path):
    srv = ServerProcess(fake_server(tmp_path, "refuse"), [], tmp_path, name="refuse")
    with pytest.raises(ServerStartError, match="bad flag"):
        srv.start()


def test_missing_binary_is_reported(tmp_path):
    srv = ServerProcess(tmp_path / "no-such-binary", [], tmp_path)
    with pytest.raises(ServerStartError, match="does not exist"):
        srv.start()


def test_port_taken_by_another_process_is_retried(tmp_path, monkeypatch):
    """free_port() can race with another process; the fixture must neither talk to that process
    nor give up."""
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen(16)
    taken = squatter.getsockname()[1]
    ports = iter([taken])
    real_free_port = server_process.free_port
    monkeypatch.setattr(server_process, "free_port", lambda: next(ports, None) or real_free_port())
    try:
        srv = ServerProcess(fake_server(tmp_path, "clean"), [], tmp_path, name="retry")
        srv.start()
        assert srv.port != taken
        with WireConn(srv.addr) as c:
            assert c.version() == b"VERSION fake\r\n"
        srv.stop()
        assert srv.problems() == []
        assert "already in use" in srv.stderr_text().lower()
    finally:
        squatter.close()
