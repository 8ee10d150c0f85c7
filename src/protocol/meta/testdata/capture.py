#!/usr/bin/python3
"""Records memcached 1.6.18's exact replies to a corpus of meta requests.

Starts /usr/bin/memcached on 127.0.0.1 (a port in 21050-21099, -I 1k so that "too large" is
cheap to provoke), sends each request of CASES in order on one connection followed by "mn\\r\\n",
reads until the "MN\\r\\n" that answers it (so that a reply q suppressed is recorded as empty),
and writes captured_replies.inc beside this script: one {name, request, reply} entry per case,
as C++ string literals with every byte that is not plain printable ASCII escaped in octal.
client_test.cc includes the file. The cases run in order: later ones rely on the items earlier
ones stored. Starting, stopping and writing are src/protocol/testdata_capture.py's.
Run: /usr/bin/python3 src/protocol/meta/testdata/capture.py [port]
"""

import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # src/protocol
import testdata_capture  # noqa: E402

OUT = os.path.join(HERE, "captured_replies.inc")

V64 = bytes((i * 7 + 3) % 256 for i in range(600))  # arbitrary bytes, "\r\n" included below
V64 = V64[:100] + b"\r\n" + V64[100:]

CASES = [
    # mg: misses, quiet, every returned flag.
    ("mg_miss", b"mg nokey v\r\n"),
    ("mg_miss_opaque_key", b"mg nokey v O123 k\r\n"),
    ("mg_miss_quiet", b"mg nokey v q\r\n"),
    ("mg_miss_quiet_opaque", b"mg nokey v q O9 k\r\n"),
    ("ms_stored", b"ms foo 3 F5 T0\r\nbar\r\n"),
    ("mg_hit_value", b"mg foo v\r\n"),
    ("mg_hit_no_flags", b"mg foo\r\n"),
    ("mg_hit_fv", b"mg foo f v\r\n"),
    ("mg_hit_fvc", b"mg foo f v c\r\n"),
    ("mg_hit_all", b"mg foo s t c f v O1234 k\r\n"),
    ("mg_hit_order", b"mg foo k c f s v t\r\n"),
    ("mg_hit_h_l", b"mg foo h l v\r\n"),
    ("mg_hit_quiet", b"mg foo v q k\r\n"),
    ("mg_hit_nov_quiet", b"mg foo q\r\n"),
    ("ms_binary_value", b"ms bin %d F4294967295 T0\r\n" % len(V64) + V64 + b"\r\n"),
    ("mg_binary_value", b"mg bin f v c s\r\n"),
    ("ms_empty_value", b"ms empty 0\r\n\r\n"),
    ("mg_empty_value", b"mg empty v s\r\n"),
    # ttls and touch.
    ("ms_ttl", b"ms ttl 2 T1000 F7\r\nhi\r\n"),
    ("mg_ttl", b"mg ttl t v\r\n"),
    ("mg_touch", b"mg ttl T2000 t\r\n"),
    ("mg_gat", b"mg ttl T3000 v f t\r\n"),
    ("mg_gats", b"mg ttl T3000 v f c\r\n"),
    ("mg_touch_miss", b"mg nokey T30\r\n"),
    ("mg_ttl_never", b"mg foo t\r\n"),
    # base64 keys.
    ("ms_b64", b"ms Zm9vYmFy 2 b\r\nxy\r\n"),
    ("mg_b64", b"mg Zm9vYmFy b k v\r\n"),
    ("mg_b64_miss", b"mg bm9wZQ== b k v\r\n"),
    ("md_b64", b"md Zm9vYmFy b k\r\n"),
    # ms: modes, cas, echo, quiet.
    ("ms_echo", b"ms echo 1 O77 k c\r\nx\r\n"),
    ("ms_quiet_stored", b"ms quiet 1 q\r\nx\r\n"),
    ("ms_add_exists", b"ms foo 1 ME\r\nx\r\n"),
    ("ms_add_exists_quiet", b"ms foo 1 ME q O5\r\nx\r\n"),
    ("ms_add_new", b"ms addnew 1 ME c\r\nx\r\n"),
    ("ms_replace_miss", b"ms nokey 1 MR\r\nx\r\n"),
    ("ms_replace_hit", b"ms foo 3 MR F5\r\nbaz\r\n"),
    ("ms_append", b"ms foo 2 MA\r\n++\r\n"),
    ("ms_prepend", b"ms foo 2 MP\r\n--\r\n"),
    ("ms_append_miss", b"ms nokey 2 MA\r\n++\r\n"),
    ("ms_set_mode", b"ms foo 3 MS F5\r\nbar\r\n"),
    ("mg_cas_read", b"mg foo c\r\n"),
    ("ms_cas_mismatch", b"ms foo 3 C1 k\r\nnew\r\n"),
    ("ms_cas_miss", b"ms nokey 3 C1\r\nnew\r\n"),
    ("ms_invalidate", b"ms foo 3 I T0\r\nbar\r\n"),
    # md.
    ("ms_del", b"ms del 1\r\nx\r\n"),
    ("md_hit", b"md del O1 k\r\n"),
    ("md_miss", b"md del O2 k\r\n"),
    ("md_miss_quiet", b"md del q\r\n"),
    ("ms_del2", b"ms del2 1\r\nx\r\n"),
    ("md_quiet_hit", b"md del2 q\r\n"),
    ("md_cas_mismatch", b"md foo C1\r\n"),
    # stale-while-revalidate: W, X, Z.
    ("mg_vivify_win", b"mg viv N30 v c t s\r\n"),
    ("mg_vivify_token_sent", b"mg viv N30 v\r\n"),
    ("ms_stale_src", b"ms swr 3\r\nold\r\n"),
    ("md_invalidate", b"md swr I T30\r\n"),
    ("mg_stale_win", b"mg swr v c\r\n"),
    ("mg_stale_sent", b"mg swr v\r\n"),
    # ma.
    ("ma_miss", b"ma cnt\r\n"),
    ("ma_miss_echo", b"ma cnt O5 k v\r\n"),
    ("ma_vivify", b"ma cnt N0 J10 v\r\n"),
    ("ma_incr_v", b"ma cnt v\r\n"),
    ("ma_incr_hd", b"ma cnt D5\r\n"),
    ("ma_decr", b"ma cnt MD D3 v t c\r\n"),
    ("ma_decr_alias", b"ma cnt M- D100 v k O1\r\n"),
    ("ma_incr_alias", b"ma cnt M+ D18446744073709551615 v\r\n"),
    ("ma_quiet_hit", b"ma cnt q v\r\n"),
    ("ma_quiet_miss", b"ma nocnt q\r\n"),
    ("ma_quiet_vivify", b"ma newcnt q N0 J5 v\r\n"),
    ("ma_cas_mismatch", b"ma cnt C1 v\r\n"),
    ("ma_non_numeric", b"ma foo v\r\n"),
    # errors.
    ("err_unknown_meta", b"mz foo\r\n"),
    ("err_mg_no_key", b"mg\r\n"),
    ("err_invalid_flag", b"mg foo !\r\n"),
    ("err_duplicate_flag", b"mg foo v v\r\n"),
    ("err_bad_token", b"mg foo Tx\r\n"),
    ("err_opaque_too_long", b"mg foo O" + b"1" * 40 + b"\r\n"),
    ("err_key_too_long", b"mg " + b"k" * 251 + b" v\r\n"),
    ("err_decode_key", b"mg foo b\r\n"),
    ("err_ms_no_length", b"ms foo\r\n"),
    ("err_ms_mode", b"ms foo 1 MX\r\nx\r\n"),
    ("err_ma_mode", b"ma cnt MX\r\n"),
    ("err_md_invalid", b"md foo !\r\n"),
    ("err_too_large", b"ms big 2000 T0\r\n" + b"z" * 2000 + b"\r\n"),
    ("err_bad_data_chunk", b"ms chunk 3\r\nabcd\r\n"),
    ("err_quiet_still_sent", b"mg foo v v q\r\n"),
    # Text and binary requests as ComposeRequest translates them (client_captured_test.cc
    # checks that it composes exactly these bytes): memcached must accept every form.
    ("tx_set", b"ms txk 3 F9 T0\r\nabc\r\n"),
    ("tx_get", b"mg txk f v\r\n"),
    ("tx_gets", b"mg txk f v c\r\n"),
    ("tx_gat", b"mg txk f v T100\r\n"),
    ("tx_gats", b"mg txk f v c T100\r\n"),
    ("tx_touch", b"mg txk T200\r\n"),
    ("tx_touch_miss", b"mg txnokey T200\r\n"),
    ("tx_bin_touch", b"mg txk T200 f c\r\n"),
    ("tx_add", b"ms txk 1 F0 T0 ME\r\nx\r\n"),
    ("tx_append", b"ms txk 1 F0 T0 MA\r\nx\r\n"),
    ("tx_cas", b"ms txk 1 F0 T0 C1\r\nx\r\n"),
    ("tx_bin_set", b"ms txk 1 F3 T0 c\r\nx\r\n"),
    ("tx_set_expired", b"ms txneg 1 F0 T-1\r\nx\r\n"),
    ("tx_get_expired", b"mg txneg f v\r\n"),
    ("tx_incr_miss", b"ma txn v D5\r\n"),
    ("tx_bin_incr_create", b"ma txn v D5 N0 J7 c\r\n"),
    ("tx_decr", b"ma txn v MD D2\r\n"),
    ("tx_delete", b"md txk\r\n"),
    ("tx_bin_delete_b64", b"md YSBi b\r\n"),
    ("tx_stats_args", b"stats settings\r\n"),
    # me, mn, and the text commands a meta connection uses.
    ("me_hit", b"me foo\r\n"),
    ("me_miss", b"me nokey\r\n"),
    ("mn", b"mn\r\n"),
    ("version", b"version\r\n"),
    ("verbosity", b"verbosity 1\r\n"),
    ("stats_slabs", b"stats slabs\r\n"),
    ("stats", b"stats\r\n"),
    ("flush_all", b"flush_all\r\n"),
    ("tx_flush_all_delay", b"flush_all 0\r\n"),
    ("mg_after_flush", b"mg foo v\r\n"),
]

