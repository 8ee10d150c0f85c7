"""What the three reply-capture scripts share (src/protocol/{text,meta,binary}/testdata/capture.py).

Each script records the reference memcached's exact replies to a corpus of requests and writes
them beside itself as captured_replies.inc, which the protocol's unit tests include. This module
does the part they have in common: start /usr/bin/memcached (or $MEMCACHED) on 127.0.0.1 with
the script's options and wait, bounded, until it accepts connections; connect to it; stop it by
its pid when the recording ends, however it ends; and write the generated file. How a corpus is
sent and where a reply ends is each protocol's own business and stays in its script.

A script imports it from src/protocol:
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import testdata_capture
"""
import contextlib
import os
import socket
import subprocess
import sys
import time

MEMCACHED = os.environ.get("MEMCACHED", "/usr/bin/memcached")
HOST = "127.0.0.1"


def connect(port, timeout=5.0, tries=50, pause=0.1):
    """A connection to HOST:port (socket timeout `timeout`), retried `tries` times `pause` s
    apart while the server starts."""
    for attempt in range(tries):
        try:
            return socket.create_connection((HOST, port), timeout=timeout)
        except OSError:
            if attempt == tries - 1:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def reference_memcached(port, options):
    """Runs `memcached -l HOST -p port -U 0 <options>` (plus -u nobody when run as root, which
    memcached requires) for the duration of the block, and yields the first connection to it
    (socket timeout 5 s), made once it accepts connections (a bounded wait): the script records
    on it or closes it. Stops exactly that process, by its pid, when the block ends."""
    cmd = [MEMCACHED, "-l", HOST, "-p", str(port), "-U", "0"] + list(options)
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    proc = subprocess.Popen(cmd)
    try:
        first = None
        for _ in range(100):
            if proc.poll() is not None:
                raise RuntimeError("memcached exited at start (status %d): %s"
                                   % (proc.returncode, " ".join(cmd)))
            try:
                first = socket.create_connection((HOST, port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        if first is None:
            raise RuntimeError("memcached did not accept connections on port %d" % port)
        with first:
            yield first
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def memcached_version():
    """The reference server's version line, e.g. "memcached 1.6.18"."""
    out = subprocess.run([MEMCACHED, "-V"], capture_output=True, timeout=10).stdout
    return out.decode().strip()


def write_captured(path, header, rows, entry, footer=""):
    """Writes the generated file at path: header, then entry(name, request, reply) for each row
    of rows, then footer; reports the count."""
    with open(path, "w") as f:
        f.write(header)
        for name, request, reply in rows:
            f.write(entry(name, request, reply))
        f.write(footer)
    print("wrote %d cases to %s" % (len(rows), path), file=sys.stderr)
