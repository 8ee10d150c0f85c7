"""pymemcache (python3-pymemcache) against the server: every command the client offers."""

import pytest
from pymemcache.client.base import Client
from pymemcache.exceptions import (MemcacheClientError, MemcacheIllegalInputError,
                                   MemcacheServerError, MemcacheUnknownCommandError)

from wire import WireConn

MB = 1024 * 1024


def make_client(addr, **kw):
    kw.setdefault("default_noreply", False)
    return Client(addr, connect_timeout=10, timeout=10, **kw)


@pytest.fixture
def mc(module_server):
    """A client of the module's shared server, emptied first."""
    c = make_client(module_server)
    assert c.flush_all() is True
    yield c
    c.close()


def test_set_get_str_and_bytes(mc):
    assert mc.set("k", "value") is True
    assert mc.get("k") == b"value"
    assert mc.set(b"kb", b"\x00\x01\xff") is True
    assert mc.get(b"kb") == b"\x00\x01\xff"
    assert mc.get("missing") is None
    assert mc.get("missing", default=b"d") == b"d"


def test_flags_round_trip(mc):
    assert mc.set("f", b"v", flags=4294967295)
    with WireConn(mc.server) as c:
        assert c.request(b"get f\r\n") == b"VALUE f 4294967295 1\r\nv\r\nEND\r\n"


def test_set_many_get_many(mc):
    data = {f"key{i}": f"value{i}".encode() for i in range(50)}
    assert mc.set_many(data) == []
    got = mc.get_many(list(data) + ["nope1", "nope2"])
    assert got == data
    assert mc.get_multi(["key1", "key2"]) == {"key1": b"value1", "key2": b"value2"}
    assert mc.get_many([]) == {}


def test_gets_and_cas(mc):
    assert mc.gets("nope") == (None, None)
    mc.set("c", "1")
    value, cas = mc.gets("c")
    assert value == b"1" and cas is not None
    assert mc.cas("c", "2", cas) is True
    assert mc.cas("c", "3", cas) is False  # stale unique: EXISTS
    assert mc.get("c") == b"2"
    assert mc.cas("never", "x", cas) is None  # NOT_FOUND
    mc.set("d", "4")
    many = mc.gets_many(["c", "d", "nope"])
    assert set(many) == {"c", "d"}
    assert many["c"][0] == b"2" and many["d"][0] == b"4"
    assert many["c"][1] != many["d"][1]


def test_add_replace_append_prepend(mc):
    assert mc.add("a", "1") is True
    assert mc.add("a", "2") is False
    assert mc.replace("a", "3") is True
    assert mc.replace("r", "x") is False
    assert mc.get("r") is None
    assert mc.append("a", "4") is True
    assert mc.prepend("a", "2") is True
    assert mc.get("a") == b"234"
    assert mc.append("nope", "x") is False
    assert mc.prepend("nope", "x") is False


def test_delete_and_delete_many(mc):
    mc.set_many({"d1": "1", "d2": "2", "d3": "3"})
    assert mc.delete("d1") is True
    assert mc.delete("d1") is False
    assert mc.delete_many(["d2", "d3", "nope"]) is True
    assert mc.get_many(["d1", "d2", "d3"]) == {}


def test_incr_decr(mc):
    assert mc.incr("n", 1) is None
    assert mc.decr("n", 1) is None
    mc.set("n", "10")
    assert mc.incr("n", 5) == 15
    assert mc.decr("n", 3) == 12
    assert mc.decr("n", 100) == 0
    mc.set("n", "18446744073709551615")
    assert mc.incr("n", 1) == 0
    mc.set("n", "100")
    assert mc.decr("n", 1) == 99
    assert mc.get("n") == b"99 "
    mc.set("s", "abc")
    with pytest.raises(MemcacheClientError, match="non-numeric"):
        mc.incr("s", 1)
    with pytest.raises(MemcacheClientError, match="invalid numeric delta argument"):
        mc.incr("n", -1)


def test_touch(mc):
    mc.set("t", "x")
    assert mc.touch("t", 100) is True
    assert mc.touch("nope", 100) is False
    assert mc.get("t") == b"x"


def test_flush_all(mc):
    mc.set("a", "1")
    assert mc.flush_all() is True
    assert mc.get("a") is None
    mc.set("b", "1")
    assert mc.flush_all(noreply=True) is True
    assert mc.get("b") is None


def test_version(mc):
    v = mc.version()
    assert isinstance(v, bytes) and v and b" " not in v
    with WireConn(mc.server) as c:
        assert c.version() == b"VERSION " + v + b"\r\n"


