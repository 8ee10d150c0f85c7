"""Real memcached clients through memfleet-router, in front of three memfleetd and in front of three
Debian memcached: each client runs one scenario against a single memcached directly and through
the router, and both runs must record the same results.

The scenario (every client, as far as its API goes): set and multi-get of 200 keys, a partial
multi-get, add/replace/append/prepend on present and missing keys, gets/cas (fresh, stale,
missing), incr/decr (with a missing and a non-numeric key), delete, touch, a 500 KB value, flags
(the client's own type flags, or explicit ones), a value over the 1 MB item limit, and the
noreply forms the client has. CAS unique values differ between servers, so only "a cas value came
back" is recorded, never the number.

The keys written through the router are then read directly from the server the router names for
each (`get __memfleet__.route(get,KEY)`): router and servers must agree, whichever hash the
config loader uses. memccapable (libmemcached's conformance tool) runs its ASCII and binary tests
through a router started with --enable-flush-cmd, and must pass what it passes against memcached.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from typing import Callable, List, Tuple

import pytest

from router_fixture import MEMCACHED, fleet_factory, module_fleet_factory  # noqa: F401 (fixtures)
from server_process import check_executable

pytestmark = pytest.mark.skipif(check_executable(MEMCACHED) is not None,
                                reason="Debian memcached (the oracle) is not installed")

NKEYS = 200
BIG = random.Random(7).randbytes(500 * 1024)
TOO_BIG = b"z" * (1024 * 1024 + 10)


@pytest.fixture(scope="module", params=["memfleetd", "memcached"])
def fleet(request, module_fleet_factory):  # noqa: F811
    return module_fleet_factory.fleet(request.param)


@pytest.fixture(scope="module")
def direct(module_fleet_factory):  # noqa: F811
    """One Debian memcached, the oracle the router's results are compared with."""
    srv = module_fleet_factory.backend("memcached", name="direct-memcached")
    return (srv.host, srv.port)


class Recorder:
    """Collects (step, outcome) pairs; an exception is an outcome too (its class and text)."""

    def __init__(self):
        self.steps: List[Tuple[str, object]] = []

    def __call__(self, name: str, fn: Callable, *args, **kw):
        try:
            out = fn(*args, **kw)
        except Exception as e:  # the outcome under comparison
            out = ("raised", type(e).__name__, str(e))
        self.steps.append((name, out))
        return out

    def note(self, name: str, value):
        self.steps.append((name, value))


def compare(direct_steps, router_steps, what: str) -> None:
    assert len(direct_steps) == len(router_steps), (what, direct_steps, router_steps)
    diffs = [f"  {d[0]}: direct {d[1]!r:.300} / router {r[1]!r:.300}"
             for d, r in zip(direct_steps, router_steps) if d != r]
    assert not diffs, f"{what}: the router's results differ from memcached's:\n" + "\n".join(diffs)


def run_both(scenario, direct_addr, fleet, prefix: str):
    d = scenario(direct_addr, prefix)
    r = scenario(fleet.addr, prefix)
    compare(d, r, f"{scenario.__name__} (router in front of {fleet.kind})")
    fleet.check_router_alive()
    return d


def keys_of(prefix: str) -> List[str]:
    return [f"{prefix}k{i}" for i in range(NKEYS)]


# ---- pymemcache ----------------------------------------------------------------------------------


