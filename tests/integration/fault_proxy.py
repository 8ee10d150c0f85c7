"""A fault-injection TCP proxy for the router's fault tests: it sits between the router and one
backend on a free 127.0.0.1 port and, on command, passes the traffic, delays it, drops it, cuts
the connections or blackholes new ones — timeouts, lost connections and half-open peers without
touching the backend process.

Modes (`FaultProxy.set_mode`), applied to the connections already open and to new ones:
  pass       bytes go through as they come.
  delay      every chunk is held `delay_ms` before it is passed on, in each direction (a
             request and its reply take twice delay_ms more).
  drop       bytes are read and discarded in both directions; connections stay open and new
             ones are accepted and connected to the backend, but nothing gets through (the
             router's requests time out). A TCP stream never loses bytes in its middle, so a
             connection that lost some is reset when the mode leaves drop or blackhole (as one
             across a long partition ends up dead): it is never passed through again with a
             request or a reply missing, which no real network produces.
  blackhole  as drop, and a new connection is accepted and never connected to the backend nor
             answered: a half-open peer.
  reset      every open connection is closed with a RST, and a new one is accepted and reset at
             once (the router sees connection errors: hard errors).
  close      as reset, with an orderly close (FIN) instead of a RST.
`cut()` resets the connections open now and keeps the mode (a one-off: the router reconnects).

One thread runs a selector loop over every socket; the test thread only calls the methods
(locked). Every socket is non-blocking except the connect to the backend (loopback, bounded by
CONNECT_TIMEOUT). `stop()` joins the thread (bounded) and closes everything. stdlib only.
Counters (`stats()`) let a test see outcomes: connections accepted, bytes passed and dropped.
"""

from __future__ import annotations

import collections
import selectors
import socket
import struct
import threading
import time
from typing import Deque, Dict, List, Optional, Tuple

HOST = "127.0.0.1"
CONNECT_TIMEOUT = 2.0
JOIN_TIMEOUT = 5.0
MODES = ("pass", "delay", "drop", "blackhole", "reset", "close")


def _reset(sock: socket.socket) -> None:
    """Closes sock with a RST (SO_LINGER on, zero seconds) instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class _Side:
    """One socket of a proxied connection: what waits to be written to it and, with a delay,
    what waits for its time to come."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.out = bytearray()
        self.delayed: Deque[Tuple[float, bytes]] = collections.deque()


class _Pair:
    def __init__(self, client: socket.socket, upstream: Optional[socket.socket]):
        self.client = _Side(client)
        self.upstream = _Side(upstream) if upstream is not None else None
        self.closed = False
        self.lost_bytes = False  # something was discarded: the stream can never resume

    def peer(self, side: _Side) -> Optional[_Side]:
        return self.upstream if side is self.client else self.client


