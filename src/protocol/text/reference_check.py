#!/usr/bin/python3
"""Replays the parser's test tables against a real memcached (the executable specification).

Usage: reference_check.py <memfleet_protocol_test binary> [memcached binary]

Starts memcached on a free port, then for every row of request_test.cc's tables (printed by the
disabled ParseRequestTables.Dump test) sends the line followed by "mn\\r\\n" on a new connection:
  - error rows: the reply must be exactly the row's error + "\\r\\n" (nothing when the row says
    noreply), then "MN\\r\\n"; a kClose row must close the connection without a reply;
  - valid rows: the line plus a data block of value_length bytes for storage commands must not
    be answered with ERROR, CLIENT_ERROR bad command line format or a close (admin commands
    are exempt: the parser hands their tokens to the server, which makes their errors).
Exits non-zero on any mismatch.
"""
import socket
import subprocess
import sys
import time

STATUS_ERROR, STATUS_CLOSE = 2, 3
ADMIN = {b"stats", b"slabs", b"lru_crawler", b"lru", b"watch", b"extstore", b"shutdown"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exchange(port, data, timeout=0.5):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    s.settimeout(timeout)
    out = b""
    closed = False
    try:
        while not out.endswith(b"MN\r\n"):
            d = s.recv(65536)
            if not d:
                closed = True
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out, closed


def unhex(h):
    return b"" if h == "-" else bytes.fromhex(h)


def main():
    test_bin = sys.argv[1]
    memcached = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/memcached"
    dump = subprocess.run(
        [test_bin, "--gtest_also_run_disabled_tests", "--gtest_filter=ParseRequestTables.*"],
        capture_output=True, text=True, check=True).stdout
    port = free_port()
    server = subprocess.Popen([memcached, "-u", "nobody", "-p", str(port), "-U", "0"])
    failures = 0
    checked = 0
    try:
        time.sleep(0.5)
        for row in dump.splitlines():
            parts = row.split()
            if not parts or parts[0] not in ("error", "valid"):
                continue
            line = unhex(parts[1])
            if parts[0] == "error":
                status, error, noreply = int(parts[2]), unhex(parts[3]), parts[4] == "1"
                out, closed = exchange(port, line + b"mn\r\n")
                if status == STATUS_CLOSE:
                    ok = closed and out == b""
                    want = b"<close>"
                else:
                    want = (b"" if noreply else error + b"\r\n") + b"MN\r\n"
                    ok = out == want
            else:
                value_length = int(parts[2])
                data = line
                if value_length and not line.startswith((b"cache_memlimit", b"flush_all")):
                    data += b"x" * value_length + b"\r\n"
                if value_length > 1 << 20:
                    continue  # too large to send; the parser's view of it is what matters
                out, closed = exchange(port, data + b"mn\r\n")
                want = b"<no parse error>"
                admin = line.split(b" ")[0].rstrip(b"\r\n") in ADMIN
                ok = admin and not closed or not (out.startswith(b"ERROR\r\n") or b"bad command line format" in out or
                          (closed and not line.startswith(b"quit")))
            checked += 1
            if not ok:
                failures += 1
                print(f"MISMATCH {line!r}: memcached said {out!r}{' <closed>' if closed else ''}, "
                      f"table says {want!r}")
    finally:
        server.terminate()
        server.wait()
    print(f"{checked} rows checked against {memcached}, {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