def pymemcache_scenario(addr, p):
    from pymemcache.client.base import Client
    c = Client(addr, connect_timeout=10, timeout=20,
               deserializer=lambda key, value, flags: (value, flags))
    rec = Recorder()
    keys = keys_of(p)
    rec("set_many", c.set_many, {k: f"value-{k}".encode() for k in keys}, noreply=False)
    got = rec("get_many", c.get_many, keys)
    assert len(got) == NKEYS and got[keys[5]] == (f"value-{keys[5]}".encode(), 0)
    rec("get_many partial", c.get_many, [keys[0], p + "missing", keys[-1], keys[0]])
    rec("get miss", c.get, p + "missing")
    rec("add existing", c.add, keys[0], b"x", noreply=False)
    rec("add new", c.add, p + "a", b"x", noreply=False)
    rec("replace missing", c.replace, p + "missing", b"x", noreply=False)
    rec("replace", c.replace, p + "a", b"y", flags=3, noreply=False)
    rec("append", c.append, p + "a", b"+", noreply=False)
    rec("prepend", c.prepend, p + "a", b"-", noreply=False)
    rec("append missing", c.append, p + "missing", b"+", noreply=False)
    rec("prepend missing", c.prepend, p + "missing", b"+", noreply=False)
    assert rec("get a", c.get, p + "a") == (b"-y+", 3)
    value, cas = c.gets(p + "a")
    rec.note("gets", (value, cas is not None))
    assert rec("cas", c.cas, p + "a", b"z", cas, noreply=False) is True
    rec("cas stale", c.cas, p + "a", b"w", cas, noreply=False)
    rec("cas missing", c.cas, p + "missing", b"w", b"1", noreply=False)
    many = c.gets_many([p + "a", p + "missing", keys[1]])
    rec.note("gets_many", sorted((k, v, cas is not None) for k, (v, cas) in many.items()))
    rec("set n", c.set, p + "n", b"10", noreply=False)
    rec("incr", c.incr, p + "n", 5)
    rec("decr", c.decr, p + "n", 100)
    rec("incr wraps", c.incr, p + "n", 2**64 - 1)
    rec("incr missing", c.incr, p + "missing", 1)
    rec("decr missing", c.decr, p + "missing", 1)
    rec("incr non-numeric", c.incr, p + "a", 1)
    rec("delete", c.delete, p + "a", noreply=False)
    rec("delete missing", c.delete, p + "a", noreply=False)
    rec("touch", c.touch, keys[1], 1000, noreply=False)
    rec("touch missing", c.touch, p + "missing", 1000, noreply=False)
    rec("set big", c.set, p + "big", BIG, noreply=False)
    got = c.get(p + "big")
    rec.note("get big", got is not None and got[0] == BIG and got[1] == 0)
    rec("set flags", c.set, p + "flags", b"f", flags=0xDEADBEEF, noreply=False)
    rec("get flags", c.get, p + "flags")
    rec("set too big", c.set, p + "toobig", TOO_BIG, noreply=False)
    rec("get too big", c.get, p + "toobig")
    rec("set empty", c.set, p + "empty", b"", noreply=False)
    rec("get empty", c.get, p + "empty")
    # noreply forms, then read back with replies
    c.set(p + "nr", b"1", noreply=True)
    c.add(p + "nr", b"2", noreply=True)
    c.append(p + "nr", b"2", noreply=True)
    c.prepend(p + "nr", b"0", noreply=True)
    c.incr(p + "nr", 5, noreply=True)
    c.set(p + "nr2", b"x", noreply=True)
    c.delete(p + "nr2", noreply=True)
    c.set_many({p + "nr3": b"a", p + "nr4": b"b"}, noreply=True)
    c.touch(p + "nr3", 1000, noreply=True)
    # incr rewrites in place, space padded, as memcached does
    assert rec("get after noreply", c.get, p + "nr") == (b"17 ", 0)
    rec("get_many after noreply", c.get_many, [p + "nr2", p + "nr3", p + "nr4"])
    rec("version", lambda: c.version().startswith(b"1.6"))
    c.close()
    return rec.steps


def test_pymemcache(fleet, direct):
    run_both(pymemcache_scenario, direct, fleet, f"pymc-{fleet.kind}-")


