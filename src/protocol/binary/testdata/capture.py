#!/usr/bin/python3
"""Records memcached 1.6.18's exact binary-protocol replies for client_test.cc.

Starts /usr/bin/memcached on 127.0.0.1 (a port in 21100-21149: $CAPTURE_PORT, default 21131),
sends each request of the corpus below on a fresh connection followed by a NOOP marker (so that a
quiet request's silence is recorded as an empty reply), records every byte before the marker's
reply (or up to EOF when memcached closes the connection), stops memcached and writes
captured_replies.inc beside this script: a C++ array of {name, request bytes, reply bytes}.
Starting, stopping and writing are src/protocol/testdata_capture.py's. Rerun it after changing
the corpus:
    /usr/bin/python3 src/protocol/binary/testdata/capture.py
"""
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # src/protocol
import testdata_capture  # noqa: E402

PORT = int(os.environ.get("CAPTURE_PORT", "21131"))
OUT = os.path.join(HERE, "captured_replies.inc")
MARKER_OPAQUE = 0xFEEDFACE

OP = dict(GET=0x00, SET=0x01, ADD=0x02, REPLACE=0x03, DELETE=0x04, INCR=0x05, DECR=0x06,
          QUIT=0x07, FLUSH=0x08, GETQ=0x09, NOOP=0x0A, VERSION=0x0B, GETK=0x0C, GETKQ=0x0D,
          APPEND=0x0E, PREPEND=0x0F, STAT=0x10, SETQ=0x11, ADDQ=0x12, REPLACEQ=0x13,
          DELETEQ=0x14, INCRQ=0x15, DECRQ=0x16, QUITQ=0x17, FLUSHQ=0x18, APPENDQ=0x19,
          PREPENDQ=0x1A, VERBOSITY=0x1B, TOUCH=0x1C, GAT=0x1D, GATQ=0x1E, SASL_LIST=0x20,
          GATK=0x23, GATKQ=0x24)


def packet(op, key=b"", extras=b"", value=b"", opaque=0, cas=0):
    if isinstance(op, str):
        op = OP[op]
    body = len(extras) + len(key) + len(value)
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, body, opaque,
                       cas) + extras + key + value


def store(op, key, value, flags=0, exptime=0, opaque=0, cas=0):
    return packet(op, key, struct.pack(">II", flags, exptime), value, opaque, cas)


def delta(op, key, by, initial=0, exptime=0, opaque=0, cas=0):
    return packet(op, key, struct.pack(">QQI", by, initial, exptime), b"", opaque, cas)


def touch(op, key, exptime, opaque=0):
    return packet(op, key, struct.pack(">I", exptime), b"", opaque)


def exchange(req, pad=b""):
    s = testdata_capture.connect(PORT, timeout=5)
    marker = packet("NOOP", opaque=MARKER_OPAQUE)
    s.sendall(req + pad + marker)
    got = b""
    while True:
        # Stop at the marker's reply: a whole packet whose opaque is the marker's.
        at = 0
        done = None
        while len(got) - at >= 24:
            body = struct.unpack(">I", got[at + 8:at + 12])[0]
            if len(got) - at < 24 + body:
                break
            if struct.unpack(">I", got[at + 12:at + 16])[0] == MARKER_OPAQUE and got[at + 1] == 0x0A:
                done = at
                break
            at += 24 + body
        if done is not None:
            s.close()
            return got[:done]
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            sys.exit("timed out waiting for a reply to %r; got %r" % (req[:32], got))
        if not chunk:  # memcached closed the connection
            s.close()
            return got
        got += chunk


def cas_of(reply):
    return struct.unpack(">Q", reply[16:24])[0]


