"""The meta protocol (mg ms md ma mn me), byte for byte, and its win/stale/recache flows.

Every expected reply was recorded from memcached 1.6.18 (run this file with
MEMFLEETD=/usr/bin/memcached to re-check). In the table, "{k}" is a key unique to the case,
"{b}" that key in base64, and "{n}" in an expected reply stands for any decimal number (cas
values and remaining TTLs depend on the server's history and clock).

memcached 1.6.18 details pinned here: q hides EN (mg), HD (mg is never hidden, ms, md) and the
ma success reply, but never NF from md/ma, NS/EX/NF from ms, or errors; the E flag does not
exist yet (invalid flag); md and ma report every flag error as "invalid or duplicate flag";
an ms whose flags are bad still swallows its data block.
"""

import base64
import re
import threading

import pytest

from wire import WireConn

CASES = [
    # --- mn, basics ---
    ("mn", b"mn\r\n", b"MN\r\n"),
    ("mg_miss", b"mg {k} v\r\n", b"EN\r\n"),
    ("mg_no_key", b"mg\r\n", b"ERROR\r\n"),
    ("ms_mg", b"ms {k} 2\r\nhi\r\nmg {k} v\r\n", b"HD\r\nVA 2\r\nhi\r\n"),
    ("ms_empty", b"ms {k} 0\r\n\r\nmg {k} v s\r\n", b"HD\r\nVA 0 s0\r\n\r\n"),
    ("mg_hd_no_value", b"ms {k} 2\r\nhi\r\nmg {k}\r\n", b"HD\r\nHD\r\n"),
    ("mg_all_flags", b"ms {k} 2 F7\r\nhi\r\nmg {k} s v t f k O123 h l\r\n",
     b"HD\r\nVA 2 s2 t-1 f7 k{k} O123 h0 l0\r\nhi\r\n"),
    ("mg_flag_order", b"ms {k} 2 F7\r\nhi\r\nmg {k} O1 f s k\r\n",
     b"HD\r\nHD O1 f7 s2 k{k}\r\n"),
    ("mg_cas", b"ms {k} 2\r\nhi\r\nmg {k} c\r\n", b"HD\r\nHD c{n}\r\n"),
    ("mg_hit_flag", b"ms {k} 2\r\nhi\r\nmg {k} h\r\nmg {k} h\r\n",
     b"HD\r\nHD h0\r\nHD h1\r\n"),
    ("mg_no_update", b"ms {k} 2\r\nhi\r\nmg {k} u h\r\nmg {k} h\r\n",
     b"HD\r\nHD h0\r\nHD h0\r\n"),
    ("mg_ttl", b"ms {k} 2 T100\r\nhi\r\nmg {k} t\r\n", b"HD\r\nHD t{n}\r\n"),
    ("mg_touch", b"ms {k} 2\r\nhi\r\nmg {k} t T100\r\nmg {k} t\r\n",
     b"HD\r\nHD t-1\r\nHD t{n}\r\n"),
    ("mg_touch_no_ttl", b"ms {k} 2 T100\r\nhi\r\nmg {k} T0 t\r\n", b"HD\r\nHD t-1\r\n"),
    ("mg_miss_echo", b"mg {k} s v O55 k c\r\n", b"EN O55 k{k}\r\n"),
    ("mg_quiet_miss", b"mg {k} q v\r\nmn\r\n", b"MN\r\n"),
    ("mg_quiet_hit", b"ms {k} 1\r\na\r\nmg {k} q v\r\nmg {k} q\r\n",
     b"HD\r\nVA 1\r\na\r\nHD\r\n"),
    ("mg_plp_ignored", b"ms {k} 1\r\na\r\nmg {k} P L\r\n", b"HD\r\nHD\r\n"),
    # --- base64 keys ---
    ("ms_b", b"ms {b} 2 b k\r\nhi\r\nmg {k} v k\r\nmg {b} b k s\r\n",
     b"HD k{b} b\r\nVA 2 k{b} b\r\nhi\r\nHD k{b} b s2\r\n"),
    ("mg_b_miss", b"mg {b} b k\r\n", b"EN k{b} b\r\n"),
    ("mg_b_bad", b"mg !!!! b\r\n", b"CLIENT_ERROR error decoding key\r\n"),
    ("ms_b_bad", b"ms abc 2 b\r\nhi\r\nmn\r\n", b"CLIENT_ERROR error decoding key\r\nMN\r\n"),
    ("me_b", b"me {b} b\r\n", b"EN\r\n"),
    # --- vivify, recache ---
    ("mg_vivify", b"mg {k} N30 s v t\r\nmg {k} N30 s v\r\n",
     b"VA 0 s0 t{n} W\r\n\r\nVA 0 s0 Z\r\n\r\n"),
    ("mg_vivify_hd", b"mg {k} N30 k\r\nmg {k} k\r\n", b"HD k{k} W\r\nHD k{k} Z\r\n"),
    ("mg_recache", b"ms {k} 1 T60\r\na\r\nmg {k} R90 v\r\nmg {k} R90 v\r\n",
     b"HD\r\nVA 1 W\r\na\r\nVA 1 Z\r\na\r\n"),
    ("mg_recache_not_due", b"ms {k} 1 T600\r\na\r\nmg {k} R90\r\n", b"HD\r\nHD\r\n"),
    ("mg_recache_no_ttl", b"ms {k} 1\r\na\r\nmg {k} R90\r\n", b"HD\r\nHD\r\n"),
    ("mg_recache_after_set", b"ms {k} 1 T60\r\na\r\nmg {k} R90\r\nms {k} 1 T60\r\nb\r\n"
     b"mg {k} R90\r\n", b"HD\r\nHD W\r\nHD\r\nHD W\r\n"),
    # --- stale ---
    ("md_invalidate", b"ms {k} 1\r\na\r\nmd {k} I\r\nmg {k} v\r\nmg {k} v\r\n",
     b"HD\r\nHD\r\nVA 1 X W\r\na\r\nVA 1 Z X\r\na\r\n"),
    ("md_invalidate_ttl", b"ms {k} 1\r\na\r\nmd {k} I T30\r\nmg {k} t\r\n",
     b"HD\r\nHD\r\nHD t{n} X W\r\n"),
    ("md_invalidate_miss", b"md {k} I\r\n", b"NF\r\n"),
    # --- ms modes and cas ---
    ("ms_add", b"ms {k} 1 ME\r\na\r\nms {k} 1 ME\r\nb\r\nmg {k} v\r\n",
     b"HD\r\nNS\r\nVA 1\r\na\r\n"),
    ("ms_replace", b"ms {k} 1 MR\r\na\r\nms {k} 1 MS\r\nb\r\nms {k} 1 MR\r\nc\r\nmg {k} v\r\n",
     b"NS\r\nHD\r\nHD\r\nVA 1\r\nc\r\n"),
    ("ms_append_prepend", b"ms {k} 1\r\nb\r\nms {k} 1 MA\r\nc\r\nms {k} 1 MP\r\na\r\n"
     b"mg {k} v\r\n", b"HD\r\nHD\r\nHD\r\nVA 3\r\nabc\r\n"),
    ("ms_append_miss", b"ms {k} 1 MA\r\nc\r\n", b"NS\r\n"),
    ("ms_cas_miss", b"ms {k} 1 C12\r\na\r\n", b"NF\r\n"),
    ("ms_cas_bad", b"ms {k} 1\r\na\r\nms {k} 1 C1\r\nb\r\n", b"HD\r\nEX\r\n"),
    ("ms_echo", b"ms {k} 1 c k O5 T0 F3\r\na\r\nmg {k} f v\r\n",
     b"HD c{n} k{k} O5\r\nVA 1 f3\r\na\r\n"),
    ("ms_echo_failed", b"ms {k} 1 c MR k O5\r\na\r\n", b"NS c0 k{k} O5\r\n"),
    ("ms_quiet", b"ms {k} 1 q\r\na\r\nms {k} 1 q ME\r\nb\r\nmn\r\n", b"NS\r\nMN\r\n"),
    ("ms_invalid_mode", b"ms {k} 1 MZ\r\na\r\nmn\r\n",
     b"CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n"),
    ("ms_mode_length", b"ms {k} 1 MEE\r\na\r\n", b"CLIENT_ERROR incorrect length for M token\r\n"),
    ("ms_explicit_cas_flag", b"ms {k} 1 E5\r\na\r\nmn\r\n",
     b"CLIENT_ERROR invalid flag\r\nMN\r\n"),
    ("ms_bad_flags_value", b"ms {k} 1 Fx\r\na\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ("ms_bad_data_chunk", b"ms {k} 2 q\r\nhixx\r\nmn\r\n",
     b"CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n"),
    ("ms_no_length", b"ms {k}\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ("ms_bad_length", b"ms {k} x\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    # --- md ---
    ("md_hit", b"ms {k} 1\r\na\r\nmd {k}\r\nmg {k}\r\n", b"HD\r\nHD\r\nEN\r\n"),
    ("md_miss", b"md {k} k O9\r\n", b"NF k{k} O9\r\n"),
    ("md_quiet", b"ms {k} 1\r\na\r\nmd {k} q\r\nmd {k} q\r\n", b"HD\r\nNF\r\n"),
    ("md_cas_mismatch", b"ms {k} 1\r\na\r\nmd {k} C1\r\n", b"HD\r\nEX\r\n"),
    ("md_bad_flag", b"md {k} zz\r\n", b"CLIENT_ERROR invalid or duplicate flag\r\n"),
    ("md_dup_flag", b"md {k} q q\r\n", b"CLIENT_ERROR invalid or duplicate flag\r\n"),
    # --- ma ---
    ("ma_incr", b"ms {k} 2\r\n10\r\nma {k}\r\nma {k} v\r\n", b"HD\r\nHD\r\nVA 2\r\n12\r\n"),
    ("ma_decr", b"ms {k} 2\r\n10\r\nma {k} MD D3 v\r\nma {k} M- D30 v\r\n",
     b"HD\r\nVA 1\r\n7\r\nVA 1\r\n0\r\n"),
    ("ma_incr_modes", b"ms {k} 1\r\n1\r\nma {k} MI v\r\nma {k} M+ D5 v\r\n",
     b"HD\r\nVA 1\r\n2\r\nVA 1\r\n7\r\n"),
    ("ma_wrap", b"ms {k} 20\r\n18446744073709551615\r\nma {k} v\r\n", b"HD\r\nVA 1\r\n0\r\n"),
    ("ma_miss", b"ma {k} O1 k\r\n", b"NF O1 k{k}\r\n"),
    ("ma_vivify", b"ma {k} N0 J7 v t\r\nma {k} v\r\n", b"VA 1 t-1\r\n7\r\nVA 1\r\n8\r\n"),
    ("ma_vivify_ttl", b"ma {k} N100 J7 t\r\n", b"HD t{n}\r\n"),
    ("ma_quiet", b"ma {k} q\r\nma {k} q N0\r\nma {k} q v\r\nmn\r\n", b"NF\r\nHD\r\nMN\r\n"),
    ("ma_cas", b"ms {k} 1\r\n1\r\nma {k} C1\r\n", b"HD\r\nEX\r\n"),
    ("ma_cas_returned", b"ma {k} N0 c\r\n", b"HD c{n}\r\n"),
    ("ma_non_numeric", b"ms {k} 1\r\na\r\nma {k}\r\n",
     b"HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
    ("ma_bad_mode", b"ma {k} MX\r\n", b"CLIENT_ERROR invalid mode for ma M token\r\n"),
    ("ma_bad_delta", b"ma {k} Dx\r\n", b"CLIENT_ERROR invalid or duplicate flag\r\n"),
    ("ma_bad_initial", b"ma {k} Jx\r\n", b"CLIENT_ERROR invalid or duplicate flag\r\n"),
    # --- flag errors ---
    ("dup_flag", b"mg {k} s s\r\n", b"CLIENT_ERROR duplicate flag\r\n"),
    ("invalid_flag", b"mg {k} zz\r\n", b"CLIENT_ERROR invalid flag\r\n"),
    ("bad_token", b"mg {k} Nx\r\n", b"CLIENT_ERROR bad token in command line format\r\n"),
    ("bad_touch", b"mg {k} Tx\r\n", b"CLIENT_ERROR bad token in command line format\r\n"),
    ("bad_flags_value_mg", b"mg {k} Fx\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ("invalid_after_bad_token", b"mg {k} Nx zz\r\n", b"CLIENT_ERROR invalid flag\r\n"),
    ("opaque_too_long", b"mg {k} O123456789012345678901234567890123\r\n",
     b"CLIENT_ERROR opaque token too long\r\n"),
    ("opaque_32", b"mg {k} O1234567890123456789012345678901\r\n",
     b"EN O1234567890123456789012345678901\r\n"),
    ("too_many_flags", b"mg {k} a b c d e f g h i j k l m n o p q r\r\n",
     b"CLIENT_ERROR options flags are too long\r\n"),
    ("key_too_long", b"mg " + b"x" * 251 + b" v\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    # --- me ---
    ("me_miss", b"me {k}\r\n", b"EN\r\n"),
]


def _b64(key: bytes) -> bytes:
    return base64.b64encode(key)


def _expand(data: bytes, key: bytes) -> bytes:
    return data.replace(b"{k}", key).replace(b"{b}", _b64(key))


def _pattern(expected: bytes, key: bytes) -> bytes:
    return re.escape(_expand(expected, key)).replace(re.escape(b"{n}"), rb"\d+")


@pytest.mark.parametrize("request_bytes,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_exact_reply(module_server, request, request_bytes, expected):
    key = b"m_" + request.node.callspec.id.encode()[:40]
    with WireConn(module_server) as c:
        reply = c.request(_expand(request_bytes, key))
        assert re.fullmatch(_pattern(expected, key), reply, re.S), reply


def _cas(reply: bytes) -> int:
    return int(re.search(rb" c(\d+)", reply).group(1))


def test_stale_flow_older_cas_kept_stale(server):
    with WireConn(server) as c:
        cas0 = _cas(c.request(b"ms st 1 c T100\r\na\r\n"))
        assert c.request(b"md st I C%d\r\n" % cas0) == b"HD\r\n"
        r = c.request(b"mg st c v\r\n")
        cas1 = _cas(r)
        assert cas1 != cas0
        assert re.fullmatch(rb"VA 1 c\d+ X W\r\na\r\n", r), r
        # The winner recaches with the cas it saw before: older than the stale item's, so the
        # value is stored but stays stale (and the token stays sent).
        assert c.request(b"ms st 1 I C%d\r\nb\r\n" % cas0) == b"HD\r\n"
        r = c.request(b"mg st v t\r\n")
        assert re.fullmatch(rb"VA 1 t\d+ Z X\r\nb\r\n", r), r
        # Without I an old cas is refused; with the current cas the item becomes fresh.
        assert c.request(b"ms st 1 C%d\r\nc\r\n" % cas0) == b"EX\r\n"
        cas2 = _cas(c.request(b"mg st c\r\n"))
        assert c.request(b"ms st 1 C%d\r\nd\r\n" % cas2) == b"HD\r\n"
        assert c.request(b"mg st v\r\n") == b"VA 1\r\nd\r\n"


def test_md_cas_guards_invalidate(server):
    with WireConn(server) as c:
        assert c.request(b"ms g 1\r\na\r\n") == b"HD\r\n"
        assert c.request(b"md g I C99999\r\n") == b"EX\r\n"
        assert c.request(b"mg g\r\n") == b"HD\r\n"


def test_vivify_race_exactly_one_winner(server):
    conns = [WireConn(server) for _ in range(4)]
    try:
        for round_no in range(40):
            key = b"race%d" % round_no
            barrier = threading.Barrier(len(conns))
            replies = [None] * len(conns)

            def go(i):
                barrier.wait(timeout=10)
                replies[i] = conns[i].request(b"mg " + key + b" N30 s\r\n")

            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(conns))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            winners = [r for r in replies if r == b"HD s0 W\r\n"]
            others = [r for r in replies if r == b"HD s0 Z\r\n"]
            assert len(winners) == 1 and len(others) == len(conns) - 1, replies
    finally:
        for c in conns:
            c.close()


def test_stale_race_exactly_one_winner(server):
    conns = [WireConn(server) for _ in range(4)]
    try:
        for round_no in range(20):
            key = b"srace%d" % round_no
            assert conns[0].request(b"ms " + key + b" 1\r\na\r\nmd " + key + b" I\r\n") == \
                b"HD\r\nHD\r\n"
            barrier = threading.Barrier(len(conns))
            replies = [None] * len(conns)

            def go(i):
                barrier.wait(timeout=10)
                replies[i] = conns[i].request(b"mg " + key + b"\r\n")

            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(conns))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            assert sorted(replies) == sorted([b"HD X W\r\n"] + [b"HD Z X\r\n"] * 3), replies
    finally:
        for c in conns:
            c.close()


def test_quiet_pipeline_ends_with_mn(server):
    with WireConn(server) as c:
        c.request(b"ms q1 1\r\na\r\nms q3 1\r\nc\r\n")
        reply = c.request(b"mg q1 q v k\r\nmg q2 q v k\r\nmg q3 q v k\r\nmn\r\n")
        assert reply == b"VA 1 kq1\r\na\r\nVA 1 kq3\r\nc\r\nMN\r\n"


def test_large_values(server):
    with WireConn(server) as c:
        for size in (20000, 700 * 1024):
            value = bytes((i * 7) % 251 for i in range(size)).replace(b"\r", b"x")
            assert c.request_pipelined(b"ms big %d T0\r\n" % size + value + b"\r\n") == b"HD\r\n"
            assert c.request(b"mg big s v\r\n") == b"VA %d s%d\r\n" % (size, size) + value + \
                b"\r\n"


def test_too_large_swallows_and_removes(start_server):
    srv = start_server(["-I", "1m"])
    with WireConn((srv.host, srv.port)) as c:
        assert c.request(b"ms tl 1\r\na\r\n") == b"HD\r\n"
        big = b"x" * (2 * 1024 * 1024)
        assert c.request_pipelined(b"ms tl %d\r\n" % len(big) + big + b"\r\nmn\r\n") == \
            b"SERVER_ERROR object too large for cache\r\nMN\r\n"
        assert c.request(b"mg tl\r\n") == b"EN\r\n"


def test_me(server):
    with WireConn(server) as c:
        assert c.request(b"ms dbg 3 T0\r\nabc\r\n") == b"HD\r\n"
        r = c.request(b"me dbg\r\n")
        assert re.fullmatch(rb"ME dbg exp=-1 la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n", r), r
        c.request(b"mg dbg\r\n")
        assert b" fetch=yes " in c.request(b"me dbg\r\n")
        assert c.request(b"ms ZGJn 1 b T100\r\na\r\n") == b"HD\r\n"
        r = c.request(b"me ZGJn b\r\n")
        assert re.fullmatch(rb"ME ZGJn exp=-\d+ la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n",
                            r), r


def test_stats_counters(server):
    with WireConn(server) as c:
        c.request(b"ms s1 1\r\na\r\nmg s1\r\nmg s1 v\r\nmg nope\r\nmg s1 T30\r\nmg nope T30\r\n"
                  b"md s1\r\nmd s1\r\nma n1 N0\r\nma n1\r\nma n1 MD\r\nma n2\r\nme s1\r\nmn\r\n")
        st = c.stats()
        assert st["cmd_meta"] == "1"  # memcached counts only me
        assert st["cmd_get"] == "4"
        assert st["get_hits"] == "2"
        assert st["get_misses"] == "2"
        assert st["cmd_touch"] == "1"
        assert st["touch_hits"] == "1"
        assert st["cmd_set"] == "1"
        assert st["delete_hits"] == "1"
        assert st["delete_misses"] == "1"
        assert st["incr_hits"] == "1"
        assert st["decr_hits"] == "1"
        assert st["incr_misses"] == "1"


def test_split_request_bytes(server):
    with WireConn(server) as c:
        c.send_slowly(b"ms sp 5 T0 c k\r\nhello\r\nmg sp v k O7\r\n")
        assert re.fullmatch(rb"HD c\d+ ksp\r\n", c.read_line())
        assert c.read_line() == b"VA 5 ksp O7\r\n"
        assert c.read_line() == b"hello\r\n"
