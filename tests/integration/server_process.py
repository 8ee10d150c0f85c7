"""Starting, stopping and judging one server process (memfleetd or the reference memcached).

A ServerProcess owns one child process. start() picks a free port on 127.0.0.1 (bind port 0, close,
pass the number to -p; retried if another process grabs it first) and waits until the server
accepts connections. stop() sends SIGTERM, then SIGKILL after a timeout. problems() says what was
abnormal about the run: a non-zero or signal exit, a SIGKILL, a sanitizer report on stderr.
stderr goes to a file (never a pipe that could fill up and block the server).

Used from the main test thread only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
# Where the builds put the binary (apps/memfleetd/CMakeLists.txt sets build/<preset>/bin); the
# older build/<preset>/apps/memfleetd location is still accepted. The first that exists wins.
DEFAULT_BINARIES = ("build/asan/bin/memfleetd", "build/asan/apps/memfleetd")
DEFAULT_RELEASE_BINARIES = ("build/release/bin/memfleetd", "build/release/apps/memfleetd")

HOST = "127.0.0.1"
START_TIMEOUT = 20.0  # an ASan binary on a loaded machine can be slow to start
STOP_TIMEOUT = 15.0  # SIGTERM -> exit; beyond this the server counts as hung and gets SIGKILL
START_ATTEMPTS = 5

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",  # UndefinedBehaviorSanitizer
    "WARNING: ThreadSanitizer",
)


def resolve_binary(value: Optional[str], defaults: Sequence[str]) -> Path:
    """`value` (an environment variable), else the first of `defaults` that exists, else the first
    default. A relative path is relative to the repository root. A directory stands for the
    executable of the same name inside it (without RUNTIME_OUTPUT_DIRECTORY, CMake puts the binary
    at build/<preset>/apps/memfleetd/memfleetd)."""

    def resolve(text: str) -> Path:
        path = Path(text)
        path = path if path.is_absolute() else REPO_ROOT / path
        if path.is_dir() and (path / path.name).is_file():
            path = path / path.name
        return path

    if value:
        return resolve(value)
    for candidate in defaults:
        path = resolve(candidate)
        if path.is_file():
            return path
    return resolve(defaults[0])


def check_executable(binary: Path) -> Optional[str]:
    """Why `binary` cannot be run, or None."""
    if not binary.exists():
        return f"server binary {binary} does not exist"
    if binary.is_dir():
        return f"server binary {binary} is a directory without a {binary.name} executable in it"
    if not os.access(binary, os.X_OK):
        return f"server binary {binary} is not executable"
    return None


def server_binary() -> Path:
    return resolve_binary(os.environ.get("MEMFLEETD"), DEFAULT_BINARIES)


def release_binary() -> Path:
    return resolve_binary(os.environ.get("MEMFLEETD_RELEASE"), DEFAULT_RELEASE_BINARIES)


def is_reference(binary: Path) -> bool:
    """True when the binary is memcached itself (the oracle), not memfleetd."""
    return binary.name.startswith("memcached")


def base_args(binary: Path) -> List[str]:
    """memcached refuses to run as root without -u; memfleetd accepts -u but does not need it."""
    if is_reference(binary) and os.geteuid() == 0:
        return ["-u", "nobody"]
    return []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sanitizer_reports(text: str) -> List[str]:
    return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKERS)]


def _flag_value(args: Sequence[str], short: str, long: str) -> Optional[str]:
    """The value given to `-x VALUE`, `--long VALUE` or `--long=VALUE`, or None if absent."""
    for i, a in enumerate(args):
        if a in (short, long) and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(long + "="):
            return a.split("=", 1)[1]
    return None


class ServerStartError(Exception):
    pass


class ServerProcess:
    def __init__(self, binary: Path, args: Sequence[str], workdir: Path, name: str = "server",
                 expected_exit_codes: Sequence[int] = (0,)):
        self.binary = Path(binary)
        self.extra_args = list(args)
        self.workdir = Path(workdir)
        self.name = name
        self.expected_exit_codes = tuple(expected_exit_codes)
        self.proc: Optional[subprocess.Popen] = None
        self.host = HOST
        self.port: Optional[int] = None
        self.unix_path: Optional[str] = None
        self.killed = False
        self.stderr_path = self.workdir / f"{name}.stderr"
        self.cmdline: List[str] = []

    # -- start -------------------------------------------------------------------------------

    @property
    def addr(self):
        """What wire.connect() takes: (host, port), or the unix socket path with -s."""
        return self.unix_path if self.unix_path else (self.host, self.port)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> "ServerProcess":
        problem = check_executable(self.binary)
        if problem:
            raise ServerStartError(
                f"{problem}: build it (make asan) or point MEMFLEETD at it")
        self.unix_path = _flag_value(self.extra_args, "-s", "--unix-socket")
        last_error = ""
        for attempt in range(START_ATTEMPTS):
            if self.unix_path:
                net_args: List[str] = []
            else:
                self.port = free_port()
                net_args = ["-p", str(self.port)]
                if _flag_value(self.extra_args, "-l", "--listen") is None:
                    net_args += ["-l", HOST]
            self.cmdline = [str(self.binary), *base_args(self.binary), *net_args,
                            *self.extra_args]
            with open(self.stderr_path, "ab") as err:
                err.write(f"### attempt {attempt}: {' '.join(self.cmdline)}\n".encode())
                err.flush()
                attempt_start = err.tell()
                self.proc = subprocess.Popen(self.cmdline, stdin=subprocess.DEVNULL,
                                             stdout=err, stderr=err, cwd=self.workdir)
            if self._wait_accepting():
                return self
            self.proc.wait(timeout=STOP_TIMEOUT)
            last_error = self.stderr_text()[attempt_start:]
            in_use = "already in use" in last_error.lower()
            if not in_use or self.unix_path:
                break
        raise ServerStartError(
            f"{' '.join(self.cmdline)} did not start (exit code {self.proc.returncode}):\n"
            f"{last_error[-4000:]}")

    def _wait_accepting(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.unix_path:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                        s.settimeout(1.0)
                        s.connect(self.unix_path)
                else:
                    socket.create_connection((self.host, self.port), timeout=1.0).close()
                    if not self._owns_listener():
                        # Someone else took the port between free_port() and our bind; our
                        # process will fail with "address in use" and start() retries.
                        time.sleep(0.02)
                        continue
                return True
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise ServerStartError(f"{' '.join(self.cmdline)} did not accept connections within "
                               f"{START_TIMEOUT}s:\n{self.stderr_text()[-4000:]}")

    def _owns_listener(self) -> bool:
        """True if a socket listening on our port belongs to our process (Linux /proc); True
        when /proc cannot tell."""
        try:
            inodes = set()
            with open("/proc/net/tcp") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == self.port:
                        inodes.add(fields[9])
            fd_dir = f"/proc/{self.proc.pid}/fd"
            targets = set()
            for fd in os.listdir(fd_dir):
                try:
                    targets.add(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    pass
        except OSError:
            return True
        return any(f"socket:[{inode}]" in targets for inode in inodes)

    # -- stop --------------------------------------------------------------------------------

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """Waits for the process to exit by itself; returns its exit code, None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.killed = True
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT. Returns the exit code."""
        if self.proc is None:
            return None
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    # -- judging -----------------------------------------------------------------------------

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def problems(self) -> List[str]:
        """What was abnormal about this run; call after stop()."""
        out = []
        if self.proc is None:
            return out
        rc = self.proc.returncode
        if self.killed:
            out.append(f"did not exit within {STOP_TIMEOUT}s of SIGTERM; killed with SIGKILL")
        elif rc is not None and rc < 0:
            out.append(f"died of signal {signal.Signals(-rc).name}")
        elif rc is not None and rc not in self.expected_exit_codes:
            out.append(f"exited with code {rc} (expected {list(self.expected_exit_codes)})")
        reports = sanitizer_reports(self.stderr_text())
        if reports:
            out.append("sanitizer reports: " + "; ".join(reports[:5]))
        return out


def run_to_exit(binary: Path, args: Sequence[str], timeout: float = 20.0,
                with_base_args: bool = True) -> subprocess.CompletedProcess:
    """Runs the binary to completion (for flag handling tests). A run that does not exit within
    `timeout` is killed and reported through returncode None."""
    problem = check_executable(binary)
    if problem:
        raise ServerStartError(problem)
    cmd = [str(binary), *(base_args(binary) if with_base_args else []), *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=STOP_TIMEOUT)
        rc = None
    return subprocess.CompletedProcess(cmd, rc, out.decode(errors="replace"),
                                       err.decode(errors="replace"))
