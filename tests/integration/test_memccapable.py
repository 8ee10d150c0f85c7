"""libmemcached's conformance tool, memccapable (libmemcached-tools), ASCII tests (-a).

Against memcached 1.6.18 all 27 ASCII tests pass and none is skipped. memccapable prints
"<name>  [pass]" to stdout for each passing test and "[FAIL]" (with the reason) to stderr for each
failing one, then "All tests passed" or "N of M tests failed", and exits 1 on failure. It flushes
the server, so it gets a server of its own.
"""

import re
import shutil

import pytest
import subprocess

ASCII_TESTS = [
    "version", "quit", "verbosity", "set", "set noreply", "get", "gets", "mget", "flush",
    "flush noreply", "add", "add noreply", "replace", "replace noreply", "cas", "cas noreply",
    "delete", "delete noreply", "incr", "incr noreply", "decr", "decr noreply", "append",
    "append noreply", "prepend", "prepend noreply", "stat",
]


def test_memccapable_ascii(start_server):
    tool = shutil.which("memccapable")
    if tool is None:
        pytest.skip("memccapable not installed (libmemcached-tools; scripts/install-deps.sh)")
    srv = start_server()
    run = subprocess.run([tool, "-h", srv.host, "-p", str(srv.port), "-a", "-t", "10"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=240)
    out, err = run.stdout.decode(errors="replace"), run.stderr.decode(errors="replace")
    report = f"exit code {run.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    passed = set(re.findall(r"^ascii (.+?)\s+\[pass\]\s*$", out, re.M))
    missing = [t for t in ASCII_TESTS if t not in passed]
    assert not missing, f"tests not passed: {missing}\n{report}"
    assert "[FAIL]" not in out + err, report
    assert "All tests passed" in out + err, report
    assert run.returncode == 0, report