def corpus():
    """Yields (name, request[, padding]); a callable request is given the replies so far."""
    v = b"hello\r\nworld\x00\xff"
    yield "get_miss", packet("GET", b"nokey", opaque=1)
    yield "getk_miss", packet("GETK", b"nokey", opaque=2)
    yield "getq_miss", packet("GETQ", b"nokey", opaque=3)
    yield "getkq_miss", packet("GETKQ", b"nokey", opaque=4)
    yield "set_stored", store("SET", b"k1", v, flags=0xDEADBEEF, opaque=5)
    yield "get_hit", packet("GET", b"k1", opaque=6)
    yield "getk_hit", packet("GETK", b"k1", opaque=7)
    yield "getq_hit", packet("GETQ", b"k1", opaque=8)
    yield "getkq_hit", packet("GETKQ", b"k1", opaque=9)
    yield "set_empty_value", store("SET", b"empty", b"", flags=3, opaque=10)
    yield "get_empty_value", packet("GET", b"empty", opaque=11)
    yield "setq_stored", store("SETQ", b"k2", b"two", flags=2, exptime=1000, opaque=12)
    yield "add_exists", store("ADD", b"k1", b"x", opaque=13)
    yield "addq_exists", store("ADDQ", b"k1", b"x", opaque=14)
    yield "add_stored", store("ADD", b"k3", b"three", opaque=15)
    yield "replace_stored", store("REPLACE", b"k3", b"THREE", flags=7, opaque=16)
    yield "replace_missing", store("REPLACE", b"nokey", b"x", opaque=17)
    yield "replaceq_missing", store("REPLACEQ", b"nokey", b"x", opaque=18)
    yield "append_stored", packet("APPEND", b"k3", b"", b"-tail", opaque=19)
    yield "prepend_stored", packet("PREPEND", b"k3", b"", b"head-", opaque=20)
    yield "appendq_stored", packet("APPENDQ", b"k3", b"", b"!", opaque=21)
    yield "append_missing", packet("APPEND", b"nokey", b"", b"x", opaque=22)
    yield "prependq_missing", packet("PREPENDQ", b"nokey", b"", b"x", opaque=23)
    yield "get_appended", packet("GET", b"k3", opaque=24)
    yield "cas_mismatch", store("SET", b"k1", b"new", opaque=25, cas=999999)
    yield "cas_missing", store("SET", b"nokey", b"new", opaque=26, cas=5)
    yield "cas_match", lambda r: store("SET", b"k1", b"casval", flags=1, opaque=27,
                                       cas=cas_of(r["get_hit"]))
    yield "replace_with_cas_mismatch", store("REPLACE", b"k1", b"zz", opaque=28, cas=1)
    yield "delete_hit", packet("DELETE", b"k2", opaque=29)
    yield "delete_miss", packet("DELETE", b"k2", opaque=30)
    yield "deleteq_miss", packet("DELETEQ", b"k2", opaque=31)
    yield "setq_again", store("SETQ", b"k2", b"x", opaque=32)
    yield "deleteq_hit", packet("DELETEQ", b"k2", opaque=33)
    yield "delete_cas_mismatch", packet("DELETE", b"k1", opaque=34, cas=1)
    yield "incr_create", delta("INCR", b"n", 5, initial=10, exptime=0, opaque=35)
    yield "incr_hit", delta("INCR", b"n", 5, initial=0, opaque=36)
    yield "decr_hit", delta("DECR", b"n", 3, opaque=37)
    yield "decr_below_zero", delta("DECR", b"n", 1000, opaque=38)
    yield "incr_wrap", delta("INCR", b"n", 0xFFFFFFFFFFFFFFFF, opaque=39)
    yield "incrq_hit", delta("INCRQ", b"n", 1, opaque=40)
    yield "decrq_hit", delta("DECRQ", b"n", 1, opaque=41)
    yield "incr_nocreate_miss", delta("INCR", b"nonum", 1, initial=4, exptime=0xFFFFFFFF, opaque=42)
    yield "decr_create", delta("DECR", b"dnum", 1, initial=7, exptime=100, opaque=43)
    yield "incrq_nocreate_miss", delta("INCRQ", b"nonum", 1, exptime=0xFFFFFFFF, opaque=44)
    yield "incr_non_numeric", delta("INCR", b"k3", 1, opaque=45)
    yield "touch_hit", touch("TOUCH", b"k3", 500, opaque=46)
    yield "touch_miss", touch("TOUCH", b"nokey", 500, opaque=47)
    yield "gat_hit", touch("GAT", b"k3", 600, opaque=48)
    yield "gat_miss", touch("GAT", b"nokey", 600, opaque=49)
    yield "gatk_hit", touch("GATK", b"k3", 0, opaque=50)
    yield "gatk_miss", touch("GATK", b"nokey", 0, opaque=51)
    yield "gatq_hit", touch("GATQ", b"k3", 0, opaque=52)
    yield "gatq_miss", touch("GATQ", b"nokey", 0, opaque=53)
    yield "gatkq_hit", touch("GATKQ", b"k3", 0, opaque=54)
    yield "gatkq_miss", touch("GATKQ", b"nokey", 0, opaque=55)
    yield "set_too_large", store("SET", b"big", b"B" * 2048, opaque=56)
    yield "setq_too_large", store("SETQ", b"big", b"B" * 2048, opaque=57)
    yield "noop", packet("NOOP", opaque=58)
    yield "version", packet("VERSION", opaque=59)
    yield "stat_items", packet("STAT", b"items", opaque=60)
    yield "stat_unknown", packet("STAT", b"bogus", opaque=61)
    yield "stat_general", packet("STAT", opaque=62)
    yield "unknown_command", packet(0x50, opaque=63)
    # memcached answers an opcode it does not implement and then swallows body_length more bytes
    # (the next request's); the padding, not recorded, keeps the marker whole.
    yield "verbosity", packet("VERBOSITY", b"", struct.pack(">I", 1), opaque=64), b"\0" * 4
    yield "sasl_list_mechs_disabled", packet("SASL_LIST", opaque=65)
    yield "get_with_extras_invalid", packet("GET", b"k1", b"\x00\x00\x00\x00", opaque=66)
    yield "key_too_long", packet("GET", b"k" * 251, opaque=67)
    yield "flush", packet("FLUSH", opaque=68)
    yield "get_after_flush", packet("GET", b"k1", opaque=69)
    yield "flush_delayed", packet("FLUSH", b"", struct.pack(">I", 0), opaque=70)
    yield "flushq", packet("FLUSHQ", opaque=71)
    yield "quit", packet("QUIT", opaque=72)
    yield "quitq", packet("QUITQ", opaque=73)