def test_router_and_servers_agree(fleet):
    """Every key written through the router is on the server the router names for it."""
    from pymemcache.client.base import Client
    prefix = "agree-"
    keys = keys_of(prefix)
    router = Client(fleet.addr, connect_timeout=10, timeout=20)
    assert router.set_many({k: k.encode() for k in keys}, noreply=False) == []
    placement = fleet.place(keys)
    assert len(placement) >= 2, f"200 keys all on one server: {placement.keys()}"
    for i, placed in placement.items():
        direct_client = Client(fleet.backend_addr(i), connect_timeout=10, timeout=20)
        got = direct_client.get_many(placed)
        assert got == {k: k.encode() for k in placed}, f"server {i} lacks keys the router put there"
        others = [k for k in keys if k not in placed]
        assert direct_client.get_many(others) == {}, f"server {i} holds keys routed elsewhere"
        # Written directly, read through the router.
        direct_client.set(placed[0], b"direct", noreply=False)
        assert router.get(placed[0]) == b"direct"
        direct_client.close()
    router.close()


# ---- pylibmc (libmemcached), text and binary -----------------------------------------------------


def pylibmc_scenario_for(binary: bool):
    def pylibmc_scenario(addr, p):
        import pylibmc
        server = f"{addr[0]}:{addr[1]}"
        behaviors = {"tcp_nodelay": True, "cas": True, "connect_timeout": 10000,
                     "receive_timeout": 20000000, "send_timeout": 20000000}
        c = pylibmc.Client([server], binary=binary, behaviors=behaviors)
        rec = Recorder()
        keys = keys_of(p)
        rec("set_multi", c.set_multi, {k: f"value-{k}".encode() for k in keys})
        got = rec("get_multi", c.get_multi, keys)
        assert len(got) == NKEYS and got[keys[7]] == f"value-{keys[7]}".encode()
        rec("get_multi partial", lambda: sorted(
            c.get_multi([keys[0], p + "missing", keys[-1]]).items()))
        rec("get miss", c.get, p + "missing")
        rec("add existing", c.add, keys[0], b"x")
        rec("add new", c.add, p + "a", b"x")
        rec("replace missing", c.replace, p + "missing", b"x")
        rec("replace", c.replace, p + "a", b"y")
        rec("append", c.append, p + "a", b"+")
        rec("prepend", c.prepend, p + "a", b"-")
        rec("append missing", c.append, p + "missing", b"+")
        assert rec("get a", c.get, p + "a") == b"-y+"
        value, cas = c.gets(p + "a")
        rec.note("gets", (value, bool(cas)))
        assert rec("cas", c.cas, p + "a", b"z", cas) is True
        rec("cas stale", c.cas, p + "a", b"w", cas)
        rec("gets missing", c.gets, p + "missing")
        rec("set n", c.set, p + "n", b"10")
        rec("incr", c.incr, p + "n", 5)
        rec("decr", c.decr, p + "n", 100)
        rec("incr missing", c.incr, p + "missing", 1)
        rec("decr missing", c.decr, p + "missing", 1)
        rec("incr non-numeric", c.incr, p + "a", 1)
        rec("delete", c.delete, p + "a")
        rec("delete missing", c.delete, p + "a")
        rec("delete_multi", c.delete_multi, [keys[10], keys[11], p + "missing"])
        rec("touch", c.touch, keys[1], 1000)
        rec("touch missing", c.touch, p + "missing", 1000)
        rec("set big", c.set, p + "big", BIG)
        rec.note("get big", c.get(p + "big") == BIG)
        # pylibmc's own type flags: an int and a pickled object come back as themselves.
        rec("set int", c.set, p + "int", 12345)
        rec("set object", c.set, p + "obj", {"x": [1, 2]})
        rec("get typed", lambda: (c.get(p + "int"), c.get(p + "obj")))
        rec("set too big", c.set, p + "toobig", TOO_BIG)
        rec("get too big", c.get, p + "toobig")
        c.disconnect_all()
        # noreply: libmemcached sends text noreply or binary quiet opcodes.
        q = pylibmc.Client([server], binary=binary, behaviors={**behaviors, "_noreply": True})
        q.set(p + "nr", b"1")
        q.append(p + "nr", b"2")
        q.prepend(p + "nr", b"0")
        q.set(p + "nr2", b"x")
        q.delete(p + "nr2")
        q.set_multi({p + "nr3": b"a", p + "nr4": b"b"})
        # Read back on the same connection: its requests are answered in order.
        rec("get after noreply", lambda: sorted(
            q.get_multi([p + "nr", p + "nr2", p + "nr3", p + "nr4"]).items()))
        q.disconnect_all()
        return rec.steps

    pylibmc_scenario.__name__ = f"pylibmc_{'binary' if binary else 'text'}_scenario"
    return pylibmc_scenario


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_pylibmc(fleet, direct, binary):
    steps = run_both(pylibmc_scenario_for(binary), direct, fleet,
                     f"plmc-{'b' if binary else 't'}-{fleet.kind}-")
    assert dict(steps)["get after noreply"] == [(f"plmc-{'b' if binary else 't'}-{fleet.kind}-"
                                                 f"{k}", v) for k, v in
                                                [("nr", b"012"), ("nr3", b"a"), ("nr4", b"b")]]


