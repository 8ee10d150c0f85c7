"""Authentication: SASL PLAIN over the binary protocol (-S) and memcached's ASCII authentication
(-Y FILE), including wrong passwords and commands sent before authenticating.

-S: memfleetd reads its users from the file named by MEMCACHED_SASL_PWDB ("user:password" lines),
as a memcached built with --enable-sasl-pwdb does. Debian's memcached is built with Cyrus SASL
without that option, so against the reference the same users are put in a Cyrus sasldb with
saslpasswd2 (package sasl2-bin) and offered through a SASL_CONF_PATH config ("mech_list: plain").
Without saslpasswd2 the reference runs only the tests that need no successful login.

-Y: checked byte for byte against memcached 1.6.18.

memcached runs as `-u nobody` and reads these files after dropping privileges, so they live in a
world-readable temporary directory, not in pytest's private one.
"""

import os
import shutil
import struct
import subprocess
import tempfile

import pytest

from server_process import is_reference, server_binary
from test_binary import (AUTH_ERROR, ERROR_TEXT, GET, NOOP, OK, SASL_AUTH, SASL_LIST_MECHS,
                         SASL_STEP, SET, STAT, VERSION, BinConn, frame, store_extras)
from wire import WireConn

# (user, password, line in MEMCACHED_SASL_PWDB)
USERS = [("alice", "secret", "alice:secret"), ("bob", "pw2", "bob:pw2:extra-field")]


@pytest.fixture
def shared_dir():
    path = tempfile.mkdtemp(prefix="memfleet-auth-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _make_sasldb(directory):
    """A Cyrus sasldb with USERS for the reference server; False when saslpasswd2 is missing."""
    tool = shutil.which("saslpasswd2") or ("/usr/sbin/saslpasswd2"
                                            if os.path.exists("/usr/sbin/saslpasswd2") else None)
    if tool is None:
        return False
    db = os.path.join(directory, "sasldb")
    for user, password, _ in USERS:
        subprocess.run([tool, "-p", "-c", "-a", "memcached", "-f", db, user],
                       input=password.encode(), check=True, timeout=30)
    os.chmod(db, 0o644)
    with open(os.path.join(directory, "memcached.conf"), "a") as f:
        f.write(f"sasldb_path: {db}\n")
    return True


@pytest.fixture
def sasl_server(start_server, shared_dir, monkeypatch):
    pwdb = os.path.join(shared_dir, "pwdb")
    with open(pwdb, "w") as f:
        f.write("".join(line + "\n" for _, _, line in USERS))
    with open(os.path.join(shared_dir, "memcached.conf"), "w") as f:
        f.write("mech_list: plain\n")
    logins = not is_reference(server_binary()) or _make_sasldb(shared_dir)
    for name in ("memcached.conf", "pwdb"):
        os.chmod(os.path.join(shared_dir, name), 0o644)
    monkeypatch.setenv("MEMCACHED_SASL_PWDB", pwdb)
    monkeypatch.setenv("SASL_CONF_PATH", shared_dir)
    srv = start_server(["-S"])
    srv.logins = logins
    return srv


def needs_login_support(srv):
    if not srv.logins:
        pytest.skip("reference memcached needs saslpasswd2 (sasl2-bin) for a user to log in")


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
    needs_login_support(sasl_server)
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"alice", b"secret"), opaque=9)
        assert (r.op, r.status, r.value, r.opaque) == (SASL_AUTH, OK, b"Authenticated", 9)
        assert c.call(SET, b"k", store_extras(3), b"v").status == OK
        r = c.call(GET, b"k")
        assert (r.status, r.value, r.extras) == (OK, b"v", struct.pack(">I", 3))
        s = c.stats()
        assert (s["auth_cmds"], s["auth_errors"]) == ("1", "0")
    with BinConn(sasl_server.addr) as c:
        # (memfleetd: extra ':' fields after the password in the file are ignored.)
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"bob", b"pw2"))
        assert r.status == OK
        assert c.call(NOOP).status == OK
        # A failed login after a good one leaves the connection unauthenticated.
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"bob", b"wrong"))
        assert r.status == AUTH_ERROR
        assert c.call(NOOP).status == AUTH_ERROR
        assert c.expect_closed() == b""
    with BinConn(sasl_server.addr) as c:
        # An authorization identity equal to the user is accepted.
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"alice", b"secret", authzid=b"alice"))
        assert r.status == OK
        s = c.stats()  # alice, bob, bob (wrong), alice
        assert (s["auth_cmds"], s["auth_errors"]) == ("4", "1")


def test_sasl_authzid_refused(sasl_server):
    needs_login_support(sasl_server)
    # Acting as another user (proxy authorization) is refused.
    with BinConn(sasl_server.addr) as c:
        r = c.call(SASL_AUTH, b"PLAIN", value=plain(b"alice", b"secret", authzid=b"bob"))
        assert r.status == AUTH_ERROR
        assert c.call(NOOP).status == AUTH_ERROR


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
