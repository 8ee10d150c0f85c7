"""memfleet-router as a process: its help, config validation, flag errors, pid file, daemon mode,
the config given inline or as mcrouter's file:PATH, several listen addresses, a unix socket, and
the connection limit."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from router_fixture import (HOST, fleet_factory, pool_config, router_binary,  # noqa: F401
                            wait_for_version)
from server_process import free_port, run_to_exit
from wire import WireConn

# Every flag issue 11 names, in at least one of its spellings each (and the aliases it names).
ISSUE_FLAGS = ["-p", "--port", "-l", "--listen", "-s", "-t", "--num-threads", "--num-proxies",
               "-c", "--config-file", "-f", "--config", "--config-str", "--validate-config",
               "--server-timeout", "--connect-timeout", "-d", "-P", "-h", "--enable-flush-cmd",
               "-I", "--max-item-size", "--metrics-port"]


def run_router(args, timeout=30.0):
    return run_to_exit(router_binary(), args, timeout=timeout, with_base_args=False)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def roundtrip(addr, key=b"proc-key", value=b"v"):
    with WireConn(addr) as c:
        assert c.request(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)) == b"STORED\r\n"
        assert c.request(b"get %s\r\n" % key) == b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (
            key, len(value), value)


@pytest.fixture
def backend(fleet_factory):  # noqa: F811
    srv = fleet_factory.backend("memfleetd")
    return f"{srv.host}:{srv.port}"


def test_help_lists_every_flag():
    run = run_router(["-h"])
    assert run.returncode == 0, run.stderr
    tokens = set(run.stdout.replace(",", " ").split())
    missing = [f for f in ISSUE_FLAGS if f not in tokens]
    assert not missing, f"-h does not list {missing}:\n{run.stdout}"
    assert run_router(["--help"]).stdout == run.stdout


def test_validate_config_ok_starts_nothing(tmp_path, backend):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(pool_config([backend])))
    port = free_port()
    run = run_router(["--validate-config", "--config-file", str(path), "-p", str(port),
                      "-l", HOST])
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "ok"
    assert port_is_free(port), "--validate-config opened its listener"


@pytest.mark.parametrize("text", ["{\"pools\": {\"A\": {\"servers\": [", "not json at all"])
def test_validate_config_reports_a_bad_config(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    port = free_port()
    run = run_router(["--validate-config", "--config-file", str(path), "-p", str(port)])
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ok" not in run.stdout.split()
    assert run.stderr.strip(), "no error message"
    assert port_is_free(port)


def test_validate_config_reports_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.json"
    run = run_router(["--validate-config", "--config-file", str(path)])
    assert run.returncode == 1
    assert str(path) in run.stderr


def test_validate_config_str(backend):
    run = run_router(["--validate-config", "--config-str", json.dumps(pool_config([backend]))])
    assert run.returncode == 0 and run.stdout.strip().splitlines()[-1] == "ok", run.stderr
    run = run_router(["--validate-config", "--config-str", "{"])
    assert run.returncode == 1 and run.stderr.strip()


@pytest.mark.parametrize("args, word", [
    (["--no-such-flag"], "--no-such-flag"),
    (["-x"], "-x"),
    (["--port"], "--port"),
    (["-p", "notaport", "--config-str", "{}"], "notaport"),
    (["-t", "0", "--config-str", "{}"], "0"),
    (["--config", "http://example", "--config-str", "{}"], "file:"),
    ([], "config"),
    (["--config-str", "{}", "--config-file", "/tmp/x.json"], "config"),
])
def test_bad_flags_exit_non_zero_with_a_message(args, word):
    run = run_router(args)
    assert run.returncode not in (0, None), run.stdout + run.stderr
    assert word in run.stderr, run.stderr


def test_pid_file(fleet_factory, backend, tmp_path):  # noqa: F811
    pid_path = tmp_path / "router.pid"
    router = fleet_factory.router(pool_config([backend]), ["-P", str(pid_path)])
    assert pid_path.read_text().strip() == str(router.pid)
    roundtrip(router.addr)
    fleet_factory.forget(router)  # stopped and judged here
    assert router.stop() == 0
    assert router.problems() == []
    assert not pid_path.exists(), "the pid file outlived the router"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


def test_daemonize(backend, tmp_path):
    config = tmp_path / "d.json"
    config.write_text(json.dumps(pool_config([backend])))
    pid_path = tmp_path / "daemon.pid"
    port = free_port()
    run = run_router(["-d", "-P", str(pid_path), "-p", str(port), "-l", HOST, "-t", "1",
                      "--config-file", str(config)])
    assert run.returncode == 0, run.stderr
    deadline = time.monotonic() + 20
    while not (pid_path.exists() and pid_path.read_text().strip()) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_path.read_text().strip())
    try:
        assert pid != os.getpid()
        wait_for_version((HOST, port))
        roundtrip((HOST, port), b"daemon-key")
    finally:
        os.kill(pid, signal.SIGTERM)  # the daemon we started, by the pid it wrote
        deadline = time.monotonic() + 20
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the daemon did not exit on SIGTERM")
    assert not pid_path.exists(), "the daemon left its pid file behind"


def test_config_str(fleet_factory, backend):  # noqa: F811
    router = fleet_factory.router(None, ["--config-str", json.dumps(pool_config([backend]))])
    roundtrip(router.addr, b"config-str-key")


def test_config_file_colon_path(fleet_factory, backend, tmp_path):  # noqa: F811
    path = tmp_path / "mcrouter-style.json"
    path.write_text(json.dumps(pool_config([backend])))
    router = fleet_factory.router(None, ["--config", f"file:{path}"])
    roundtrip(router.addr, b"config-file-key")
    # -f is --config-file
    router = fleet_factory.router(None, ["-f", str(path)])
    roundtrip(router.addr, b"dash-f-key")


def test_listen_on_two_addresses(fleet_factory, backend):  # noqa: F811
    router = fleet_factory.router(pool_config([backend]), ["-l", "127.0.0.1", "-l", "127.0.0.2"])
    for host in ("127.0.0.1", "127.0.0.2"):
        wait_for_version((host, router.port))
        roundtrip((host, router.port), f"listen-{host}".encode())


def test_unix_socket(fleet_factory, backend, tmp_path):  # noqa: F811
    path = str(tmp_path / "router.sock")
    fleet_factory.router(pool_config([backend]), ["-s", path])
    assert Path(path).exists()
    roundtrip(path, b"unix-key")


def test_connection_limit(fleet_factory, backend):  # noqa: F811
    router = fleet_factory.router(pool_config([backend]), ["-c", "5"])
    conns = [WireConn(router.addr) for _ in range(5)]
    try:
        for c in conns:  # each is served (and counted) before the next
            assert c.version().startswith(b"VERSION ")
        with WireConn(router.addr) as sixth:
            assert sixth.expect_closed() == b"ERROR Too many open connections\r\n"
        conns.pop().close()
        # Once the router has seen the close, a new client is served again (bounded retries).
        deadline = time.monotonic() + 20
        while True:
            c = WireConn(router.addr)
            c.send(b"version\r\n")
            line = c.read_line()
            if line.startswith(b"VERSION "):
                conns.append(c)
                break
            c.close()
            assert line == b"ERROR Too many open connections\r\n"
            assert time.monotonic() < deadline, "the router never served a new client again"
            time.sleep(0.05)
        assert int(conns[-1].stats()["rejected_connections"]) >= 1
    finally:
        for c in conns:
            c.close()
