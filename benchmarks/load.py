"""Drive one URL with wrk for a bounded time and read its figures back as a dataclass."""

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SCRIPT = Path(__file__).with_name("summary.lua")
# No proxy from the environment: every request goes straight to 127.0.0.1.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Result:
    """One wrk run: throughput, latency percentiles and every kind of failed request."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and non-2xx/3xx answers

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is not installed: apt-get install -y wrk (Debian's package), then rerun."
        )
    return path


def loopback_only(url: str) -> str:
    """Refuse any target but 127.0.0.1: the benchmark must never load another machine."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing to load {url}: only 127.0.0.1 may be targeted")
    return url


def wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    headers: dict,
    threads: int = 1,
    script: Path = SCRIPT,
) -> Result:
    """Run wrk on `url` for `seconds`; its --timeout keeps a stalled server from hanging it.
    `script` must print summary.lua's line (a POST's script adds its method and body to it)."""
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(script), loopback_only(url)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        connections=connections,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
    )


def fetch(url: str, headers: dict, *, timeout: float = 10) -> tuple[int, dict, bytes]:
    """One GET (status, lower-cased headers, raw body), for checks between load runs."""
    request = urllib.request.Request(loopback_only(url), headers=headers)
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), error.read()


def _lower(headers) -> dict:
    return {k.lower(): v for k, v in headers.items()}
