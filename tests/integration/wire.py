"""Raw memcached text-protocol connections for byte-exact tests.

A WireConn is one blocking socket (TCP or unix) with a receive buffer. Every read has a deadline
and fails the test with the bytes received so far, so a server that hangs or replies short can never
hang the suite. Not thread-safe: one WireConn per thread.

`request()` is the workhorse: it sends the bytes under test followed by a `version` command and
returns everything the server replied before the VERSION line. The sentinel makes "no reply at all"
(noreply) and "exactly these bytes and nothing more" checkable without waiting for a timeout.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Callable, Optional, Tuple, Union

Address = Union[Tuple[str, int], str]  # (host, port) or a unix socket path

DEFAULT_TIMEOUT = 10.0  # generous: ASan builds are slow, and a deadline only bounds a failure
VERSION_LINE = re.compile(rb"VERSION [^\r\n]+\r\n\Z")
VERSION_REPLY = re.compile(rb"\AVERSION [0-9A-Za-z][0-9A-Za-z.+_~-]*\r\n\Z")


class WireError(AssertionError):
    """The server did not produce what a read waited for. Carries the bytes received."""

    def __init__(self, message: str, received: bytes):
        super().__init__(f"{message}; received {len(received)} bytes: {received[:400]!r}")
        self.received = received


def connect(addr: Address, timeout: float = DEFAULT_TIMEOUT) -> socket.socket:
    if isinstance(addr, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(addr)
    else:
        sock = socket.create_connection(addr, timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class WireConn:
    def __init__(self, addr: Address, timeout: float = DEFAULT_TIMEOUT):
        self.addr = addr
        self.timeout = timeout
        self.sock = connect(addr, timeout)
        self.buf = b""
        self.eof = False  # peer closed (FIN or RST)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "WireConn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending -----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_slowly(self, data: bytes, chunk: int = 1, pause: float = 0.002) -> None:
        """Sends `data` `chunk` bytes at a time with a pause between writes, so that the server
        sees (with TCP_NODELAY) many short reads."""
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            time.sleep(pause)

    # -- receiving ---------------------------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        """Receives once. Returns False on EOF or connection reset; raises socket.timeout when the
        deadline passes."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until_match(self, done: Callable[[bytes], Optional[int]], what: str,
                         timeout: Optional[float] = None) -> bytes:
        """Reads until done(buffer) returns the length of a complete answer; returns and consumes
        that many bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            n = done(self.buf)
            if n is not None:
                out, self.buf = self.buf[:n], self.buf[n:]
                return out
            if self.eof:
                raise WireError(f"connection closed while waiting for {what}", self.buf)
            try:
                self._fill(deadline)
            except socket.timeout:
                raise WireError(f"timed out waiting for {what}", self.buf) from None

    def read_until(self, terminator: bytes, timeout: Optional[float] = None) -> bytes:
        """Returns everything up to and including the first `terminator`."""

        def done(buf: bytes) -> Optional[int]:
            i = buf.find(terminator)
            return None if i < 0 else i + len(terminator)

        return self.read_until_match(done, repr(terminator), timeout)

    def read_exactly(self, n: int, timeout: Optional[float] = None) -> bytes:
        return self.read_until_match(lambda buf: n if len(buf) >= n else None, f"{n} bytes",
                                     timeout)

    def read_line(self, timeout: Optional[float] = None) -> bytes:
        return self.read_until(b"\r\n", timeout)

    def read_value_reply(self, timeout: Optional[float] = None) -> bytes:
        """Reads one complete get/gets/gat reply (VALUE blocks then END) and returns it."""
        return self.read_until_match(_complete_retrieval_reply, "a retrieval reply ending in END",
                                     timeout)

    def expect_closed(self, timeout: Optional[float] = None) -> bytes:
        """Waits for the server to close the connection; returns any bytes sent before that."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.eof:
            try:
                self._fill(deadline)
            except socket.timeout:
                raise WireError("server did not close the connection", self.buf) from None
        out, self.buf = self.buf, b""
        return out

    def drain(self, quiet: float = 0.3, limit: float = 5.0) -> bytes:
        """Returns whatever arrives until `quiet` seconds pass without data (or EOF, or `limit`).
        For collecting replies whose length is unknown; never used to assert timing."""
        end = time.monotonic() + limit
        while not self.eof and time.monotonic() < end:
            try:
                if not self._fill(min(time.monotonic() + quiet, end)):
                    break
            except socket.timeout:
                break
        out, self.buf = self.buf, b""
        return out

    # -- request / reply ---------------------------------------------------------------------

    def request(self, data: bytes, timeout: Optional[float] = None) -> bytes:
        """Sends `data` then `version\\r\\n`; returns all reply bytes before the VERSION line.
        `data` must not itself contain a version command."""
        self.send(data + b"version\r\n")

        def done(buf: bytes) -> Optional[int]:
            return len(buf) if buf.endswith(b"\r\n") and _ends_with_version(buf) else None

        out = self.read_until_match(done, "the VERSION sentinel", timeout)
        return out[:out.rfind(b"VERSION ")]

    def request_pipelined(self, data: bytes, timeout: Optional[float] = None) -> bytes:
        """Like request(), but writes from a second thread while reading, so that a request far
        larger than the socket buffers cannot deadlock against a server that writes replies
        before it has read the whole input."""
        errors = []

        def writer() -> None:
            try:
                self.sock.sendall(data + b"version\r\n")
            except OSError as e:  # the read below reports the consequence
                errors.append(e)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        try:
            def done(buf: bytes) -> Optional[int]:
                return len(buf) if buf.endswith(b"\r\n") and _ends_with_version(buf) else None

            out = self.read_until_match(done, "the VERSION sentinel", timeout)
        finally:
            t.join(timeout=self.timeout)
        assert not errors, f"sending failed: {errors[0]}"
        return out[:out.rfind(b"VERSION ")]

    def version(self) -> bytes:
        self.send(b"version\r\n")
        return self.read_line()

    def refused_stores(self) -> int:
        """Stores the cache refused with "SERVER_ERROR out of memory" (every class's outofmemory
        in `stats items`): with noreply, the only trace of a store that linked no item."""
        return sum(int(v) for k, v in self.stats("items").items() if k.endswith(":outofmemory"))

    def stats(self, sub: Union[str, bytes] = b"") -> dict:
        """Returns `stats [sub]` as {name: value} (both str)."""
        if isinstance(sub, str):
            sub = sub.encode()
        self.send(b"stats" + (b" " + sub if sub else b"") + b"\r\n")
        raw = self.read_until_match(_complete_stats_reply, "a stats reply ending in END")
        out = {}
        for line in raw.split(b"\r\n"):
            if line.startswith(b"STAT "):
                _, name, value = line.split(b" ", 2)
                out[name.decode()] = value.decode()
        return out


