"""memfleet-router on the wire: raw text, meta and binary requests, answered byte for byte as one
Debian memcached answers them directly.

Each case runs on a fresh connection to a direct memcached and on a fresh connection to the router
(in front of three memcached, and in front of three memfleetd), step by step; the replies must be
identical. Every step ends with a barrier (text and meta: `version`; binary: a noop with a
sentinel opaque) whose reply marks the end of the step's replies, so that "no reply" (noreply,
meta q, quiet opcodes) is checked without waiting. Cases that close the connection (quit, a bad
binary magic) are read until the close instead. The keys of each case carry the case's own prefix.
All servers run with `-I 512k` (the router with `--max-item-size 512k`).

CAS unique values are per server, so they are replaced by a placeholder before comparing (text
`VALUE` lines, meta `c` flags, binary headers: zero or not); `$CAS` in a request is the last cas
value the same connection received.

Where the router answers differently from memcached on purpose, the test asserts the router's
documented answer: `stats` is the router's own (memcached's names and format, plus
`stats servers`); `flush_all` is refused without --enable-flush-cmd and fanned out to every server
with it; stats groups the router does not keep (`stats items`, `stats slabs`...) answer ERROR.
"""

from __future__ import annotations

import base64
import re
import struct
from typing import Callable, List, Tuple

import pytest

from router_fixture import MEMCACHED, module_fleet_factory  # noqa: F401 (fixture)
from server_process import check_executable
from wire import WireConn, parse_values

pytestmark = pytest.mark.skipif(check_executable(MEMCACHED) is not None,
                                reason="Debian memcached (the oracle) is not installed")

ITEM_LIMIT = ["-I", "512k"]
ROUTER_ITEM_LIMIT = ["--max-item-size", "512k"]
BARRIER_OPAQUE = 0xFEEDFACE

# ---- binary frames -------------------------------------------------------------------------------

HEADER = struct.Struct(">BBHBBHIIQ")
(GET, SET, ADD, REPLACE, DELETE, INCR, DECR, QUIT, FLUSH, GETQ, NOOP, VERSION, GETK,
 GETKQ) = range(14)
APPEND, PREPEND, STAT, SETQ, ADDQ, REPLACEQ, DELETEQ, INCRQ, DECRQ, QUITQ, FLUSHQ = range(14, 25)
APPENDQ, PREPENDQ, VERBOSITY = 0x19, 0x1A, 0x1B
TOUCH, GAT, GATQ, GATK, GATKQ = 0x1C, 0x1D, 0x1E, 0x23, 0x24


def frame(op, key=b"", extras=b"", value=b"", opaque=0, cas=0, magic=0x80):
    if isinstance(key, str):
        key = key.encode()
    body = len(extras) + len(key) + len(value)
    head = HEADER.pack(magic, op, len(key), len(extras), 0, 0, body, opaque, cas)
    return head + extras + key + value


