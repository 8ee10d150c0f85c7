"""The translation layer (src/protocol/translate.h) answers clients byte for byte as the server
would: tests/translation/corpus.txt's text, meta and binary requests are sent directly to one
server and, parsed into the neutral model and re-sent as meta (text for version/flush_all), to
another; build/<preset>/bin/translation_check compares the replies.

It runs against the server under test (memfleetd by default; MEMFLEETD=/usr/bin/memcached runs it
against the reference) and, when Debian's memcached is installed, against memcached as well:
translating for memcached is what a router must get exactly right.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT / "tests" / "translation" / "corpus.txt"
MEMCACHED = "/usr/bin/memcached"
# -I 1k (with a chunk size that fits it): the corpus's 1100-byte values are too large, so the
# "too large" replies are covered.
ARGS = ["-I", "1k", "-o", "slab_chunk_max=1024"]


def check_binary() -> Path:
    value = os.environ.get("TRANSLATION_CHECK")
    if value:
        return Path(value)
    return REPO_ROOT / "build" / "asan" / "bin" / "translation_check"


def run_check(direct, translated):
    tool = check_binary()
    if not tool.is_file():
        pytest.fail(f"{tool} is not built (make asan)")
    proc = subprocess.run([str(tool), f"{direct.host}:{direct.port}",
                           f"{translated.host}:{translated.port}", str(CORPUS)],
                          capture_output=True, text=True, timeout=240)
    failures = [line for line in proc.stdout.splitlines() if not line.startswith("ok ")]
    assert proc.returncode == 0, "\n".join(failures[-60:]) + proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.endswith(" 0 failed") and not last.startswith("0 passed"), last


def test_translation_matches_the_server_under_test(start_server):
    run_check(start_server(ARGS, name="direct"), start_server(ARGS, name="translated"))


@pytest.mark.skipif(shutil.which(MEMCACHED) is None, reason="Debian's memcached is not installed")
def test_translation_matches_memcached(start_server):
    run_check(start_server(ARGS, binary=Path(MEMCACHED), name="memcached_direct"),
              start_server(ARGS, binary=Path(MEMCACHED), name="memcached_translated"))
