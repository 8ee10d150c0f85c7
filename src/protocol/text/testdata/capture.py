#!/usr/bin/python3
"""Captures memcached's exact text-protocol replies for client_test.cc.

Starts the reference memcached (/usr/bin/memcached, or $MEMCACHED) on 127.0.0.1:21021, runs a
corpus of text requests covering every command and outcome, and writes captured_replies.inc
beside this script: a C++ array of {name, request bytes, reply bytes} string literals, every
byte escaped so that it is exact. Each case first sends its setup on a connection of its own
(not recorded), then its request on a fresh connection followed by "mn\\r\\n": the reply is
everything before the "MN\\r\\n" that answers it (quit: everything before the close). The
server is started, and stopped by its pid when the script ends, by
src/protocol/testdata_capture.py.

Run: /usr/bin/python3 src/protocol/text/testdata/capture.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # src/protocol
import testdata_capture  # noqa: E402

PORT = 21021
# -I 4k keeps the "too large" request small enough to check in (slab_chunk_max must follow).
OPTIONS = ["-I", "4k", "-o", "slab_chunk_max=2048"]

MN = b"mn\r\n"
MN_REPLY = b"MN\r\n"


def exchange(data, until_close=False):
    """Sends data (+ "mn" unless until_close) and returns the reply before "MN\\r\\n"."""
    s = testdata_capture.connect(PORT)
    try:
        s.sendall(data if until_close else data + MN)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                if until_close:
                    return got
                raise RuntimeError("closed early: %r" % got)
            got += chunk
            if not until_close and got.endswith(MN_REPLY):
                return got[: -len(MN_REPLY)]
    finally:
        s.close()


def store(key, value, flags=0):
    return b"set %s %d 0 %d\r\n%s\r\n" % (key, flags, len(value), value)


def cas_of(key):
    reply = exchange(b"gets " + key + b"\r\n")
    return int(reply.split(b"\r\n")[0].split(b" ")[4])


BINARY = bytes(range(256)) + b"\r\nEND\r\nVALUE x 0 1\r\n\r\n"
KEY250 = b"k" * 250


def cases():
    """(name, setup bytes, request bytes) or (name, setup, callable(setup) -> request)."""
    return [
        ("get_hit", store(b"g1", b"hello", 5), b"get g1\r\n"),
        ("get_miss", b"", b"get nosuchkey\r\n"),
        ("get_multi", store(b"gm1", b"one", 1) + store(b"gm2", b"two", 2),
         b"get gm1 nosuch gm2\r\n"),
        ("get_empty_value", store(b"ge", b""), b"get ge\r\n"),
        ("get_binary_value", store(b"gb", BINARY, 4294967295), b"get gb\r\n"),
        ("get_big_value", store(b"gbig", b"v" * 3000), b"get gbig\r\n"),
        ("get_key_250", store(KEY250, b"long key"), b"get " + KEY250 + b"\r\n"),
        ("get_key_too_long", b"", b"get " + KEY250 + b"k\r\n"),
        ("gets_hit", store(b"gs1", b"cas me", 7), b"gets gs1\r\n"),
        ("gets_multi_miss", b"", b"gets nosuch1 nosuch2\r\n"),
        ("gat_hit", store(b"gt1", b"touch me", 3), b"gat 100 gt1\r\n"),
        ("gats_hit", store(b"gt2", b"touch me too", 9), b"gats 0 gt2\r\n"),
        ("gat_miss", b"", b"gat 100 nosuch\r\n"),
        ("gat_bad_exptime", b"", b"gat abc gt1\r\n"),
        ("set_stored", b"", b"set s1 12 0 5\r\nvalue\r\n"),
        ("set_binary_stored", b"", b"set s2 0 0 %d\r\n%s\r\n" % (len(BINARY), BINARY)),
        ("set_noreply", b"", b"set s3 0 0 5 noreply\r\nvalue\r\n"),
        ("set_negative_length", b"", b"set s4 0 0 -1\r\n"),
        ("set_negative_length_noreply", b"", b"set s4 0 0 -1 noreply\r\n"),
        ("set_too_large", b"", b"set s5 0 0 5000\r\n" + b"x" * 5000 + b"\r\n"),
        ("set_too_large_noreply", b"", b"set s5 0 0 5000 noreply\r\n" + b"x" * 5000 + b"\r\n"),
        ("set_bad_data_chunk", b"", b"set s6 0 0 3\r\nabcde\r\n"),
        ("set_bad_data_chunk_noreply", b"", b"set s6 0 0 3 noreply\r\nabcde\r\n"),
        ("set_wrong_token_count", b"", b"set s7 0 0\r\n"),
        ("add_stored", b"", b"add a1 0 0 1\r\na\r\n"),
        ("add_not_stored", store(b"a2", b"x"), b"add a2 0 0 1\r\na\r\n"),
        ("replace_stored", store(b"r1", b"x"), b"replace r1 0 0 1\r\nr\r\n"),
        ("replace_not_stored", b"", b"replace r2 0 0 1\r\nr\r\n"),
        ("append_stored", store(b"ap1", b"x"), b"append ap1 0 0 2\r\nyz\r\n"),
        ("append_not_stored", b"", b"append ap2 0 0 2\r\nyz\r\n"),
        ("prepend_stored", store(b"pp1", b"x"), b"prepend pp1 0 0 2\r\nvw\r\n"),
        ("prepend_not_stored", b"", b"prepend pp2 0 0 2\r\nvw\r\n"),
        ("cas_stored", store(b"c1", b"x"),
         lambda: b"cas c1 0 0 1 %d\r\nz\r\n" % cas_of(b"c1")),
        ("cas_exists", store(b"c2", b"x"), b"cas c2 0 0 1 1\r\nz\r\n"),
        ("cas_not_found", b"", b"cas c3 0 0 1 1\r\nz\r\n"),
        ("cas_noreply", store(b"c4", b"x"), b"cas c4 0 0 1 1 noreply\r\nz\r\n"),
        ("delete_deleted", store(b"d1", b"x"), b"delete d1\r\n"),
        ("delete_not_found", b"", b"delete d2\r\n"),
        ("delete_noreply", store(b"d3", b"x"), b"delete d3 noreply\r\n"),
        ("delete_zero_hold", store(b"d4", b"x"), b"delete d4 0\r\n"),
        ("delete_hold_refused", b"", b"delete d5 10\r\n"),
        ("touch_touched", store(b"t1", b"x"), b"touch t1 100\r\n"),
        ("touch_not_found", b"", b"touch t2 100\r\n"),
        ("touch_noreply", store(b"t3", b"x"), b"touch t3 100 noreply\r\n"),
        ("incr_hit", store(b"i1", b"41"), b"incr i1 1\r\n"),
        ("incr_wraps", store(b"i2", b"18446744073709551615"), b"incr i2 2\r\n"),
        ("incr_big_delta", store(b"i3", b"0"), b"incr i3 18446744073709551615\r\n"),
        ("decr_hit", store(b"i4", b"100"), b"decr i4 58\r\n"),
        ("decr_floor_zero", store(b"i5", b"3"), b"decr i5 10\r\n"),
        ("incr_not_found", b"", b"incr i6 1\r\n"),
        ("incr_non_numeric", store(b"i7", b"abc"), b"incr i7 1\r\n"),
        ("decr_non_numeric", store(b"i8", b"12a"), b"decr i8 1\r\n"),
        ("incr_bad_delta", b"", b"incr i9 -1\r\n"),
        ("incr_noreply", store(b"i10", b"1"), b"incr i10 5 noreply\r\n"),
        ("incr_non_numeric_noreply", store(b"i11", b"x"), b"incr i11 5 noreply\r\n"),
        ("unknown_command", b"", b"bogus\r\n"),
        ("unknown_command_noreply", b"", b"bogus noreply\r\n"),
        ("empty_line", b"", b"\r\n"),
        ("stats_settings", b"", b"stats settings\r\n"),
        ("stats_sizes", b"", b"stats sizes\r\n"),
        ("stats_reset", b"", b"stats reset\r\n"),
        ("stats_detail_on", b"", b"stats detail on\r\n"),
        ("stats_detail_off", b"", b"stats detail off\r\n"),
        ("stats_unknown", b"", b"stats bogus\r\n"),
        ("version", b"", b"version\r\n"),
        ("verbosity", b"", b"verbosity 1\r\n"),
        ("verbosity_noreply", b"", b"verbosity 0 noreply\r\n"),
        ("flush_all", b"", b"flush_all\r\n"),
        ("flush_all_delay", b"", b"flush_all 0\r\n"),
        ("flush_all_noreply", b"", b"flush_all noreply\r\n"),
        ("flush_all_bad_delay", b"", b"flush_all abc\r\n"),
        ("noop", b"", b"mn\r\n"),
        ("quit", b"", b"quit\r\n"),
    ]


def escape(data):
    """A C++ string_view literal ("..."sv) for any bytes: octal escapes for anything not plain
    ASCII, split into adjacent literals (which concatenate) of at most ~96 characters."""
    tokens = []
    for b in data:
        c = chr(b)
        if c == '"' or c == "\\":
            tokens.append("\\" + c)
        elif 0x20 <= b < 0x7F and c != "?":
            tokens.append(c)
        else:
            tokens.append("\\%03o" % b)
    pieces = []
    current = ""
    for t in tokens:
        if len(current) + len(t) > 96:
            pieces.append('"' + current + '"')
            current = ""
        current += t
    pieces.append('"' + current + '"')
    return "\n        ".join(pieces) + "sv"


def entry(name, request, reply):
    return "{\"%s\",\n        %s,\n        %s},\n" % (name, escape(request), escape(reply))


def main():
    rows = []
    with testdata_capture.reference_memcached(PORT, OPTIONS) as ready:
        ready.close()  # each case has connections of its own
        for name, setup, request in cases():
            if setup:
                exchange(setup)
            if callable(request):
                request = request()
            reply = exchange(request, until_close=(name == "quit"))
            rows.append((name, request, reply))
    testdata_capture.write_captured(
        os.path.join(HERE, "captured_replies.inc"),
        "// Generated by capture.py from %s; do not edit.\n"
        "// {name, request bytes, reply bytes}: memcached's exact text replies.\n"
        % testdata_capture.memcached_version(), rows, entry)


if __name__ == "__main__":
    main()