def test_stats(server):
    mc = make_client(server)
    mc.set("a", "1")
    mc.get("a")
    mc.get("b")
    s = mc.stats()
    assert s[b"cmd_set"] >= 1 and s[b"get_hits"] == 1 and s[b"get_misses"] == 1
    assert s[b"curr_items"] == 1
    assert s[b"version"] == mc.version()
    settings = mc.stats("settings")
    assert settings[b"maxbytes"] == 64 * MB
    assert settings[b"tcpport"] == mc.server[1]
    items = mc.stats("items")
    assert any(k.startswith(b"items:") and k.endswith(b":number") and v == 1
               for k, v in items.items()), items
    slabs = mc.stats("slabs")
    assert b"active_slabs" in slabs and b"total_malloced" in slabs
    assert slabs[b"active_slabs"] >= 1
    mc.close()


def test_quit_then_reconnect(mc):
    mc.set("q", "1")
    assert mc.quit() is None
    assert mc.get("q") == b"1"  # pymemcache reconnects transparently


def test_noreply_default(module_server):
    server = module_server
    c = make_client(server, default_noreply=True)
    try:
        assert c.set("a", "1") is True
        assert c.add("a", "2") is True  # noreply: the client cannot know
        assert c.append("a", "3") is True
        assert c.prepend("a", "0") is True
        assert c.replace("a", "9") is True
        assert c.incr("n", 1, noreply=True) is None
        assert c.delete("x") is True
        assert c.touch("a", 100) is True
        assert c.set_many({"m1": "1", "m2": "2"}) == []
        assert c.get("a") == b"9"
        assert c.get_many(["m1", "m2"]) == {"m1": b"1", "m2": b"2"}
        # The connection is in sync: no stray replies were left behind.
        with WireConn(server) as w:
            assert w.request(b"get a\r\n") == b"VALUE a 0 1\r\n9\r\nEND\r\n"
        assert c.version()
    finally:
        c.close()


def test_binary_safe_values(mc):
    value = bytes(range(256)) * 4 + b"\r\nEND\r\n\r\nVALUE x 0 1\r\n"
    assert mc.set("bin", value)
    assert mc.get("bin") == value
    assert mc.get_many(["bin", "bin2"]) == {"bin": value}


@pytest.mark.parametrize("size", [MB - 1024, 512 * 1024 + 1, 100 * 1000])
def test_large_values_under_limit(mc, size):
    value = bytes((i * 7) & 0xFF for i in range(256)) * (size // 256) + b"z" * (size % 256)
    assert len(value) == size
    assert mc.set("big", value) is True
    assert mc.get("big") == value


def test_value_over_limit_rejected(mc):
    mc.set("big", "small")
    with pytest.raises(MemcacheServerError, match="object too large for cache"):
        mc.set("big", b"x" * (MB + 1))
    assert mc.get("big") is None  # the old item is gone
    assert mc.set("after", "ok") and mc.get("after") == b"ok"  # connection still in sync


def test_item_size_limit_flag(start_server):
    srv = start_server(["-m", "16", "-I", "2m"])
    c = make_client((srv.host, srv.port))
    try:
        value = b"v" * (2 * MB - 1024)
        assert c.set("big", value) is True
        assert c.get("big") == value
        with pytest.raises(MemcacheServerError, match="object too large for cache"):
            c.set("big2", b"x" * (2 * MB + 1))
        assert c.stats("settings")[b"item_size_max"] == 2 * MB
    finally:
        c.close()


def test_keys_rejected_client_side(mc):
    for bad in ["ü", "a b", "a\r\nb", "k" * 251]:
        with pytest.raises(MemcacheIllegalInputError):
            mc.set(bad, "x")
    assert mc.set("k" * 250, "x") is True
    assert mc.get("k" * 250) == b"x"


def test_utf8_keys_when_allowed(module_server):
    server = module_server
    c = make_client(server, allow_unicode_keys=True)
    try:
        assert c.set("clé-ü-日本", "v") is True
        assert c.get("clé-ü-日本") == b"v"
        with WireConn(server) as w:
            assert w.request("get clé-ü-日本\r\n".encode()) == \
                "VALUE clé-ü-日本 0 1\r\nv\r\nEND\r\n".encode()
    finally:
        c.close()


def test_cache_memlimit(mc):
    assert mc.cache_memlimit(100) is True
    assert mc.stats()[b"limit_maxbytes"] == 100 * MB


def test_shutdown_needs_A(start_server, module_server):
    server = module_server
    c = make_client(server)
    try:
        # "ERROR: shutdown not enabled" (pymemcache maps lines starting with ERROR to this).
        with pytest.raises(MemcacheUnknownCommandError):
            c.shutdown()
        assert c.set("still", "up") and c.get("still") == b"up"
    finally:
        c.close()
    srv = start_server(["-A"])
    c = make_client((srv.host, srv.port))
    try:
        c.shutdown()
    finally:
        c.close()
    assert srv.wait(timeout=15) == 0
