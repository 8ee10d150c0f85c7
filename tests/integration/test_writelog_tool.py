"""memfleet-writelog, the tool that prints memfleet-router's write log files.

The files are written here by an encoder of the on-disk format as docs/router.md ("Write log")
describes it, independent of the C++ writer, so the test checks the documented format too.
Binary: MEMFLEET_WRITELOG, default build/asan/bin/memfleet-writelog.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from server_process import check_executable, resolve_binary

TOOL_DEFAULTS = ("build/asan/bin/memfleet-writelog",)
TIMEOUT = 30
OP_CODES = {"set": 1, "add": 2, "replace": 3, "append": 4, "prepend": 5, "delete": 6, "touch": 7,
            "incr": 8, "decr": 9}


def tool() -> Path:
    path = resolve_binary(os.environ.get("MEMFLEET_WRITELOG"), TOOL_DEFAULTS)
    check_executable(path)
    return path


def header(address: bytes, first_seq: int = 1, flags: int = 0, dropped: int = 0) -> bytes:
    size = 56 + len(address)
    fixed = struct.pack("<8sIIIIQQQII", b"MFWRLOG1", 1, size, flags, len(address), first_seq, size,
                        dropped, 0, 0)
    crc = zlib.crc32(fixed + address)
    return fixed[:48] + struct.pack("<I", crc) + fixed[52:] + address


def record(seq: int, op: str, key: bytes, value: bytes = b"", flags: int = 0, exptime: int = 0,
           delta: int = 0, initial: int = 0, create: bool = False, time_ms: int = 1700000000000
           ) -> bytes:
    body = struct.pack("<QqBBHIqQQI", seq, time_ms, OP_CODES[op], 1 if create else 0, len(key),
                       flags, exptime, delta, initial, len(value)) + key + value
    rest = struct.pack("<I", len(body)) + body
    return struct.pack("<I", zlib.crc32(rest)) + rest


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool()), *map(str, args)], capture_output=True, timeout=TIMEOUT)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "127.0.0.1%3A11211.wlog"
    path.write_bytes(header(b"127.0.0.1:11211", first_seq=7)
                     + record(7, "set", b"user:1", b"hello", flags=3, exptime=60)
                     + record(8, "delete", b"user:2", time_ms=1700000000123)
                     + record(9, "incr", b"n", delta=5, initial=1, create=True)
                     + record(10, "append", b"a b", b"\x00\r\nx"))
    return path


def test_prints_one_line_per_record(sample: Path):
    out = run(sample)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert lines[0].startswith(f"# {sample} server=127.0.0.1:11211 first_seq=7")
    assert "needs_resync=0" in lines[0]
    assert lines[1:] == [
        "7 1700000000000 set user:1 3 60 5",
        "8 1700000000123 delete user:2 0 0 0",
        "9 1700000000000 incr n 0 0 0 delta=5 initial=1",
        "10 1700000000000 append a\\x20b 0 0 4",
    ]


def test_values_are_printed_escaped(sample: Path):
    out = run("--values", sample)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert lines[1] == "7 1700000000000 set user:1 3 60 5 hello"
    assert lines[4] == "10 1700000000000 append a\\x20b 0 0 4 \\x00\\r\\nx"


def test_json_lines(sample: Path):
    out = run("--json", "--values", sample)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert rows[0]["server"] == "127.0.0.1:11211" and rows[0]["needs_resync"] is False
    assert [r["seq"] for r in rows[1:]] == [7, 8, 9, 10]
    assert rows[1]["op"] == "set" and rows[1]["key"] == "user:1" and rows[1]["value"] == "hello"
    assert rows[1]["flags"] == 3 and rows[1]["exptime"] == 60 and rows[1]["value_length"] == 5
    assert rows[3]["delta"] == 5 and rows[3]["initial"] == 1
    assert rows[4]["key"] == "a b" and rows[4]["value"].encode("latin-1") == b"\x00\r\nx"


def test_a_resync_mark_is_shown(tmp_path: Path):
    path = tmp_path / "x.wlog"
    path.write_bytes(header(b"/run/mc.sock", flags=1, dropped=12))
    out = run("--json", path)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout.decode().splitlines()[0])
    assert row["needs_resync"] is True and row["dropped"] == 12


def test_a_corrupt_record_fails_with_its_offset_after_the_good_ones(sample: Path, tmp_path: Path):
    data = bytearray(sample.read_bytes())
    second = len(header(b"127.0.0.1:11211")) + len(record(7, "set", b"user:1", b"hello"))
    data[second + 62] ^= 0x20  # inside the second record's key
    bad = tmp_path / "bad.wlog"
    bad.write_bytes(bytes(data))
    out = run(bad)
    assert out.returncode == 1
    assert out.stdout.decode().splitlines()[1:] == ["7 1700000000000 set user:1 3 60 5"]
    err = out.stderr.decode()
    assert f"damaged record at offset {second}: checksum mismatch" in err


def test_a_torn_tail_fails_clearly(sample: Path, tmp_path: Path):
    torn = tmp_path / "torn.wlog"
    torn.write_bytes(sample.read_bytes()[:-3])
    out = run(torn, sample)  # every file is printed; one damaged file fails the run
    assert out.returncode == 1
    assert "torn record" in out.stderr.decode()
    assert out.stdout.decode().count("append a\\x20b") == 1  # only the whole file's


def test_not_a_log_and_missing_files_fail(tmp_path: Path):
    junk = tmp_path / "junk.wlog"
    junk.write_bytes(b"this is not a write log, it is just some bytes in a file" * 2)
    out = run(junk)
    assert out.returncode == 1 and b"bad magic" in out.stderr
    out = run(tmp_path / "missing.wlog")
    assert out.returncode == 1 and b"No such file" in out.stderr
    assert run().returncode == 2
    assert run("--bogus", junk).returncode == 2