class FaultProxy:
    def __init__(self, target: Tuple[str, int], mode: str = "pass", delay_ms: int = 0):
        assert target[0].startswith("127."), f"loopback targets only, not {target}"
        self.target = target
        self._lock = threading.Lock()
        self._mode = mode
        self._delay = delay_ms / 1000.0
        self._cut_requested = False
        self._stopping = False
        self._counts = {"accepted": 0, "passed_bytes": 0, "dropped_bytes": 0, "resets": 0,
                        "upstream_connect_failures": 0}
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._pairs: List[_Pair] = []
        self._thread = threading.Thread(target=self._run, name=f"fault-proxy-{self.port}",
                                        daemon=True)
        self._registered: Dict[int, int] = {}

    # --- control (any thread) ---

    @property
    def addr(self) -> Tuple[str, int]:
        return (HOST, self.port)

    @property
    def server(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def set_mode(self, mode: str, delay_ms: int = 0) -> None:
        assert mode in MODES, mode
        with self._lock:
            self._mode = mode
            self._delay = delay_ms / 1000.0
        self._wake()

    def cut(self) -> None:
        """Resets every connection open now; the mode stays."""
        with self._lock:
            self._cut_requested = True
        self._wake()

    def stats(self) -> Dict[str, int]:
        with self._lock:
            out = dict(self._counts)
            out["open"] = sum(1 for p in self._pairs if not p.closed)
        return out

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self._wake()
        self._thread.join(JOIN_TIMEOUT)
        assert not self._thread.is_alive(), "the fault proxy thread did not stop"

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    # --- the loop (the proxy's thread) ---

    def _run(self) -> None:
        self._sel.register(self._listener, selectors.EVENT_READ, None)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        break
                    mode, delay = self._mode, self._delay
                    cut, self._cut_requested = self._cut_requested, False
                if cut or mode in ("reset", "close"):
                    for p in self._pairs:
                        self._close_pair(p, rst=cut or mode == "reset")
                elif mode not in ("drop", "blackhole"):
                    for p in self._pairs:
                        if p.lost_bytes:
                            self._close_pair(p, rst=True)
                self._pairs = [p for p in self._pairs if not p.closed]
                self._release_delayed(mode)
                self._update_interest()
                for key, events in self._sel.select(self._next_timeout()):
                    # The mode as of now: a command may have come while select waited, and
                    # bytes read after it must obey it.
                    with self._lock:
                        mode, delay = self._mode, self._delay
                    obj = key.fileobj
                    if obj is self._wake_r:
                        try:
                            while self._wake_r.recv(4096):
                                pass
                        except BlockingIOError:
                            pass
                    elif obj is self._listener:
                        self._accept(mode)
                    else:
                        pair, side = key.data
                        if pair.closed:
                            continue
                        if events & selectors.EVENT_READ:
                            self._read(pair, side, mode, delay)
                        if not pair.closed and events & selectors.EVENT_WRITE:
                            self._write(pair, side)
        finally:
            for p in self._pairs:
                self._close_pair(p, rst=True)
            self._sel.close()
            self._listener.close()
            self._wake_r.close()
            self._wake_w.close()

    def _next_timeout(self) -> float:
        due = [s.delayed[0][0] for p in self._pairs
               for s in (p.client, p.upstream) if s is not None and s.delayed]
        if not due:
            return 0.5
        return max(0.0, min(due) - time.monotonic())

    def _accept(self, mode: str) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            self._count("accepted")
            if mode in ("reset", "close"):
                if mode == "reset":
                    _reset(client)
                    self._count("resets")
                else:
                    client.close()
                continue
            upstream = None
            if mode != "blackhole":
                try:
                    upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT)
                except OSError:
                    # The backend is gone: the router sees what it would see from it directly.
                    self._count("upstream_connect_failures")
                    _reset(client)
                    continue
                upstream.setblocking(False)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pairs.append(_Pair(client, upstream))

    def _read(self, pair: _Pair, side: _Side, mode: str, delay: float) -> None:
        try:
            data = side.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close_pair(pair, rst=False)
            return
        peer = pair.peer(side)
        if mode in ("drop", "blackhole") or peer is None:
            self._count("dropped_bytes", len(data))
            pair.lost_bytes = True
        elif mode == "delay" and delay > 0:
            peer.delayed.append((time.monotonic() + delay, data))
        else:
            peer.out += data
            self._count("passed_bytes", len(data))

    def _release_delayed(self, mode: str) -> None:
        now = time.monotonic()
        for p in self._pairs:
            for s in (p.client, p.upstream):
                while s is not None and s.delayed and (mode != "delay" or s.delayed[0][0] <= now):
                    _, data = s.delayed.popleft()
                    if mode in ("drop", "blackhole"):
                        self._count("dropped_bytes", len(data))
                        p.lost_bytes = True
                    else:
                        s.out += data
                        self._count("passed_bytes", len(data))

    def _write(self, pair: _Pair, side: _Side) -> None:
        try:
            n = side.sock.send(side.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close_pair(pair, rst=False)
            return
        del side.out[:n]

    def _update_interest(self) -> None:
        for p in self._pairs:
            for s in (p.client, p.upstream):
                if s is None:
                    continue
                want = selectors.EVENT_READ | (selectors.EVENT_WRITE if s.out else 0)
                fd = s.sock.fileno()
                have = self._registered.get(fd)
                if have is None:
                    self._sel.register(s.sock, want, (p, s))
                elif have != want:
                    self._sel.modify(s.sock, want, (p, s))
                self._registered[fd] = want

    def _close_pair(self, pair: _Pair, rst: bool) -> None:
        if pair.closed:
            return
        pair.closed = True
        for s in (pair.client, pair.upstream):
            if s is None:
                continue
            fd = s.sock.fileno()
            if fd in self._registered:
                self._sel.unregister(s.sock)
                del self._registered[fd]
            if rst:
                _reset(s.sock)
            else:
                s.sock.close()
        if rst:
            self._count("resets")
