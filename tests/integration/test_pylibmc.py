"""pylibmc (python3-pylibmc, i.e. libmemcached) in text-protocol mode against the server."""

import pytest

pylibmc = pytest.importorskip("pylibmc")

from wire import WireConn, parse_values  # noqa: E402

MB = 1024 * 1024


def make_client(addr, **behaviors):
    host, port = addr
    b = {"cas": True, "connect_timeout": 10000, "receive_timeout": 10_000_000,
         "send_timeout": 10_000_000}
    b.update(behaviors)
    return pylibmc.Client([f"{host}:{port}"], binary=False, behaviors=b)


@pytest.fixture
def mc(module_server):
    c = make_client(module_server)
    assert c.flush_all() is True
    yield c
    c.disconnect_all()


def test_get_set_types(mc, module_server):
    assert mc.set("s", "text") is True
    assert mc.set("b", b"\x00bytes\r\n") is True
    assert mc.set("i", 42) is True
    assert mc.set("o", {"nested": [1, 2]}) is True
    assert mc.get("s") == "text"
    assert mc.get("b") == b"\x00bytes\r\n"
    assert mc.get("i") == 42
    assert mc.get("o") == {"nested": [1, 2]}
    assert mc.get("missing") is None
    # What libmemcached put on the wire reads back unchanged through the raw protocol.
    with WireConn(module_server) as c:
        values = parse_values(c.request(b"get b i\r\n"))
        assert values[b"b"][1] == b"\x00bytes\r\n"
        assert values[b"i"][1] == b"42"


def test_multi(mc):
    data = {f"k{i}": f"v{i}" for i in range(100)}
    assert mc.set_multi(data) == []
    assert mc.get_multi(list(data) + ["nope"]) == data
    assert mc.get_multi(["k1", "k2"], key_prefix="") == {"k1": "v1", "k2": "v2"}
    assert mc.set_multi({"a": "1", "b": "2"}, key_prefix="p_") == []
    assert mc.get_multi(["a", "b"], key_prefix="p_") == {"a": "1", "b": "2"}
    assert mc.get("p_a") == "1"
    assert mc.delete_multi(["k1", "k2"]) is True
    assert mc.delete_multi(["k1"]) is False
    assert mc.get_multi(["k1", "k2", "k3"]) == {"k3": "v3"}
    assert mc.add_multi({"k3": "x", "new": "y"}) == ["k3"]
    assert mc.get_multi(["k3", "new"]) == {"k3": "v3", "new": "y"}


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


def test_incr_decr(mc):
    mc.set("n", 10)
    assert mc.incr("n") == 11
    assert mc.incr("n", 5) == 16
    assert mc.decr("n", 20) == 0
    assert mc.get("n") == 0
    mc.set("n", "100")
    assert mc.decr("n", 1) == 99
    mc.set("w", "18446744073709551615")
    assert mc.incr("w", 2) == 1
    with pytest.raises(pylibmc.NotFound):
        mc.incr("missing")
    with pytest.raises(pylibmc.NotFound):
        mc.decr("missing")
    mc.set("t", "text")
    with pytest.raises(pylibmc.Error):
        mc.incr("t")
    mc.set_multi({"m1": "1", "m2": "2"})
    assert mc.incr_multi(["m1", "m2"], delta=5) is None
    assert mc.get_multi(["m1", "m2"]) == {"m1": "6", "m2": "7"}


def test_delete(mc):
    mc.set("d", "x")
    assert mc.delete("d") is True
    assert mc.delete("d") is False
    assert mc.get("d") is None


def test_touch(mc):
    mc.set("t", "x")
    assert mc.touch("t", 100) is True
    assert mc.touch("nope", 100) is False
    assert mc.get("t") == "x"


def test_cas_via_gets(mc):
    assert mc.gets("nope") == (None, None)
    mc.set("c", "v1")
    value, cas = mc.gets("c")
    assert value == "v1" and cas
    assert mc.cas("c", "v2", cas) is True
    assert mc.cas("c", "v3", cas) is False  # EXISTS
    assert mc.get("c") == "v2"
    with pytest.raises(pylibmc.NotFound):
        mc.cas("nope", "x", cas)


def test_flush_all(mc):
    mc.set_multi({"a": "1", "b": "2"})
    assert mc.flush_all() is True
    assert mc.get_multi(["a", "b"]) == {}


def test_large_values(mc):
    value = b"\xab" * (MB - 1024)
    assert mc.set("big", value) is True
    assert mc.get("big") == value
    with pytest.raises(pylibmc.TooBig):
        mc.set("big", b"x" * (MB + 1))
    assert mc.get("big") is None  # the server dropped the old item
    assert mc.set("after", "ok") is True and mc.get("after") == "ok"


def test_key_too_long_rejected_client_side(mc):
    with pytest.raises(ValueError):
        mc.set("k" * 251, "v")
    assert mc.set("k" * 250, "v") is True
    assert mc.get("k" * 250) == "v"


def test_get_stats(server):
    mc = make_client(server)
    try:
        mc.set("a", "1")
        mc.get("a")
        mc.get("b")
        stats = mc.get_stats()
        assert len(stats) == 1
        name, values = stats[0]
        assert f":{server[1]}".encode() in name
        assert int(values["get_hits"]) == 1
        assert int(values["get_misses"]) == 1
        assert int(values["curr_items"]) == 1
        assert int(values["limit_maxbytes"]) == 64 * MB
        assert int(values["pid"]) > 0
    finally:
        mc.disconnect_all()