NOOP = b"mn\r\n"


def c_literal(data):
    """C++ string literal pieces of at most ~90 source columns; octal escapes for every byte
    that is not printable ASCII (3 digits, so a following digit is never absorbed)."""
    pieces, cur = [], ""
    for b in data:
        ch = chr(b)
        if ch == "\\" or ch == '"':
            s = "\\" + ch
        elif 0x20 <= b < 0x7F and ch != "?":
            s = ch
        else:
            s = "\\%03o" % b
        cur += s
        if len(cur) >= 88 or (b == 0x0A and cur):
            pieces.append(cur)
            cur = ""
    if cur or not pieces:
        pieces.append(cur)
    return "\n      ".join('"%s"' % p for p in pieces)


def read_until_noop(sock, buf, req):
    # An "mn" request is answered "MN" itself: wait for that one and the trailing one.
    end = b"MN\r\n" * (2 if req == NOOP else 1)
    while not buf.endswith(end):
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("memcached closed the connection")
        buf += chunk
    return buf[: -len(b"MN\r\n")]


def entry(name, req, reply):
    return "{\"%s\",\n    MF_BYTES(%s),\n    MF_BYTES(%s)},\n" % (name, c_literal(req),
                                                              c_literal(reply))


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 21061
    assert 21050 <= port <= 21099
    records = []
    with testdata_capture.reference_memcached(
            port, ["-I", "1k", "-o", "slab_chunk_max=512", "-m", "64"]) as sock:
        for name, req in CASES:
            sock.sendall(req + NOOP)
            try:
                reply = read_until_noop(sock, b"", req)
            except socket.timeout:
                raise RuntimeError("no reply to case " + name)
            records.append((name, req, reply))
    testdata_capture.write_captured(
        OUT, "// Generated by capture.py from %s; do not edit.\n"
        "// {name, request bytes, reply bytes}: MF_BYTES keeps embedded NULs.\n"
        % testdata_capture.memcached_version(), records, entry)


if __name__ == "__main__":
    main()
