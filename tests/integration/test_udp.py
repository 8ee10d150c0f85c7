"""UDP (-U): memcached's 8-byte frame header, replies cut into datagrams of at most 1400 bytes,
text, meta and binary requests, and the stats that show it.

Every expectation was checked against memcached 1.6.18 (MEMFLEETD=/usr/bin/memcached); tests
marked memfleet_only pin where memfleetd differs on purpose (docs/compatibility.md).

Servers run with -t 1 so that datagrams are served in the order sent: after each request the test
sends a sentinel datagram (`mn`, request id SENTINEL) and reads until its MN comes back, so "these
datagrams and no more" is checked without waiting for a timeout.
"""

import socket
import struct

import pytest

from server_process import HOST
from wire import WireConn

HEADER = struct.Struct(">HHHH")
BIN_HEADER = struct.Struct(">BBHBBHIIQ")
SENTINEL = 0xFFFF
MAX_DATAGRAM = 1400  # memcached's UDP_MAX_PAYLOAD_SIZE, header included
TIMEOUT = 10.0  # bounds a failure only; ASan builds are slow


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class UdpClient:
    def __init__(self, port: int):
        self.addr = (HOST, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(TIMEOUT)

    def close(self):
        self.sock.close()

    def send(self, payload: bytes, request_id: int = 1, total: int = 1, sequence: int = 0,
             reserved: int = 0):
        self.sock.sendto(HEADER.pack(request_id, sequence, total, reserved) + payload, self.addr)

    def exchange(self, payload: bytes, request_id: int = 1, total: int = 1, sequence: int = 0,
                 reserved: int = 0):
        """Sends one request datagram; returns [(request id, seq, total, reserved, data)] of every
        datagram answering it, in arrival order."""
        self.send(payload, request_id, total, sequence, reserved)
        self.send(b"mn\r\n", SENTINEL)
        got = []
        while True:
            d, _ = self.sock.recvfrom(65536)
            assert len(d) >= 8 and len(d) <= MAX_DATAGRAM, f"datagram of {len(d)} bytes"
            h = HEADER.unpack(d[:8])
            if h[0] == SENTINEL:
                assert d[8:] == b"MN\r\n" and h[1:] == (0, 1, 0), d
                return got
            got.append((*h, d[8:]))

    def messages(self, payload: bytes, request_id: int = 1):
        """The reply split into messages: each a run of datagrams numbered 0..total-1."""
        msgs = []
        for rid, seq, total, reserved, data in self.exchange(payload, request_id):
            assert rid == request_id and reserved == 0
            if seq == 0:
                msgs.append([total, b""])
            assert msgs and msgs[-1][0] == total, "total changed inside a message"
            msgs[-1][1] += data
        return [m[1] for m in msgs]


@pytest.fixture
def udp_server(start_server):
    port = free_udp_port()
    srv = start_server(["-t", "1", "-U", str(port)])
    client = UdpClient(port)
    yield srv, client
    client.close()


def tcp_request(srv, data: bytes) -> bytes:
    with WireConn(srv.addr) as c:
        return c.request(data)


def test_get_echoes_the_request_id(udp_server):
    srv, udp = udp_server
    assert tcp_request(srv, b"set foo 0 0 6\r\nfooval\r\n") == b"STORED\r\n"
    for rid in (161, 161, 162, 0x1234):
        got = udp.exchange(b"get foo\r\n", rid)
        assert got == [(rid, 0, 1, 0, b"VALUE foo 0 6\r\nfooval\r\nEND\r\n")]
    assert udp.exchange(b"get nope\r\n", 9) == [(9, 0, 1, 0, b"END\r\n")]


def test_long_reply_is_cut_into_numbered_datagrams(udp_server):
    srv, udp = udp_server
    value = bytes((65 + i % 26) for i in range(20000))
    assert tcp_request(srv, b"set big 0 0 20000\r\n" + value + b"\r\n") == b"STORED\r\n"
    got = udp.exchange(b"get big\r\n", 53)
    reply = b"VALUE big 0 20000\r\n" + value + b"\r\nEND\r\n"
    n = -(-len(reply) // (MAX_DATAGRAM - 8))
    assert [g[:4] for g in got] == [(53, i, n, 0) for i in range(n)]
    assert all(len(g[4]) == MAX_DATAGRAM - 8 for g in got[:-1])
    assert b"".join(g[4] for g in got) == reply


def test_each_key_of_a_multi_get_is_a_message_of_its_own(udp_server):
    srv, udp = udp_server
    tcp_request(srv, b"set a 0 0 1\r\nA\r\nset b 0 0 2\r\nBB\r\n")
    assert udp.messages(b"get a b\r\n") == [b"VALUE a 0 1\r\nA\r\n", b"VALUE b 0 2\r\nBB\r\nEND\r\n"]
    # A missed key after a sent reply leaves nothing; a missed first key is a bare header
    # saying 0 datagrams.
    assert udp.messages(b"get a zz b\r\n") == [b"VALUE a 0 1\r\nA\r\n",
                                                b"VALUE b 0 2\r\nBB\r\nEND\r\n"]
    assert udp.exchange(b"get zz yy a\r\n", 5) == [(5, 0, 0, 0, b""),
                                                   (5, 0, 1, 0, b"VALUE a 0 1\r\nA\r\nEND\r\n")]
    assert udp.messages(b"get zz yy\r\n") == [b"", b"END\r\n"]


def test_every_request_of_a_datagram_is_answered_in_order(udp_server):
    srv, udp = udp_server
    got = udp.messages(b"set c 0 0 1\r\nC\r\nget c\r\nincr c 1\r\ndelete c noreply\r\n"
                       b"get c\r\nbogus\r\n")
    assert got == [b"STORED\r\n", b"VALUE c 0 1\r\nC\r\nEND\r\n", b"CLIENT_ERROR cannot increment "
                   b"or decrement non-numeric value\r\n", b"END\r\n", b"ERROR\r\n"]
    assert udp.messages(b"set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 1\r\n") == \
        [b"STORED\r\n", b"15\r\n", b"14\r\n"]
    # noreply says nothing at all.
    assert udp.exchange(b"set q 0 0 1 noreply\r\nQ\r\n") == []
    assert tcp_request(srv, b"get q\r\n") == b"VALUE q 0 1\r\nQ\r\nEND\r\n"


def test_meta_commands(udp_server):
    srv, udp = udp_server
    assert udp.messages(b"ms m 2 T0\r\nhi\r\nmg m v\r\nmg zz v q\r\nmg zz v\r\nmd m q\r\nmn\r\n") \
        == [b"HD\r\n", b"VA 2\r\nhi\r\n", b"EN\r\n", b"MN\r\n"]
    assert tcp_request(srv, b"mg m v\r\n") == b"EN\r\n"


def test_a_value_as_large_as_a_datagram_is_stored(udp_server):
    srv, udp = udp_server
    value = b"v" * 60000
    assert udp.messages(b"set large 0 0 60000\r\n" + value + b"\r\n") == [b"STORED\r\n"]
    assert tcp_request(srv, b"get large\r\n") == b"VALUE large 0 60000\r\n" + value + b"\r\nEND\r\n"


def bin_request(opcode, key=b"", extras=b"", value=b"", opaque=0):
    body = extras + key + value
    return BIN_HEADER.pack(0x80, opcode, len(key), len(extras), 0, 0, len(body), opaque, 0) + body


def test_binary_protocol(udp_server):
    srv, udp = udp_server
    (reply,) = udp.messages(bin_request(0x01, b"bk", struct.pack(">II", 5, 0), b"binval", 77))
    magic, opcode, _, _, _, status, _, opaque, cas = BIN_HEADER.unpack(reply[:24])
    assert (magic, opcode, status, opaque) == (0x81, 0x01, 0, 77) and cas != 0
    (reply,) = udp.messages(bin_request(0x00, b"bk"))
    assert BIN_HEADER.unpack(reply[:24])[5] == 0
    assert reply[24:] == struct.pack(">I", 5) + b"binval"
    (reply,) = udp.messages(bin_request(0x00, b"missing"))
    assert BIN_HEADER.unpack(reply[:24])[5] == 1 and reply[24:] == b"Not found"
    # A quiet miss first is an empty message; the hit and the noop follow.
    got = udp.exchange(bin_request(0x09, b"zz") + bin_request(0x09, b"bk") + bin_request(0x0a))
    assert [g[1:4] for g in got] == [(0, 0, 0), (0, 1, 0), (0, 1, 0)]
    assert got[0][4] == b"" and got[1][4][24:] == struct.pack(">I", 5) + b"binval"
    assert got[2][4][:2] == b"\x81\x0a"


def test_multi_datagram_requests_are_refused(udp_server):
    srv, udp = udp_server
    # memcached drops a request that says it spans datagrams, without a reply.
    assert udp.exchange(b"set x 0 0 1\r\nX\r\n", 3, total=2) == []
    assert udp.exchange(b"get x\r\n", 4) == [(4, 0, 1, 0, b"END\r\n")]
    # The sequence number and the reserved field of a request are not looked at.
    assert udp.exchange(b"get x\r\n", 6, sequence=3) == [(6, 0, 1, 0, b"END\r\n")]
    assert udp.exchange(b"get x\r\n", 7, reserved=9) == [(7, 0, 1, 0, b"END\r\n")]
    # A datagram of no more than a header is ignored.
    udp.sock.sendto(HEADER.pack(8, 0, 1, 0), udp.addr)
    assert udp.exchange(b"get x\r\n", 9) == [(9, 0, 1, 0, b"END\r\n")]


def test_stats_show_udp(udp_server):
    srv, udp = udp_server
    udp.exchange(b"get k\r\n")
    with WireConn(srv.addr) as c:
        settings = c.stats("settings")
        assert settings["udpport"] == str(udp.addr[1])
        assert settings["num_threads_per_udp"] == "1"
        general = c.stats()
        # Each worker's UDP socket counts as a connection, as in memcached: 1 here, and this one.
        assert general["curr_connections"] == "2"
        assert int(general["bytes_read"]) >= len("get k\r\n") + 8
        conns = c.request(b"stats conns\r\n").decode()
    assert "STAT " in conns
    lines = [line.split(" ", 2) for line in conns.splitlines() if line.startswith("STAT ")]
    udp_fds = {k.split(":")[0] for _, k, v in lines if k.endswith(":UDP") and v == "UDP"}
    assert len(udp_fds) == 1
    (fd,) = udp_fds
    entry = {k.split(":", 1)[1]: v for _, k, v in lines if k.split(":")[0] == fd}
    assert entry["addr"] == f"udp:{HOST}:{udp.addr[1]}"
    assert entry["state"] == "conn_read"


@pytest.mark.memfleet_only
def test_a_data_block_cut_off_by_the_datagram_is_dropped(udp_server):
    # memcached would read the next datagram, header and all, as the rest of the data block;
    # memfleetd drops the store and serves the next datagram as a request.
    srv, udp = udp_server
    assert udp.exchange(b"set cut 0 0 10\r\nabc\r\n") == []
    assert udp.messages(b"get cut\r\n") == [b"END\r\n"]
    assert udp.messages(b"set big 0 0 2000000\r\nxx\r\n") == \
        [b"SERVER_ERROR object too large for cache\r\n"]
    assert udp.messages(b"get cut\r\n") == [b"END\r\n"]


@pytest.mark.parametrize("protocol", ["ascii", "binary"])
def test_the_protocol_is_chosen_per_datagram_whatever_b_says(start_server, protocol):
    port = free_udp_port()
    start_server(["-t", "1", "-U", str(port), "-B", protocol])
    udp = UdpClient(port)
    try:
        (reply,) = udp.messages(bin_request(0x0b))  # binary version
        assert reply[:2] == b"\x81\x0b" and BIN_HEADER.unpack(reply[:24])[5] == 0
        (reply,) = udp.messages(b"version\r\n")
        assert reply.startswith(b"VERSION ")
    finally:
        udp.close()


def test_quit_ends_the_datagram(udp_server):
    srv, udp = udp_server
    tcp_request(srv, b"set a 0 0 1\r\nA\r\n")
    # memcached sends what the get queued, then quit's empty reply as a bare header, and runs
    # nothing after it; the port goes on serving.
    assert udp.exchange(b"get a\r\nquit\r\nget a\r\n", 3) == [
        (3, 0, 1, 0, b"VALUE a 0 1\r\nA\r\nEND\r\n"), (3, 0, 0, 0, b"")]
    assert udp.messages(b"get a\r\n") == [b"VALUE a 0 1\r\nA\r\nEND\r\n"]