# ---- python-memcache -----------------------------------------------------------------------------


def python_memcache_scenario(addr, p):
    import memcache
    c = memcache.Client([f"{addr[0]}:{addr[1]}"], cache_cas=True, socket_timeout=20,
                        dead_retry=0)
    rec = Recorder()
    keys = keys_of(p)
    rec("set_multi", c.set_multi, {k: f"value-{k}" for k in keys})
    got = rec("get_multi", c.get_multi, keys)
    assert len(got) == NKEYS
    rec("get_multi partial", c.get_multi, [keys[0], p + "missing", keys[-1]])
    rec("get miss", c.get, p + "missing")
    rec("add existing", c.add, keys[0], "x")
    rec("add new", c.add, p + "a", "x")
    rec("replace missing", c.replace, p + "missing", "x")
    rec("replace", c.replace, p + "a", "y")
    rec("append", c.append, p + "a", "+")
    rec("prepend", c.prepend, p + "a", "-")
    rec("append missing", c.append, p + "missing", "+")
    assert rec("get a", c.get, p + "a") == "-y+"
    rec("gets", c.gets, p + "a")
    assert rec("cas", c.cas, p + "a", "z") is True
    rec("gets again", c.gets, p + "a")
    c.cas_ids[(p + "a").encode()] += 1000  # a stale cas value
    rec("cas stale", c.cas, p + "a", "w")
    rec("set n", c.set, p + "n", 10)  # an int: python-memcache's integer flag
    rec("incr", c.incr, p + "n", 5)
    rec("decr", c.decr, p + "n", 100)
    rec("get n", c.get, p + "n")
    rec("incr missing", c.incr, p + "missing", 1)
    rec("delete", c.delete, p + "a")
    rec("delete missing", c.delete, p + "a")
    rec("delete_multi", c.delete_multi, [keys[10], keys[11]])
    rec("get deleted", c.get_multi, [keys[10], keys[11], keys[12]])
    rec("touch", c.touch, keys[1], 1000)
    rec("touch missing", c.touch, p + "missing", 1000)
    rec("set big", c.set, p + "big", BIG)
    rec.note("get big", c.get(p + "big") == BIG)
    rec("set object", c.set, p + "obj", {"x": (1, 2)})
    rec("get object", c.get, p + "obj")
    rec("set too big", c.set, p + "toobig", TOO_BIG)
    rec("get too big", c.get, p + "toobig")
    c.set(p + "nr", "1", noreply=True)
    c.add(p + "nr", "2", noreply=True)
    c.append(p + "nr", "2", noreply=True)
    c.set(p + "nr2", "x", noreply=True)
    c.delete(p + "nr2", noreply=True)
    c.touch(p + "nr", 1000, noreply=True)
    rec("get after noreply", c.get_multi, [p + "nr", p + "nr2"])
    c.disconnect_all()
    return rec.steps


def test_python_memcache(fleet, direct):
    steps = run_both(python_memcache_scenario, direct, fleet, f"pymem-{fleet.kind}-")
    assert dict(steps)["get after noreply"] == {f"pymem-{fleet.kind}-nr": "12"}


# ---- PHP Memcached (libmemcached underneath), text and binary ------------------------------------

