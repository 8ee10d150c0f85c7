"""python-memcache (python3-memcache, `import memcache`) against the server."""

import pytest

memcache = pytest.importorskip("memcache")

from wire import WireConn  # noqa: E402

MB = 1024 * 1024


def make_client(addr, **kw):
    host, port = addr
    kw.setdefault("socket_timeout", 10)
    return memcache.Client([f"{host}:{port}"], **kw)


@pytest.fixture
def mc(module_server):
    c = make_client(module_server, cache_cas=True)
    c.flush_all()
    yield c
    c.disconnect_all()


def test_get_set_types(mc, module_server):
    assert mc.set("s", "text") is True
    assert mc.set("b", b"\x00\r\nEND\r\n") is True
    assert mc.set("i", 5) is True
    assert mc.set("o", {"x": [1, 2]}) is True
    assert mc.set("t", "with ttl", time=100) is True
    assert mc.get("s") == "text"
    assert mc.get("b") == b"\x00\r\nEND\r\n"
    assert mc.get("i") == 5
    assert mc.get("o") == {"x": [1, 2]}
    assert mc.get("t") == "with ttl"
    assert mc.get("nope") is None
    with WireConn(module_server) as c:
        assert c.request(b"get b\r\n") == b"VALUE b 0 8\r\n\x00\r\nEND\r\n\r\nEND\r\n"


def test_multi(mc):
    data = {f"k{i}": f"v{i}" for i in range(100)}
    assert mc.set_multi(data) == []
    assert mc.get_multi(list(data) + ["nope"]) == data
    assert mc.set_multi({"a": "1", "b": "2"}, key_prefix="p_") == []
    assert mc.get_multi(["a", "b", "c"], key_prefix="p_") == {"a": "1", "b": "2"}
    assert mc.get("p_a") == "1"
    assert mc.delete_multi(["k1", "k2"]) == 1
    assert mc.get_multi(["k1", "k2", "k3"]) == {"k3": "v3"}


def test_add_replace_append_prepend(mc):
    assert mc.add("a", "1") is True
    assert mc.add("a", "2") is False
    assert mc.replace("a", "3") is True
    assert mc.replace("nope", "3") is False
    assert mc.append("a", "4") is True
    assert mc.prepend("a", "2") is True
    assert mc.get("a") == "234"
    assert mc.append("nope", "x") is False
    assert mc.prepend("nope", "x") is False
    assert mc.get("nope") is None


def test_incr_decr(mc):
    assert mc.incr("n") is None
    assert mc.decr("n") is None
    mc.set("n", "10")
    assert mc.incr("n") == 11
    assert mc.incr("n", 5) == 16
    assert mc.decr("n", 20) == 0
    mc.set("n", "100")
    assert mc.decr("n") == 99
    assert mc.get("n") == "99 "  # the server pads in place
    mc.set("w", "18446744073709551615")
    assert mc.incr("w", 2) == 1


def test_delete(mc, module_server):
    mc.set("d", "x")
    assert mc.delete("d") == 1
    assert mc.get("d") is None
    # python-memcache reports success for NOT_FOUND too; check the key really is gone.
    with WireConn(module_server) as c:
        assert c.request(b"delete d\r\n") == b"NOT_FOUND\r\n"


def test_touch(mc):
    mc.set("t", "x")
    assert mc.touch("t", 100) == 1
    assert mc.touch("nope", 100) == 0
    assert mc.get("t") == "x"


def test_gets_cas(mc, module_server):
    mc.set("c", "v1")
    assert mc.gets("c") == "v1"
    assert mc.cas("c", "v2") is True
    assert mc.get("c") == "v2"
    # A second client that read before our write loses its cas.
    other = make_client(module_server, cache_cas=True)
    try:
        assert other.gets("c") == "v2"
        assert mc.set("c", "v3") is True
        assert other.cas("c", "lost") is False
        assert mc.get("c") == "v3"
    finally:
        other.disconnect_all()


def test_noreply(mc):
    assert mc.set("nr", "v", noreply=True) is True
    assert mc.add("nr2", "w", noreply=True) is True
    assert mc.get_multi(["nr", "nr2"]) == {"nr": "v", "nr2": "w"}


def test_flush_all(mc):
    mc.set("a", "1")
    mc.flush_all()
    assert mc.get("a") is None


def test_large_values(mc, module_server):
    value = b"\xcd" * (MB - 1024)
    assert mc.set("big", value) is True
    assert mc.get("big") == value
    # Past the client's own limit: refused without contacting the server.
    assert not mc.set("big", b"x" * (MB + 1))
    # A client configured for larger values hears the server's refusal.
    big_client = make_client(module_server, server_max_value_length=4 * MB)
    try:
        assert not big_client.set("big", b"x" * (MB + 1))
        assert big_client.get("big") is None
        assert big_client.set("after", "ok") is True
        assert big_client.get("after") == "ok"
    finally:
        big_client.disconnect_all()


def test_keys(mc):
    with pytest.raises(memcache.Client.MemcachedKeyLengthError):
        mc.set("k" * 251, "v")
    with pytest.raises(memcache.Client.MemcachedKeyCharacterError):
        mc.set("a b", "v")
    assert mc.set("k" * 250, "v") is True
    assert mc.get("k" * 250) == "v"
    assert mc.set("é-日本", "utf8 key") is True  # python-memcache sends UTF-8 bytes
    assert mc.get("é-日本") == "utf8 key"


def test_get_stats(server):
    mc = make_client(server)
    try:
        mc.set("a", "1")
        mc.get("a")
        mc.get("b")
        (name, stats), = mc.get_stats()
        assert name.startswith(f"127.0.0.1:{server[1]}")
        assert int(stats["get_hits"]) == 1 and int(stats["get_misses"]) == 1
        assert int(stats["cmd_set"]) == 1 and int(stats["curr_items"]) == 1
        (_, settings), = mc.get_stats("settings")
        assert int(settings["maxbytes"]) == 64 * MB
        assert int(settings["tcpport"]) == server[1]
        (_, items), = mc.get_stats("items")
        assert any(k.endswith(":number") and v == "1" for k, v in items.items()), items
        (_, slabs), = mc.get_stats("slabs")
        assert "active_slabs" in slabs and "total_malloced" in slabs
    finally:
        mc.disconnect_all()
