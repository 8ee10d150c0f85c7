"""Authentication: SASL PLAIN over the binary protocol (-S) and memcached's ASCII authentication
(-Y FILE), including wrong passwords and commands sent before authenticating.

-S: memfleetd reads its users from the file named by MEMCACHED_SASL_PWDB ("user:password" lines),
as a memcached built with --enable-sasl-pwdb does. Debian's memcached is built with Cyrus SASL but
without the password-file plugin, so against the reference the tests that need a successful login
are skipped; what happens before and without authentication is checked against it too (with a
SASL config that offers PLAIN, in SASL_CONF_PATH).

-Y: checked byte for byte against memcached 1.6.18.
"""

import os
import struct
import tempfile

import pytest

from server_process import is_reference, server_binary
from test_binary import (AUTH_ERROR, ERROR_TEXT, GET, NOOP, OK, SASL_AUTH, SASL_LIST_MECHS,
                         SASL_STEP, SET, STAT, VERSION, BinConn, frame, store_extras)
from wire import WireConn

USERS = "alice:secret\nbob:pw2:extra-field\n"


@pytest.fixture
def sasl_server(start_server, tmp_path, monkeypatch):
    pwdb = tmp_path / "pwdb"
    pwdb.write_text(USERS)
    conf = tmp_path / "sasl"
    conf.mkdir()
    (conf / "memcached.conf").write_text("mech_list: plain\n")
    monkeypatch.setenv("MEMCACHED_SASL_PWDB", str(pwdb))
    monkeypatch.setenv("SASL_CONF_PATH", str(conf))
    return start_server(["-S"])


def needs_login_support():
    if is_reference(server_binary()):
        pytest.skip("Debian's memcached has no password-file SASL plugin (no users to log in)")


def plain(user, password, authzid=b""):
    return authzid + b"\0" + user + b"\0" + password


def test_sasl_list_mechs_and_version_before_auth(sasl_server):
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_LIST_MECHS)
        assert r.status == OK and b"PLAIN" in r.value.split()
        r = c.call(VERSION)
        assert (r.status, r.value) == (OK, b"1.6.18")


@pytest.mark.parametrize("op,key,extras,value", [
    (GET, b"k", b"", b""),
    (SET, b"k", store_extras(), b"v"),
    (NOOP, b"", b"", b""),
    (STAT, b"", b"", b""),
])
def test_sasl_commands_before_auth_refused_and_closed(sasl_server, op, key, extras, value):
    with BinConn(sasl_server.addr) as c:
        r = c.call(op, key, extras, value, opaque=5)
        assert (r.op, r.status, r.value, r.opaque) == (op, AUTH_ERROR, ERROR_TEXT[AUTH_ERROR], 5)
        assert c.expect_closed() == b""


def test_sasl_wrong_password_user_or_mechanism(sasl_server):
    with BinConn(sasl_server.addr) as c:
        for mech, msg in [(b"PLAIN", plain(b"alice", b"wrong")),
                          (b"PLAIN", plain(b"mallory", b"secret")),
                          (b"PLAIN", plain(b"alice", b"secretX")),
                          (b"PLAIN", b"garbage")]:
            r = c.call(SASL_AUTH, mech, value=msg)
            assert (r.status, r.value) == (AUTH_ERROR, ERROR_TEXT[AUTH_ERROR]), (mech, msg)
        # A failed login leaves the connection open but unauthenticated.
        r = c.call(GET, b"k")
        assert r.status == AUTH_ERROR
        assert c.expect_closed() == b""


def test_sasl_step_without_start_fails(sasl_server):
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_STEP, b"PLAIN", value=plain(b"alice", b"secret"))
        assert r.status == AUTH_ERROR


def test_sasl_plain_login_then_commands(sasl_server):
    needs_login_support()
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"alice", b"secret"), opaque=9)
        assert (r.op, r.status, r.value, r.opaque) == (SASL_AUTH, OK, b"Authenticated", 9)
        assert c.call(SET, b"k", store_extras(3), b"v").status == OK
        r = c.call(GET, b"k")
        assert (r.status, r.value, r.extras) == (OK, b"v", struct.pack(">I", 3))
        s = c.stats()
        assert (s["auth_cmds"], s["auth_errors"]) == ("1", "0")
    with BinConn(sasl_server.addr) as c:
        # Extra ':' fields after the password are ignored; authzid equal to the user is fine.
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"bob", b"pw2", authzid=b"bob"))
        assert r.status == OK
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"bob", b"wrong"))
        assert r.status == AUTH_ERROR
        s = c.stats()  # still authenticated from the first login
        assert (s["auth_cmds"], s["auth_errors"]) == ("3", "1")


def test_sasl_authzid_for_another_user_refused(sasl_server):
    needs_login_support()
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"alice", b"secret", authzid=b"bob"))
        assert r.status == AUTH_ERROR