PHP_SCENARIO = r"""
[$host, $port, $p, $binary] = [$argv[1], (int)$argv[2], $argv[3], $argv[4] === '1'];
function client($host, $port, $binary, $noreply = false) {
  $m = new Memcached();
  $m->setOption(Memcached::OPT_BINARY_PROTOCOL, $binary);
  $m->setOption(Memcached::OPT_COMPRESSION, false);
  $m->setOption(Memcached::OPT_RECV_TIMEOUT, 20000000);
  $m->setOption(Memcached::OPT_SEND_TIMEOUT, 20000000);
  if ($noreply) $m->setOption(Memcached::OPT_NOREPLY, true);
  $m->addServer($host, $port);
  return $m;
}
$m = client($host, $port, $binary);
$out = [];
function rec(&$out, $m, $name, $value) { $out[] = [$name, $value, $m->getResultCode()]; }
$keys = [];
for ($i = 0; $i < 200; $i++) $keys[] = "{$p}k$i";
$items = [];
foreach ($keys as $k) $items[$k] = "value-$k";
rec($out, $m, 'setMulti', $m->setMulti($items));
$got = $m->getMulti($keys);
rec($out, $m, 'getMulti', $got);
rec($out, $m, 'getMulti partial', $m->getMulti([$keys[0], "{$p}missing", $keys[199]]));
rec($out, $m, 'get miss', $m->get("{$p}missing"));
rec($out, $m, 'add existing', $m->add($keys[0], 'x'));
rec($out, $m, 'add new', $m->add("{$p}a", 'x'));
rec($out, $m, 'replace missing', $m->replace("{$p}missing", 'x'));
rec($out, $m, 'replace', $m->replace("{$p}a", 'y'));
rec($out, $m, 'append', $m->append("{$p}a", '+'));
rec($out, $m, 'prepend', $m->prepend("{$p}a", '-'));
rec($out, $m, 'append missing', $m->append("{$p}missing", '+'));
rec($out, $m, 'get a', $m->get("{$p}a"));
$r = $m->get("{$p}a", null, Memcached::GET_EXTENDED);
rec($out, $m, 'get extended', [$r['value'], $r['cas'] != 0]);
rec($out, $m, 'cas', $m->cas($r['cas'], "{$p}a", 'z'));
rec($out, $m, 'cas stale', $m->cas($r['cas'], "{$p}a", 'w'));
rec($out, $m, 'get after cas', $m->get("{$p}a"));
rec($out, $m, 'set n', $m->set("{$p}n", 10));
rec($out, $m, 'increment', $m->increment("{$p}n", 5));
rec($out, $m, 'decrement', $m->decrement("{$p}n", 100));
rec($out, $m, 'increment missing', $m->increment("{$p}missing", 1));
rec($out, $m, 'delete', $m->delete("{$p}a"));
rec($out, $m, 'delete missing', $m->delete("{$p}a"));
rec($out, $m, 'deleteMulti', $m->deleteMulti([$keys[10], $keys[11]]));
rec($out, $m, 'touch', $m->touch($keys[1], 1000));
rec($out, $m, 'touch missing', $m->touch("{$p}missing", 1000));
$big = str_repeat(md5('memfleet', true), 32000);
rec($out, $m, 'set big', $m->set("{$p}big", $big));
rec($out, $m, 'get big', $m->get("{$p}big") === $big);
rec($out, $m, 'set typed', $m->setMulti(["{$p}int" => 42, "{$p}bool" => true,
                                          "{$p}float" => 1.5, "{$p}array" => ['a' => [1, 2]]]));
rec($out, $m, 'get typed', $m->getMulti(["{$p}int", "{$p}bool", "{$p}float", "{$p}array"]));
rec($out, $m, 'set too big', $m->set("{$p}toobig", str_repeat('z', 1024 * 1024 + 10)));
rec($out, $m, 'get too big', $m->get("{$p}toobig"));
rec($out, $m, 'version', array_values($m->getVersion()));
$q = client($host, $port, $binary, true);
$q->set("{$p}nr", '1');
$q->append("{$p}nr", '2');
$q->set("{$p}nr2", 'x');
$q->delete("{$p}nr2");
// Read back on the same connection: its requests are answered in order.
rec($out, $q, 'get after noreply', $q->getMulti(["{$p}nr", "{$p}nr2"]));
$q->quit();
echo json_encode($out), "\n";
"""


