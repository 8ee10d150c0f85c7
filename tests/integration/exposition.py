"""Reading Prometheus' text exposition in tests: memfleetd's (-o metrics_port) and
memfleet-router's (--metrics-port) `/metrics`, fetched from 127.0.0.1 and parsed into samples keyed
by name and sorted labels. A sample line that does not parse, or comes twice, fails the test."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
from typing import Any, Callable, Dict, Tuple

import pytest

from server_process import HOST

Sample = Tuple[str, Tuple[Tuple[str, str], ...]]  # (name, sorted label pairs)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")


def http_get(port: int, path: str) -> Tuple[int, Dict[str, str], str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def parse(text: str, convert: Callable[[str], Any] = float) -> Dict[Sample, Any]:
    """Every sample of the page; values through `convert` (str keeps them as printed)."""
    out: Dict[Sample, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        key = (m.group(1), labels)
        assert key not in out, f"sample twice: {line!r}"
        out[key] = convert(m.group(3))
    return out


def scrape(port: int, convert: Callable[[str], Any] = float) -> Dict[Sample, Any]:
    status, _, body = http_get(port, "/metrics")
    assert status == 200, body[:500]
    return parse(body, convert)


def value(samples: Dict[Sample, Any], name: str, **labels: str) -> Any:
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {name}{labels}; have " + \
        ", ".join(f"{n}{dict(l)}" for n, l in samples if n == name)
    return samples[key]


def delta(after, before, name: str, **labels: str) -> float:
    """How much a float sample grew between two scrapes (absent before: from 0)."""
    key = (name, tuple(sorted(labels.items())))
    return value(after, name, **labels) - before.get(key, 0.0)


def promtool_check(body: str) -> None:
    """`promtool check metrics` must accept body; skips the test when promtool is missing."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    check = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                           capture_output=True, timeout=60)
    assert check.returncode == 0, (check.stdout + check.stderr).decode() + "\n" + body[:3000]