def test_sasl_text_connection_closed(sasl_server):
    with WireConn(sasl_server.addr) as c:
        c.send(b"get foo\r\nget foo\r\nget foo\r\n")
        assert c.expect_closed() == b""


def test_sasl_refuses_ascii_protocol(binary, tmp_path):
    from server_process import run_to_exit
    for proto in ("ascii", "auto"):
        result = run_to_exit(binary, ["-S", "-B", proto])
        assert result.returncode == 64
        assert "ERROR: You cannot allow the ASCII protocol while using SASL." in result.stderr


@pytest.mark.memfleet_only
def test_sasl_without_password_file_refuses_to_start(binary, monkeypatch):
    from server_process import run_to_exit
    monkeypatch.delenv("MEMCACHED_SASL_PWDB", raising=False)
    result = run_to_exit(binary, ["-S", "-p", "0"])
    assert result.returncode != 0
    assert "MEMCACHED_SASL_PWDB" in result.stderr


# ---- ASCII authentication (-Y) -----------------------------------------------------------------

@pytest.fixture
def ascii_auth_server(start_server):
    # memcached reads the file after dropping to -u nobody: it must not sit in pytest's private
    # (0700) temporary directory.
    fd, path = tempfile.mkstemp(prefix="memfleet-authfile-")
    try:
        os.write(fd, b"alice:secret\nbob:pw2\n")
        os.close(fd)
        os.chmod(path, 0o644)
        yield start_server(["-Y", path])
    finally:
        os.unlink(path)


def auth_token(user, password):
    data = user + b" " + password
    return b"set auth 0 0 %d\r\n%s\r\n" % (len(data), data)


def ask(c, data):
    """Sends data and returns the one-line reply (WireConn.request's VERSION sentinel would itself
    be refused before authentication)."""
    c.send(data)
    return c.read_line()


def test_ascii_auth_commands_before_auth(ascii_auth_server):
    with WireConn(ascii_auth_server.addr) as c:
        for cmd in (b"get foo\r\n", b"version\r\n", b"stats\r\n", b"delete foo\r\n"):
            assert ask(c, cmd) == b"CLIENT_ERROR unauthenticated\r\n", cmd
        # A set whose data is not "user password" is a bad token, not a store.
        assert (ask(c, b"set a 0 0 5\r\nalice\r\n") ==
                b"CLIENT_ERROR bad authentication token format\r\n")
        assert ask(c, b"get a\r\n") == b"CLIENT_ERROR unauthenticated\r\n"


def test_ascii_auth_wrong_then_good(ascii_auth_server):
    with WireConn(ascii_auth_server.addr) as c:
        assert (ask(c, auth_token(b"alice", b"wrong")) ==
                b"CLIENT_ERROR authentication failure\r\n")
        assert (ask(c, auth_token(b"mallory", b"secret")) ==
                b"CLIENT_ERROR authentication failure\r\n")
        assert ask(c, b"get foo\r\n") == b"CLIENT_ERROR unauthenticated\r\n"
        assert ask(c, auth_token(b"alice", b"secret")) == b"STORED\r\n"
        assert c.request(b"set k 0 0 1\r\nv\r\n") == b"STORED\r\n"
        assert c.request(b"get k\r\n") == b"VALUE k 0 1\r\nv\r\nEND\r\n"
        # The token was not stored as an item.
        assert c.request(b"get auth\r\n") == b"END\r\n"
        stats = c.stats()
        assert (stats["auth_cmds"], stats["auth_errors"]) == ("3", "2")


def test_ascii_auth_bad_termination(ascii_auth_server):
    with WireConn(ascii_auth_server.addr) as c:
        assert (ask(c, b"set a 0 0 12\r\nalice secretXY") ==
                b"CLIENT_ERROR bad command line termination\r\n")
        assert ask(c, auth_token(b"bob", b"pw2")) == b"STORED\r\n"


def test_ascii_auth_each_connection_authenticates(ascii_auth_server):
    with WireConn(ascii_auth_server.addr) as c:
        assert ask(c, auth_token(b"bob", b"pw2")) == b"STORED\r\n"
        assert c.version().startswith(b"VERSION ")
    with WireConn(ascii_auth_server.addr) as c:
        assert ask(c, b"version\r\n") == b"CLIENT_ERROR unauthenticated\r\n"


def test_ascii_auth_refuses_binary(binary, tmp_path):
    from server_process import run_to_exit
    auth = tmp_path / "authfile"
    auth.write_text("alice:secret\n")
    result = run_to_exit(binary, ["-Y", str(auth), "-B", "binary"])
    assert result.returncode == 64
    assert "You cannot allow the BINARY protocol while using ascii authentication" in result.stderr