def php_scenario_for(binary: bool):
    def php_scenario(addr, p):
        run = subprocess.run(["php", "-r", PHP_SCENARIO, "--", addr[0], str(addr[1]), p,
                              "1" if binary else "0"], capture_output=True, timeout=120)
        out = run.stdout.decode(errors="replace")
        assert run.returncode == 0, out + run.stderr.decode(errors="replace")
        return [tuple(step) for step in json.loads(out.strip().splitlines()[-1])]

    php_scenario.__name__ = f"php_{'binary' if binary else 'text'}_scenario"
    return php_scenario


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_php_memcached(fleet, direct, binary):
    if shutil.which("php") is None:
        pytest.skip("php-cli is not installed (scripts/install-deps.sh)")
    check = subprocess.run(["php", "-r", "exit(class_exists('Memcached') ? 0 : 1);"],
                           capture_output=True, timeout=60)
    if check.returncode != 0:
        pytest.skip("php is installed but the memcached extension (php-memcached) is not")
    p = f"php-{'b' if binary else 't'}-{fleet.kind}-"
    steps = run_both(php_scenario_for(binary), direct, fleet, p)
    by_name = {name: value for name, value, _ in steps}
    assert len(by_name["getMulti"]) == NKEYS
    assert by_name["get big"] is True
    assert by_name["get after noreply"] == {f"{p}nr": "12"}


# ---- Perl Cache::Memcached::Fast -----------------------------------------------------------------

PERL_SCENARIO = r"""
use strict; use warnings;
use Cache::Memcached::Fast; use JSON::PP;
my ($host, $port, $p) = @ARGV;
sub client { my ($noreply) = @_;
  return Cache::Memcached::Fast->new({servers => ["$host:$port"], compress_threshold => -1,
    io_timeout => 20, connect_timeout => 10, close_on_error => 0, utf8 => 0,
    max_size => 2 * 1024 * 1024, noreply => $noreply}); }
my $m = client(0);
my @out;
sub rec { my ($name, $v) = @_; push @out, [$name, $v]; }
sub b { return defined $_[0] ? ($_[0] ? JSON::PP::true : JSON::PP::false) : undef; }
my @keys = map { "${p}k$_" } 0 .. 199;
my @res = $m->set_multi(map { [$_, "value-$_"] } @keys);
rec('set_multi', [map { b($_) } @res]);
rec('get_multi', $m->get_multi(@keys));
rec('get_multi partial', $m->get_multi($keys[0], "${p}missing", $keys[199]));
rec('get miss', $m->get("${p}missing"));
rec('add existing', b($m->add($keys[0], 'x')));
rec('add new', b($m->add("${p}a", 'x')));
rec('replace missing', b($m->replace("${p}missing", 'x')));
rec('replace', b($m->replace("${p}a", 'y')));
rec('append', b($m->append("${p}a", '+')));
rec('prepend', b($m->prepend("${p}a", '-')));
rec('append missing', b($m->append("${p}missing", '+')));
rec('get a', $m->get("${p}a"));
my $g = $m->gets("${p}a");
rec('gets', [$g->[1], b($g->[0] != 0)]);
rec('cas', b($m->cas("${p}a", $g->[0], 'z')));
rec('cas stale', b($m->cas("${p}a", $g->[0], 'w')));
rec('gets missing', $m->gets("${p}missing"));
rec('set n', b($m->set("${p}n", '10')));
rec('incr', $m->incr("${p}n", 5));
rec('decr', $m->decr("${p}n", 100));
rec('incr missing', $m->incr("${p}missing", 1));
rec('delete', b($m->delete("${p}a")));
rec('delete missing', b($m->delete("${p}a")));
rec('delete_multi', [map { b($_) } $m->delete_multi($keys[10], $keys[11], "${p}missing")]);
rec('touch', b($m->touch($keys[1], 1000)));
rec('touch missing', b($m->touch("${p}missing", 1000)));
my $big = join('', map { chr(($_ * 7) % 256) } 0 .. 511) x 1000;
rec('set big', b($m->set("${p}big", $big)));
rec('get big', b(($m->get("${p}big") // '') eq $big));
rec('set ref', b($m->set("${p}ref", {x => [1, 2]})));
rec('get ref', $m->get("${p}ref"));
rec('set too big', b($m->set("${p}toobig", 'z' x (1024 * 1024 + 10))));
rec('get too big', $m->get("${p}toobig"));
my $q = client(1);
$q->set("${p}nr", '1');
$q->append("${p}nr", '2');
$q->set("${p}nr2", 'x');
$q->delete("${p}nr2");
$q->incr("${p}n", 3);
# Read back on the same connection: its requests are answered in order.
rec('get after noreply', $q->get_multi("${p}nr", "${p}nr2", "${p}n"));
$q->disconnect_all;
rec('version', [map { /^1\.6/ ? 1 : 0 } values %{$m->server_versions}]);
print JSON::PP->new->canonical->encode(\@out), "\n";
"""