def _ends_with_version(buf: bytes) -> bool:
    start = buf.rfind(b"\n", 0, len(buf) - 2) + 1
    return VERSION_LINE.match(buf, start) is not None


def _complete_stats_reply(buf: bytes) -> Optional[int]:
    if buf == b"END\r\n":
        return len(buf)
    i = buf.find(b"\r\nEND\r\n")
    return None if i < 0 else i + 7


def _complete_retrieval_reply(buf: bytes) -> Optional[int]:
    """Walks VALUE blocks by their declared length, so values containing "END\\r\\n" are fine."""
    pos = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        line = buf[pos:eol]
        if line == b"END":
            return eol + 2
        if not line.startswith(b"VALUE "):
            return eol + 2  # an error line ends the reply
        parts = line.split(b" ")
        if len(parts) < 4:
            return eol + 2
        length = int(parts[3])
        end = eol + 2 + length + 2
        if len(buf) < end:
            return None
        pos = end


def parse_values(reply: bytes) -> dict:
    """Parses a get/gets reply into {key: (flags, data[, cas])} (bytes keys)."""
    out = {}
    pos = 0
    while True:
        eol = reply.index(b"\r\n", pos)
        line = reply[pos:eol]
        if line == b"END":
            assert eol + 2 == len(reply), f"bytes after END: {reply[eol + 2:]!r}"
            return out
        parts = line.split(b" ")
        assert parts[0] == b"VALUE", f"unexpected line {line!r}"
        length = int(parts[3])
        data = reply[eol + 2:eol + 2 + length]
        assert reply[eol + 2 + length:eol + 4 + length] == b"\r\n", "value not followed by CRLF"
        entry = (int(parts[2]), data) + ((int(parts[4]),) if len(parts) > 4 else ())
        out[parts[1]] = entry
        pos = eol + 4 + length
