"""What a benchmark starts on 127.0.0.1 (the fake provider, the gateway), its RSS and CPU."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.load import fetch

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_env(extra: dict) -> dict:
    """The environment for a child: proxies removed, so loopback calls never leave the host."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(extra, NO_PROXY=HOST, no_proxy=HOST)
    return env


class Process:
    """A child process started by the benchmark, stopped (only it) with SIGTERM then SIGKILL."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.log = log.open("ab")
        self.popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_http(self, url: str, *, seconds: float = 30) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if self.popen.poll() is not None:
                raise SystemExit(f"{self.popen.args[:3]} exited early; see {self.log.name}")
            try:
                if fetch(url, {}, timeout=2)[0] < 500:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{url} did not answer within {seconds:g}s; see {self.log.name}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def fake_provider(*, models: int, latency_ms: float, logs: Path) -> tuple[Process, str]:
    """tests/fake_provider.py in its own process, so its CPU is not the benchmark's GIL."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.upstream", "--port", str(port)]
    command += ["--models", str(models), "--latency-ms", str(latency_ms)]
    process = Process(command, child_env({}), logs / f"fake-provider-{port}.log")
    url = f"http://{HOST}:{port}"
    process.wait_http(f"{url}/v1/models")
    return process, url


def gateway(*, env: dict, logs: Path, name: str) -> tuple[Process, str]:
    """The gateway under its production server (gateway_project/server.py)."""
    return serve(GATEWAY_COMMAND, env=env, logs=logs, name=name, ready="/healthz")


GATEWAY_COMMAND = [
    sys.executable,
    "-m",
    "gateway_project.server",
    "--host",
    HOST,
    "--port",
    "{port}",
]


def serve(
    command: list[str], *, env: dict, logs: Path, name: str, ready: str = "/"
) -> tuple[Process, str]:
    """A server started with `command` ("{port}" filled in) on a free port, once it answers."""
    port = free_port()
    process = Process(
        [part.replace("{port}", str(port)) for part in command],
        child_env(env),
        logs / f"server-{name}.log",
    )
    url = f"http://{HOST}:{port}"
    process.wait_http(url + ready, seconds=60)
    return process, url


def _stat(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat from the field after the command name (which may contain spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (the server's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat and int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes (all their threads) have used so far."""
    total = 0
    for pid in pids:
        stat = _stat(pid)
        if stat:
            total += int(stat[11]) + int(stat[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def peak_rss_reset(pids: list[int]) -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so the next reading covers one run only."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb(pids: list[int]) -> float:
    """The largest VmHWM (peak resident memory) among `pids`, in MB."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024