def perl_scenario(addr, p):
    run = subprocess.run(["perl", "-e", PERL_SCENARIO, addr[0], str(addr[1]), p],
                         capture_output=True, timeout=120)
    out = run.stdout.decode(errors="replace")
    assert run.returncode == 0, out + run.stderr.decode(errors="replace")
    return [tuple(step) for step in json.loads(out.strip().splitlines()[-1])]


def test_perl_cache_memcached_fast(fleet, direct):
    check = subprocess.run(["perl", "-MCache::Memcached::Fast", "-e", "1"], capture_output=True,
                           timeout=60)
    if check.returncode != 0:
        pytest.skip("Cache::Memcached::Fast is not installed (libcache-memcached-fast-perl)")
    p = f"perl-{fleet.kind}-"
    steps = dict(run_both(perl_scenario, direct, fleet, p))
    assert len(steps["get_multi"]) == NKEYS
    assert steps["get big"] is True
    assert steps["get after noreply"] == {f"{p}nr": "12", f"{p}n": "3 "}


# ---- memccapable ---------------------------------------------------------------------------------


def run_memccapable(addr, mode: str):
    tool = shutil.which("memccapable")
    run = subprocess.run([tool, "-h", addr[0], "-p", str(addr[1]), mode, "-t", "10"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=240)
    out, err = run.stdout.decode(errors="replace"), run.stderr.decode(errors="replace")
    passed = set(re.findall(r"^(?:ascii|binary) (.+?)\s+\[pass\]\s*$", out, re.M))
    failed = set(re.findall(r"^(?:ascii|binary) (.+?)\s+\[FAIL\]", out + err, re.M))
    report = f"exit code {run.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    return passed, failed, run.returncode, report


@pytest.mark.parametrize("mode", ["-a", "-b"], ids=["ascii", "binary"])
@pytest.mark.parametrize("kind", ["memfleetd", "memcached"])
def test_memccapable(fleet_factory, kind, mode):  # noqa: F811
    if shutil.which("memccapable") is None:
        pytest.skip("memccapable not installed (libmemcached-tools; scripts/install-deps.sh)")
    # memccapable flushes: it gets servers of its own, and a router that fans flush_all out.
    direct = fleet_factory.backend("memcached", name="memccapable-direct")
    fleet = fleet_factory.fleet(kind, router_args=["--enable-flush-cmd"])
    d_passed, d_failed, d_rc, d_report = run_memccapable((direct.host, direct.port), mode)
    assert d_passed and not d_failed and d_rc == 0, f"memcached itself: {d_report}"
    r_passed, r_failed, r_rc, r_report = run_memccapable(fleet.addr, mode)
    assert r_passed == d_passed, (
        f"passed against memcached but not through the router: {sorted(d_passed - r_passed)}\n"
        f"{r_report}")
    assert not r_failed and r_rc == 0, r_report
    fleet.check_router_alive()