def c_literal(b):
    out = []
    for ch in b:
        c = chr(ch)
        if 32 <= ch < 127 and c not in '"\\?':
            out.append(c)
        else:
            out.append("\\%03o" % ch)  # octal: never swallows a following hex-looking character
    s = "".join(out)
    # Break long literals into lines the compiler concatenates.
    parts = [s[i:i + 80] for i in range(0, len(s), 80)] or [""]
    # Do not split inside an escape.
    fixed, carry = [], ""
    for p in parts:
        p = carry + p
        cut = p.rfind("\\")
        if cut != -1 and cut > len(p) - 4:
            carry, p = p[cut:], p[:cut]
        else:
            carry = ""
        fixed.append(p)
    if carry:
        fixed.append(carry)
    return "\n     ".join('"%s"' % p for p in fixed)


def entry(name, req, reply):
    return '{"%s",\n    {%s, %d},\n    {%s, %d}},\n' % (name, c_literal(req), len(req),
                                                       c_literal(reply), len(reply))


def main():
    replies = {}
    rows = []
    with testdata_capture.reference_memcached(
            PORT, ["-I", "1k", "-o", "slab_chunk_max=512", "-m", "16"]) as ready:
        ready.close()  # each case has a connection of its own
        for case in corpus():
            name, req, pad = case if len(case) == 3 else case + (b"",)
            if callable(req):
                req = req(replies)
            reply = exchange(req, pad)
            replies[name] = reply
            rows.append((name, req, reply))
    testdata_capture.write_captured(
        OUT, "// Generated by capture.py from %s: {name, request, reply}. Do not edit.\n"
        "// clang-format off\n" % testdata_capture.memcached_version(), rows, entry,
        "// clang-format on\n")


if __name__ == "__main__":
    main()