def store_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def delta_extras(delta, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


def exptime_extras(exptime):
    return struct.pack(">I", exptime)


# ---- one connection's exchange -------------------------------------------------------------------


class Session:
    """One connection of one case: sends steps, reads each step's replies up to the barrier,
    normalizes cas values and remembers the last one."""

    def __init__(self, addr, proto: str, prefix: str):
        self.conn = WireConn(addr, timeout=15.0)
        self.proto = proto
        self.k = prefix
        self.cas = 0

    def close(self):
        self.conn.close()

    def expand(self, step) -> bytes:
        if callable(step):
            return step(self)
        return step.replace(b"{k}", self.k.encode()).replace(b"$CAS", str(self.cas).encode())

    def exchange(self, step, closes: bool = False):
        data = self.expand(step)
        if closes:
            self.conn.send(data)
            return ("closed", self.normalize(self.conn.expect_closed()))
        if self.proto == "binary":
            self.conn.send(data + frame(NOOP, opaque=BARRIER_OPAQUE))
            return self.read_binary()
        return self.normalize(self.conn.request(data))

    def read_binary(self):
        frames = []
        while True:
            head = self.conn.read_exactly(24)
            magic, op, keylen, extlen, _dt, status, body, opaque, cas = HEADER.unpack(head)
            rest = self.conn.read_exactly(body) if body else b""
            if op == NOOP and opaque == BARRIER_OPAQUE:
                return frames
            if cas:
                self.cas = cas
            frames.append((hex(magic), hex(op), status, opaque, "cas" if cas else 0,
                           rest[:extlen], rest[extlen:extlen + keylen], rest[extlen + keylen:]))
            assert len(frames) < 10000

    def normalize(self, reply: bytes):
        if self.proto == "binary":
            frames = []
            while len(reply) >= 24:
                magic, op, keylen, extlen, _dt, status, body, opaque, cas = HEADER.unpack(
                    reply[:24])
                rest, reply = reply[24:24 + body], reply[24 + body:]
                frames.append((hex(magic), hex(op), status, opaque, "cas" if cas else 0,
                               rest[:extlen], rest[extlen:extlen + keylen],
                               rest[extlen + keylen:]))
            return frames + ([("trailing bytes", reply)] if reply else [])

        def text_cas(m):
            self.cas = int(m.group(2))
            return m.group(1) + b" <cas>\r\n"

        def meta_cas(m):
            self.cas = int(m.group(1))
            return b" c<cas>"

        reply = re.sub(rb"(?m)^(VALUE \S+ \d+ \d+) (\d+)\r\n", text_cas, reply)
        lines = reply.split(b"\r\n")
        for i, line in enumerate(lines):
            if re.match(rb"(HD|VA \d+|EN|NF|NS|EX)( |$)", line):
                lines[i] = re.sub(rb" c(\d+)", meta_cas, line)
        return b"\r\n".join(lines)


def run_case(addr, proto, prefix, steps) -> List[Tuple[int, object]]:
    s = Session(addr, proto, prefix)
    out = []
    try:
        for i, step in enumerate(steps):
            closes = isinstance(step, Closes)
            out.append((i, s.exchange(step.data if closes else step, closes=closes)))
            if closes:
                break
    finally:
        s.close()
    return out


class Closes:
    """A step after which the server closes the connection."""

    def __init__(self, data):
        self.data = data


def T(text: str) -> bytes:
    return text.encode("latin-1")


def B(fn: Callable) -> Callable:
    """A binary step: fn(key_prefix, last_cas) -> bytes."""
    return lambda s: fn(s.k, s.cas)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---- the corpus ----------------------------------------------------------------------------------

LONG_KEY = "x" * 251
BIG_OVER_ROUTER = 600 * 1024          # refused by the router itself
BIG_OVER_SERVER = 512 * 1024 - 20     # under the router's limit, over the server's item size

CASES = {
    # -- text
    "text storage": ("text", [
        T("set {k}a 5 0 3\r\nabc\r\n"), T("get {k}a\r\n"), T("gets {k}a\r\n"),
        T("get {k}a {k}missing {k}a\r\n"), T("get {k}missing\r\n"),
        T("add {k}a 0 0 1\r\nx\r\n"), T("add {k}b 7 0 2\r\nbb\r\n"),
        T("replace {k}c 0 0 1\r\nc\r\n"), T("replace {k}b 9 0 3\r\nbbb\r\n"),
        T("append {k}b 0 0 2\r\n++\r\n"), T("prepend {k}b 0 0 2\r\n--\r\n"),
        T("append {k}nokey 0 0 1\r\nx\r\n"), T("prepend {k}nokey 0 0 1\r\nx\r\n"),
        T("gets {k}b\r\n"), T("cas {k}b 1 0 1 $CAS\r\nz\r\n"), T("cas {k}b 1 0 1 $CAS\r\nw\r\n"),
        T("cas {k}nokey 1 0 1 1\r\nz\r\n"), T("get {k}b\r\n"),
        T("set {k}empty 0 0 0\r\n\r\n"), T("get {k}empty\r\n"),
        T("set {k}bin 4294967295 0 6\r\n\x00\r\n\xff\r\n\r\n"), T("gets {k}bin\r\n"),
        T("set {k}past 0 -1 1\r\nx\r\n"), T("get {k}past\r\n"),
        T("set {k}big 0 0 100000\r\n" + "y" * 100000 + "\r\n"), T("get {k}big {k}a\r\n"),
    ]),
    "text arithmetic touch delete": ("text", [
        T("set {k}n 0 0 2\r\n10\r\n"), T("incr {k}n 5\r\n"), T("decr {k}n 100\r\n"),
        T("incr {k}n 18446744073709551615\r\n"), T("incr {k}n 2\r\n"),
        T("incr {k}nokey 1\r\n"), T("decr {k}nokey 1\r\n"),
        T("set {k}a 0 0 3\r\nabc\r\n"), T("incr {k}a 1\r\n"), T("incr {k}n abc\r\n"),
        T("decr {k}n -1\r\n"), T("touch {k}a 100\r\n"), T("touch {k}nokey 100\r\n"),
        T("gat 100 {k}a\r\n"), T("gats 100 {k}a {k}n {k}missing\r\n"), T("gat 100 {k}missing\r\n"),
        T("delete {k}a\r\n"), T("delete {k}a\r\n"), T("delete {k}n 0\r\n"),
        T("delete {k}n 5\r\n"), T("delete {k}n noreply\r\n"), T("get {k}n\r\n"),
    ]),
    "text noreply": ("text", [
        T("set {k}q 3 0 1 noreply\r\nq\r\n"), T("get {k}q\r\n"),
        T("add {k}q 0 0 1 noreply\r\nq\r\n"), T("replace {k}q 4 0 1 noreply\r\nr\r\n"),
        T("append {k}q 0 0 1 noreply\r\ns\r\n"), T("prepend {k}q 0 0 1 noreply\r\np\r\n"),
        T("gets {k}q\r\n"), T("cas {k}q 0 0 1 $CAS noreply\r\nC\r\n"), T("get {k}q\r\n"),
        T("set {k}n 0 0 1 noreply\r\n5\r\n"), T("incr {k}n 10 noreply\r\n"),
        T("decr {k}n 3 noreply\r\n"), T("touch {k}q 100 noreply\r\n"),
        T("delete {k}q noreply\r\n"), T("get {k}q {k}n\r\n"),
        # errors under noreply: memcached still answers some
        T("incr {k}missing 1 noreply\r\n"), T("bogus noreply\r\n"),
        T("set {k}bad 0 0 1 noreply\r\nxy\r\n"),
    ]),
    "text bad command lines": ("text", [
        T("set {k}a 0 0\r\n"), T("set {k}a abc 0 1\r\nx\r\n"), T("set {k}a 0 abc 1\r\nx\r\n"),
        T("set {k}a 0 0 abc\r\nx\r\n"), T("set {k}a 0 0 -1\r\n"),
        T("set " + LONG_KEY + " 0 0 1\r\nx\r\n"), T("get " + LONG_KEY + "\r\n"),
        T("get\r\n"), T("gets\r\n"), T("incr {k}a\r\n"), T("touch {k}a\r\n"),
        T("touch {k}a abc\r\n"), T("delete\r\n"), T("cas {k}a 0 0 1\r\nx\r\n"),
        T("\r\n"), T("GET {k}a\r\n"), T("foo\r\n"), T("foo bar baz\r\n"),
        T("set {k}a 0 0 1 noreply extra\r\nx\r\n"), T("gat {k}a\r\n"), T("gat abc {k}a\r\n"),
    ]),
    "text bad data chunk": ("text", [
        T("set {k}a 0 0 1\r\nx\r\n"),
        T("set {k}a 0 0 3\r\nabcde\r\n"), T("get {k}a\r\n"),
        T("set {k}b 0 0 2\r\nabXY"), T("get {k}b\r\n"),
        T("append {k}a 0 0 1\r\nxyz\r\n"), T("get {k}a\r\n"),
    ]),
    "text value over the item size": ("text", [
        T("set {k}a 0 0 1\r\nx\r\n"),
        T(f"set {{k}}a 0 0 {BIG_OVER_ROUTER}\r\n" + "b" * BIG_OVER_ROUTER + "\r\n"),
        T("get {k}a\r\n"),
        T("set {k}b 0 0 1\r\nx\r\n"),
        T(f"set {{k}}b 0 0 {BIG_OVER_SERVER}\r\n" + "b" * BIG_OVER_SERVER + "\r\n"),
        T("get {k}b\r\n"),
        T(f"set {{k}}c 0 0 {BIG_OVER_ROUTER} noreply\r\n" + "b" * BIG_OVER_ROUTER + "\r\n"),
        T("get {k}c\r\n"),
    ]),
    "text version and verbosity": ("text", [
        T("version\r\n"), T("verbosity 1\r\n"), T("verbosity 0 noreply\r\n"), T("verbosity\r\n"),
    ]),
    "text quit": ("text", [
        T("set {k}a 0 0 1\r\nx\r\n"), Closes(T("get {k}a\r\nquit\r\nget {k}a\r\n")),
    ]),
    # -- meta
    "meta get and set flags": ("meta", [
        T("ms {k}m1 3 T0 F5\r\nabc\r\n"), T("mg {k}m1 v f c k s Oab\r\n"), T("mg {k}m1 v\r\n"),
        T("mg {k}m1\r\n"), T("mg {k}m1 k f\r\n"), T("mg {k}m1 t v\r\n"), T("mg {k}m1 h v\r\n"),
        T("mg {k}m1 h\r\n"), T("mg {k}missing v\r\n"), T("mg {k}missing v q\r\n"),
        T("mg {k}missing v Oq k\r\n"), T("mg {k}m1 q v\r\n"), T("mg {k}m1 q\r\n"),
        T("ms {k}m1 3 T0 F5 c k O99 q\r\nxyz\r\n"), T("mg {k}m1 s v f Oxyz k c\r\n"),
        T("mn\r\n"), T("mg {k}m1 v v\r\n"),
    ]),
    "meta set modes and cas": ("meta", [
        T("ms {k}m2 2 ME\r\nhi\r\n"), T("ms {k}m2 2 ME\r\nhi\r\n"), T("ms {k}m2 2 MA\r\n++\r\n"),
        T("ms {k}m2 2 MP\r\n--\r\n"), T("ms {k}nokey 2 MR\r\nhi\r\n"),
        T("ms {k}nokey 2 MA\r\nhi\r\n"), T("ms {k}m2 1 C1\r\nx\r\n"), T("mg {k}m2 c v\r\n"),
        T("ms {k}m2 1 C$CAS c\r\nx\r\n"), T("ms {k}m2 1 F7 k O1 c\r\ny\r\n"),
        T("mg {k}m2 f v k\r\n"), T("ms {k}m2 2 MX\r\nhi\r\n"), T("ms {k}m2 2 I\r\nhi\r\n"),
    ]),
    "meta delete and arithmetic": ("meta", [
        T("ms {k}m1 1\r\na\r\n"), T("ms {k}m2 1\r\nb\r\n"), T("md {k}m2\r\n"), T("md {k}m2\r\n"),
        T("md {k}m2 q\r\n"), T("md {k}m1 q O5\r\n"), T("mg {k}m1 v\r\n"),
        T("ma {k}cnt N0 J10\r\n"), T("ma {k}cnt v\r\n"), T("ma {k}cnt MD D5 v\r\n"),
        T("ma {k}cnt MI D100 v c\r\n"), T("ma {k}nocnt\r\n"), T("ma {k}nocnt v q\r\n"),
        T("ma {k}cnt q\r\n"), T("ma {k}cnt q v\r\n"), T("ma {k}vq1 q N0 J5\r\n"),
        T("ma {k}vq1 q N0 J5\r\n"), T("ma {k}vq2 q N0 J5 v O7 k\r\n"),
        T("ms {k}txt 3\r\nabc\r\n"), T("ma {k}txt v\r\n"), T("ma {k}cnt D abc\r\n"),
    ]),
    "meta base64 keys, ttl and errors": ("meta", [
        T("ms {k}m3 2 T-1\r\nhi\r\n"), T("mg {k}m3 v\r\n"), T("mg {k}viv N30 v\r\n"),
        T("mg {k}viv v c\r\n"),
        lambda s: f"mg {b64(s.k + 'b1')} b v k\r\n".encode(),
        lambda s: f"ms {b64(s.k + 'b1')} 2 b\r\nhi\r\n".encode(),
        lambda s: f"mg {b64(s.k + 'b1')} b v k\r\n".encode(),
        T("mg {k}m3 !\r\n"), T("mg " + LONG_KEY + " v\r\n"), T("ms {k}m4 abc\r\nhi\r\n"),
        T("ms {k}m4 2\r\nhiXY"), T("mg {k}m4 v\r\n"), T("mg\r\n"), T("ms {k}m4\r\n"),
        T("mz {k}m4\r\n"),
    ]),
    "meta value over the item size": ("meta", [
        T("ms {k}a 1\r\nx\r\n"),
        T(f"ms {{k}}a {BIG_OVER_ROUTER}\r\n" + "b" * BIG_OVER_ROUTER + "\r\n"),
        T("mg {k}a v\r\n"),
        T(f"ms {{k}}b {BIG_OVER_SERVER} q\r\n" + "b" * BIG_OVER_SERVER + "\r\n"),
        T("mg {k}b v\r\n"),
    ]),
    # -- binary
    "binary storage and retrieval": ("binary", [
        B(lambda k, c: frame(SET, k + "a", store_extras(0xDEADBEEF), b"value\r\n\x00", opaque=1)),
        B(lambda k, c: frame(GET, k + "a", opaque=2)),
        B(lambda k, c: frame(GETK, k + "a", opaque=3)),
        B(lambda k, c: frame(GET, k + "missing", opaque=4)),
        B(lambda k, c: frame(GETK, k + "missing", opaque=5)),
        B(lambda k, c: frame(ADD, k + "a", store_extras(), b"x", opaque=6)),
        B(lambda k, c: frame(ADD, k + "b", store_extras(3), b"bb", opaque=7)),
        B(lambda k, c: frame(REPLACE, k + "missing", store_extras(), b"x")),
        B(lambda k, c: frame(REPLACE, k + "b", store_extras(4), b"mid")),
        B(lambda k, c: frame(APPEND, k + "b", value=b">")),
        B(lambda k, c: frame(PREPEND, k + "b", value=b"<")),
        B(lambda k, c: frame(APPEND, k + "missing", value=b">")),
        B(lambda k, c: frame(GETK, k + "b")),
        B(lambda k, c: frame(SET, k + "b", store_extras(), b"new", cas=c)),
        B(lambda k, c: frame(SET, k + "b", store_extras(), b"stale", cas=c + 1000)),
        B(lambda k, c: frame(SET, k + "missing", store_extras(), b"x", cas=77)),
        B(lambda k, c: frame(GET, k + "b")),
        B(lambda k, c: frame(DELETE, k + "b", opaque=9)),
        B(lambda k, c: frame(DELETE, k + "b", opaque=10)),
        B(lambda k, c: frame(TOUCH, k + "a", exptime_extras(1000))),
        B(lambda k, c: frame(TOUCH, k + "missing", exptime_extras(1000))),
        B(lambda k, c: frame(GAT, k + "a", exptime_extras(1000))),
        B(lambda k, c: frame(GATK, k + "a", exptime_extras(1000))),
        B(lambda k, c: frame(GAT, k + "missing", exptime_extras(1000))),
        B(lambda k, c: frame(SET, k + "big", store_extras(), b"v" * 200000)),
        B(lambda k, c: frame(GET, k + "big")),
    ]),
    "binary arithmetic": ("binary", [
        B(lambda k, c: frame(INCR, k + "n", delta_extras(1, 10))),
        B(lambda k, c: frame(INCR, k + "n", delta_extras(5))),
        B(lambda k, c: frame(DECR, k + "n", delta_extras(100))),
        B(lambda k, c: frame(INCR, k + "missing", delta_extras(1, 0, 0xFFFFFFFF))),
        B(lambda k, c: frame(SET, k + "t", store_extras(), b"text")),
        B(lambda k, c: frame(INCR, k + "t", delta_extras(1))),
        B(lambda k, c: frame(GET, k + "n")),
    ]),
    "binary quiet opcodes": ("binary", [
        B(lambda k, c: frame(SET, k + "a", store_extras(1), b"A") +
          frame(SET, k + "c", store_extras(3), b"C")),
        B(lambda k, c: frame(GETQ, k + "a", opaque=1) + frame(GETQ, k + "b", opaque=2) +
          frame(GETKQ, k + "c", opaque=3) + frame(GETKQ, k + "d", opaque=4)),
        B(lambda k, c: frame(SETQ, k + "q", store_extras(), b"1") +
          frame(ADDQ, k + "new", store_extras(), b"2") +
          frame(REPLACEQ, k + "q", store_extras(), b"3") + frame(APPENDQ, k + "q", value=b"4") +
          frame(PREPENDQ, k + "q", value=b"0") + frame(INCRQ, k + "q", delta_extras(1)) +
          frame(DECRQ, k + "q", delta_extras(2)) + frame(DELETEQ, k + "new") +
          frame(ADDQ, k + "q", store_extras(), b"x", opaque=9) +
          frame(REPLACEQ, k + "zz", store_extras(), b"x", opaque=10) +
          frame(DELETEQ, k + "zz", opaque=11) + frame(INCRQ, k + "a", delta_extras(1), opaque=12)),
        B(lambda k, c: frame(GETK, k + "q") + frame(GET, k + "new")),
        B(lambda k, c: frame(GATQ, k + "a", exptime_extras(100), opaque=13) +
          frame(GATKQ, k + "zz", exptime_extras(100), opaque=14) +
          frame(GATKQ, k + "c", exptime_extras(100), opaque=15)),
    ]),
    "binary version, unknown and too large": ("binary", [
        B(lambda k, c: frame(VERSION, opaque=42)),
        B(lambda k, c: frame(NOOP, opaque=43)),
        B(lambda k, c: frame(0x50, opaque=44)),
        B(lambda k, c: frame(0xF0, opaque=45)),
        B(lambda k, c: frame(SET, k + "a", store_extras(), b"x")),
        B(lambda k, c: frame(SET, k + "a", store_extras(), b"b" * BIG_OVER_ROUTER, opaque=46)),
        B(lambda k, c: frame(GET, k + "a")),
        B(lambda k, c: frame(SETQ, k + "a", store_extras(), b"b" * BIG_OVER_SERVER, opaque=47)),
        B(lambda k, c: frame(GET, k + "a")),
    ]),
    # memcached closes the connection after these
    "binary get with extras": ("binary", [
        B(lambda k, c: frame(SET, k + "a", store_extras(), b"x")),
        Closes(B(lambda k, c: frame(GET, k + "a", extras=b"xxxx") + frame(GET, k + "a"))),
    ]),
    "binary set without extras": ("binary", [
        Closes(B(lambda k, c: frame(SET, k + "a", b"", b"no extras") + frame(GET, k + "a"))),
    ]),
    "binary quit": ("binary", [
        B(lambda k, c: frame(SET, k + "a", store_extras(), b"x")),
        Closes(B(lambda k, c: frame(GET, k + "a") + frame(QUIT, opaque=5) +
                 frame(GET, k + "a"))),
    ]),
    "binary quiet quit": ("binary", [
        Closes(B(lambda k, c: frame(QUITQ) + frame(GET, k + "a"))),
    ]),
    "binary bad magic": ("binary", [
        B(lambda k, c: frame(SET, k + "a", store_extras(), b"x")),
        Closes(B(lambda k, c: frame(GET, k + "a", magic=0x81))),
    ]),
}


@pytest.fixture(scope="module")
def direct(module_fleet_factory):  # noqa: F811
    srv = module_fleet_factory.backend("memcached", ITEM_LIMIT, name="direct-memcached")
    return (srv.host, srv.port)


@pytest.fixture(scope="module", params=["memcached", "memfleetd"])
def fleet(request, module_fleet_factory):  # noqa: F811
    return module_fleet_factory.fleet(request.param, backend_args=ITEM_LIMIT,
                                      router_args=ROUTER_ITEM_LIMIT)


def compare_case(direct_addr, fleet, name):
    proto, steps = CASES[name]
    prefix = re.sub(r"\W", "", name)[:12] + f"{fleet.kind[:4]}:"
    d = run_case(direct_addr, proto, prefix, steps)
    r = run_case(fleet.addr, proto, prefix, steps)
    diffs = [f"  step {i}: {CASES[name][1][i] if not callable(CASES[name][1][i]) else ''!r:.120}\n"
             f"    direct {dv!r:.600}\n    router {rv!r:.600}"
             for (i, dv), (_, rv) in zip(d, r) if dv != rv]
    assert len(d) == len(r) and not diffs, (
        f"{name}: the router's replies differ from memcached's:\n" + "\n".join(diffs))
    fleet.check_router_alive()
    return d


@pytest.mark.parametrize("name", list(CASES))
def test_case(direct, fleet, name):
    compare_case(direct, fleet, name)


def test_pipelined_batch_in_one_write(direct, fleet):
    """50 mixed requests in one write: every reply comes back, in request order."""
    def batch(k):
        parts = []
        for i in range(10):
            parts += [f"set {k}p{i} {i} 0 {len(str(i * 7))}\r\n{i * 7}\r\n",
                      f"get {k}p{i} {k}p{(i + 3) % 10} {k}none\r\n",
                      f"incr {k}p{i} {i + 1}\r\n",
                      f"append {k}p{(i + 5) % 10} 0 0 1\r\n+\r\n" if i % 2 else
                      f"delete {k}p{(i + 9) % 10}\r\n",
                      f"gets {k}p{i}\r\n" if i % 3 else f"touch {k}p{i} 100\r\n"]
        assert len(parts) == 50
        return "".join(parts).encode()

    replies = {}
    for name, addr in (("direct", direct), ("router", fleet.addr)):
        s = Session(addr, "text", f"batch{fleet.kind[:4]}:")
        try:
            replies[name] = s.normalize(s.conn.request_pipelined(batch(s.k)))
        finally:
            s.close()
    assert replies["router"] == replies["direct"]
    assert replies["direct"].count(b"STORED\r\n") >= 10


def test_multi_get_of_100_keys_over_three_servers(direct, fleet):
    prefix = f"mget{fleet.kind[:4]}:"
    keys = [f"{prefix}{i}" for i in range(100)]
    placement = fleet.place(keys)
    assert len(placement) >= 2, "100 keys all on one server"
    stores = "".join(f"set {k} {i} 0 {len(k) + i}\r\n{k}{'v' * i}\r\n"
                     for i, k in enumerate(keys) if i % 7)
    request = ("get " + " ".join(keys) + "\r\n").encode()
    for name, addr in (("direct", direct), ("router", fleet.addr)):
        with WireConn(addr) as c:
            assert c.request_pipelined(stores.encode()) == b"STORED\r\n" * (100 - 15)
    out = {}
    for name, addr in (("direct", direct), ("router", fleet.addr)):
        with WireConn(addr) as c:
            out[name] = c.request(request)
            out[name + " gets"] = Session(addr, "text", "").normalize(
                c.request(request.replace(b"get ", b"gets ", 1)))
    assert out["router"] == out["direct"]
    assert out["router gets"] == out["direct gets"]
    values = parse_values(out["router"])
    assert list(values) == [k.encode() for i, k in enumerate(keys) if i % 7]
    # The values really are on the servers the router names.
    for index, placed in placement.items():
        with WireConn(fleet.backend_addr(index)) as c:
            got = parse_values(c.request(("get " + " ".join(placed) + "\r\n").encode()))
            assert set(got) == {k.encode() for k in placed if keys.index(k) % 7}


# ---- where the router answers on purpose differently ---------------------------------------------


def test_stats_are_the_routers_own(fleet):
    with WireConn(fleet.addr) as c:
        c.send(b"get statkey\r\n")
        assert c.read_value_reply() == b"END\r\n"
        stats = c.stats()
        for name in ("pid", "uptime", "time", "version", "curr_connections", "total_connections",
                     "cmd_get", "cmd_set", "get_hits", "get_misses", "bytes_read",
                     "bytes_written", "num_servers"):
            assert name in stats, f"stats lacks {name}: {stats}"
        assert int(stats["cmd_get"]) >= 1 and int(stats["get_misses"]) >= 1
        assert int(stats["curr_connections"]) >= 1
        assert stats["num_servers"] == "3"
        servers = c.stats("servers")
        assert sorted(servers) == sorted(fleet.servers)
        for line in servers.values():
            assert "state=up" in line, servers
        # Groups the router does not keep answer like an unknown command.
        for group in (b"items", b"slabs", b"bogus"):
            assert c.request(b"stats " + group + b"\r\n") == b"ERROR\r\n"
    # Binary stats: one frame per stat, then an empty one.
    s = Session(fleet.addr, "binary", "")
    try:
        frames = s.exchange(frame(STAT, opaque=3))
    finally:
        s.close()
    names = [f[6] for f in frames]
    assert b"cmd_get" in names and names[-1] == b"" and all(f[2] == 0 for f in frames)


def test_flush_all_is_refused_without_enable_flush_cmd(fleet):
    refused = b"SERVER_ERROR flush_all disabled (start the router with --enable-flush-cmd)\r\n"
    with WireConn(fleet.addr) as c:
        assert c.request(b"set flushme 0 0 1\r\nx\r\n") == b"STORED\r\n"
        assert c.request(b"flush_all\r\n") == refused
        assert c.request(b"flush_all 10\r\n") == refused
        assert c.request(b"get flushme\r\n") == b"VALUE flushme 0 1\r\nx\r\nEND\r\n"
    s = Session(fleet.addr, "binary", "")
    try:
        frames = s.exchange(frame(FLUSH, opaque=8))
    finally:
        s.close()
    assert len(frames) == 1 and frames[0][1] == hex(FLUSH) and frames[0][2] != 0, frames


def test_flush_all_fans_out_with_enable_flush_cmd(module_fleet_factory):  # noqa: F811
    # A memcached of its own: a flush would drop what other tests store in the same second.
    srv = module_fleet_factory.backend("memcached", name="flush-direct")
    direct = (srv.host, srv.port)
    fleet = module_fleet_factory.fleet("memcached", router_args=["--enable-flush-cmd"])
    keys = [f"fl{i}" for i in range(30)]
    placement = fleet.place(keys)
    with WireConn(fleet.addr) as c, WireConn(direct) as d:
        stores = "".join(f"set {k} 0 0 1\r\nx\r\n" for k in keys).encode()
        assert c.request(stores) == b"STORED\r\n" * 30
        assert d.request(b"flush_all\r\n") == c.request(b"flush_all\r\n") == b"OK\r\n"
        assert d.request(b"flush_all noreply\r\n") == c.request(b"flush_all noreply\r\n") == b""
        assert c.request(("get " + " ".join(keys) + "\r\n").encode()) == b"END\r\n"
    for index, placed in placement.items():
        with WireConn(fleet.backend_addr(index)) as b:
            assert b.request(("get " + " ".join(placed) + "\r\n").encode()) == b"END\r\n"


def test_base64_key_routes_like_its_plain_key(fleet):
    """`ms <base64> b` and `mg <key>` name one item: the router hashes the decoded key."""
    with WireConn(fleet.addr) as c:
        for i in range(200):
            key = f"b64route{fleet.kind}{i}"
            if fleet.route(key, conn=c) != fleet.route(b64(key), conn=c):
                break
        else:
            pytest.skip("no key among 200 whose plain and base64 forms hash apart")
        assert c.request(f"ms {b64(key)} 2 b\r\nhi\r\n".encode()) == b"HD\r\n"
        assert c.request(f"mg {key} v\r\n".encode()) == b"VA 2\r\nhi\r\n"
