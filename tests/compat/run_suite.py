#!/usr/bin/env python3
"""Runs memcached 1.6.18's own protocol tests (its t/*.t, kept outside this repository in
../shared/memcached-1.6.18) against memfleetd and compares the outcome with the one list of
expected failures, tests/compat/expected_failures.txt.

    tests/compat/run_suite.py build/release/bin/memfleetd               # every file
    tests/compat/run_suite.py -v build/release/bin/memfleetd stats.t    # some files, with output
    tests/compat/run_suite.py --no-expected /usr/bin/memcached          # the reference itself

Each file runs under `prove` in its own process group with a time bound (--timeout, default
180 s; a hang is ended with every server the file started and counts as a failure). The
harness runs ./memcached-debug; the wrapper written here drops "-o relaxed_privileges" (an
option of memcached's seccomp builds) and passes every other flag to the server under test.
When the server has no UDP (it refuses `-U <port>`), the wrapper also drops the `-U <port>` the
harness adds to every TCP server, so that those files test everything else, and the files
marked [udp] in the list are expected to fail. When the server has memfleetd's
`-o slab_classes=memcached`, the wrapper adds it: the tests name slab classes by memcached's ids
(class 31 holds a 66560-byte value), which memfleetd's finer default classes do not have.

Prints one line per file and a summary; exits 1 on any unexpected failure or hang, 0 otherwise
(a listed file that passes is reported as XPASS, to be taken off the list, but is no error).
Needs perl and prove (Debian: perl).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_SUITE = REPO.parent / "shared" / "memcached-1.6.18"
EXPECTED = HERE / "expected_failures.txt"

WRAPPER = """#!/usr/bin/env bash
args=(); skip=0; drop_udp={drop_udp}
while [ $# -gt 0 ]; do
  a=$1; shift
  if [ "$a" = -o ] && [ "${{1:-}}" = relaxed_privileges ]; then shift; continue; fi
  if [ "$a" = -o ] && [[ "${{1:-}}" == *,relaxed_privileges ]]; then args+=(-o "${{1%,relaxed_privileges}}"); shift; continue; fi
  if [ $drop_udp = 1 ] && [ "$a" = -U ] && [ "${{1:-0}}" != 0 ]; then shift; continue; fi
  args+=("$a")
done
exec {server} "${{args[@]}}" {extra}
"""


def parse_expected(path: Path) -> dict[str, tuple[set[str], str]]:
    """name -> (tags, reason). A line: `name.t [tag ...] reason`; # starts a comment line."""
    out: dict[str, tuple[set[str], str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"(\S+\.t)\s*((?:\[[a-z-]+\]\s*)*)(.*)$", line)
        if not m:
            sys.exit(f"{path}: cannot read line: {raw}")
        tags = set(re.findall(r"\[([a-z-]+)\]", m.group(2)))
        out[Path(m.group(1)).name] = (tags, m.group(3).strip())
    return out


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_has_udp(server: str) -> bool:
    """True if the server starts with `-U <port>` (it stays up and accepts TCP)."""
    tcp, udp = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    args = [server, "-l", "127.0.0.1", "-p", str(tcp), "-U", str(udp)]
    if os.geteuid() == 0 and Path(server).name == "memcached":
        args += ["-u", "nobody"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", tcp), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def extra_server_args(server: str) -> list[str]:
    """Flags the wrapper adds: memcached's slab class ids where the server offers them."""
    try:
        help_text = subprocess.run([server, "-h"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return ["-o", "slab_classes=memcached"] if "slab_classes" in help_text else []


def run_file(work: Path, name: str, timeout: float) -> tuple[str, float, str]:
    """Runs t/<name> under prove; returns ("pass"|"fail"|"hang", seconds, output)."""
    start = time.monotonic()
    log = work / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["prove", "-j1", f"t/{name}"], cwd=work, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout)
            status = "pass" if rc == 0 else "fail"
        except subprocess.TimeoutExpired:
            status = "hang"
        # The file's own process group: servers it left behind, or all of it after a hang.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.3)
        proc.wait()
    return status, time.monotonic() - start, log.read_text(errors="replace")


def failure_lines(output: str, limit: int = 25) -> str:
    keep = [l for l in output.splitlines()
            if l.startswith(("not ok", "#   Failed", "#          got", "#     expected",
                             "#   at ", "Failed", "Dubious", "# Looks like"))
            or "line " in l and "died" in l.lower()]
    return "\n".join("      " + l for l in keep[:limit])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("server", help="server binary (memfleetd, or memcached for reference)")
    ap.add_argument("files", nargs="*", help="t/*.t names (default: every file)")
    ap.add_argument("--suite", default=os.environ.get("COMPAT_SUITE", str(DEFAULT_SUITE)))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("COMPAT_TIMEOUT", 180)))
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("COMPAT_JOBS", 2)))
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failing file's output")
    ap.add_argument("--no-expected", action="store_true", help="expect every file to pass")
    opts = ap.parse_args()

    suite = Path(opts.suite)
    if not (suite / "t" / "lib" / "MemcachedTest.pm").is_file():
        print(f"memcached test suite not found at {suite}: nothing to run")
        return 0
    if shutil.which("prove") is None:
        print("prove (Debian package perl) not found")
        return 1
    server = shutil.which(opts.server) or opts.server
    server = str(Path(server).resolve())
    if not os.access(server, os.X_OK):
        print(f"{server}: not an executable")
        return 1
    expected = {} if opts.no_expected else parse_expected(EXPECTED)
    has_udp = server_has_udp(server)
    files = [Path(f).name for f in opts.files] or sorted(p.name for p in (suite / "t").glob("*.t"))
    missing = [f for f in files if not (suite / "t" / f).is_file()]
    if missing:
        print("no such test file: " + " ".join(missing))
        return 1

    work = Path(tempfile.mkdtemp(prefix="mfcompat."))
    try:
        shutil.copytree(suite / "t", work / "t")
        if (suite / "doc").is_dir():
            shutil.copytree(suite / "doc", work / "doc")
        wrapper = work / "memcached-debug"
        extra = extra_server_args(server)
        wrapper.write_text(WRAPPER.format(server=server, drop_udp=0 if has_udp else 1,
                                          extra=" ".join(extra)))
        timedrun = work / "timedrun"
        timedrun.write_text('#!/bin/sh\nt=$1; shift; exec timeout --foreground "$t" "$@"\n')
        wrapper.chmod(0o755)
        timedrun.chmod(0o755)
        print(f"server: {server}" + ("" if has_udp else " (no UDP: -U <port> dropped)") +
              (f" (every start adds {' '.join(extra)})" if extra else ""))
        print(f"suite:  {suite} ({len(files)} files, {opts.jobs} at a time, "
              f"{opts.timeout:.0f} s each at most)")

        def expectation(name: str) -> tuple[bool, str]:
            if name not in expected:
                return False, ""
            tags, reason = expected[name]
            if "udp" in tags and has_udp:
                return False, ""
            return True, reason

        counts = {"ok": 0, "xfail": 0, "XPASS": 0, "FAIL": 0, "HANG": 0}
        bad: list[str] = []
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
            futures = {pool.submit(run_file, work, f, opts.timeout): f for f in files}
            results = {}
            for fut in concurrent.futures.as_completed(futures):
                results[futures[fut]] = fut.result()
                name = futures[fut]
                status, secs, output = results[name]
                xfail, reason = expectation(name)
                if status == "pass":
                    word = "XPASS" if xfail else "ok"
                elif xfail:
                    word = "xfail"
                else:
                    word = "HANG" if status == "hang" else "FAIL"
                counts[word] += 1
                note = f"  ({reason})" if word in ("xfail", "XPASS") else ""
                if word == "XPASS":
                    note += "  <- passes now: take it off tests/compat/expected_failures.txt"
                print(f"{word:6}{name:32}{secs:6.1f} s{note}", flush=True)
                if word in ("FAIL", "HANG"):
                    bad.append(name)
                    print(output if opts.verbose else failure_lines(output), flush=True)
                elif opts.verbose and status != "pass":
                    print(failure_lines(output), flush=True)
        total = time.monotonic() - started
        print(f"\n{len(files)} files in {total:.0f} s: {counts['ok']} passed, {counts['xfail']} "
              f"failed as expected, {counts['XPASS']} passed unexpectedly, {counts['FAIL']} failed, "
              f"{counts['HANG']} hung")
        if bad:
            print("unexpected: " + " ".join(sorted(bad)))
        return 1 if bad else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
