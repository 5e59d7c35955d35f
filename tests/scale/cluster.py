"""Processes a scale test starts on 127.0.0.1: gateways under their server, management commands."""

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from benchmarks.processes import children

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")
LISTENING = re.compile(rb"Listening at: http://127\.0\.0\.1:(\d+)")


def base_env(**settings: str) -> dict:
    """A child's environment: fresh secrets, plain HTTP, and no proxy between it and loopback."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        GATEWAY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="WARNING",
        NO_PROXY=HOST,
        no_proxy=HOST,
    )
    env.update(settings)
    return env


def wait_for(predicate: Callable, *, seconds: float, what: str, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; TimeoutError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {seconds:g} s")
        time.sleep(interval)


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback only
    return session


class Child:
    """A child in its own process group, so stopping it also stops everything it forked."""

    def __init__(self, command: list[str], *, env: dict, log: Path):
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def signal_pid(self, pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    def stop(self, *, seconds: float = 5.0) -> None:
        """SIGINT to the group (the server stops its workers), then SIGKILL for what is left."""
        if self.popen.poll() is None:
            self.signal_group(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=seconds)
        # A worker can outlive its master; the group still names it.
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=seconds)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_output(self, text: str, *, seconds: float) -> None:
        """Wait until `text` is in the child's output; fails at once if it exits without it."""

        def printed():
            if text in self.output():
                return True
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited without printing {text!r}:\n{self.output()[-3000:]}")
            return False

        wait_for(printed, seconds=seconds, what=f"{text!r} from {self.log.name}")

    def wait_exit(self, *, seconds: float) -> int:
        try:
            return self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.log.name}: still running after {seconds:g} s") from None


class Gateway(Child):
    """The gateway under its production server, on a port the kernel picks (no race)."""

    health_timeout = 2.0  # seconds for one /healthz; wait_ready's `seconds` bounds them all

    def __init__(self, *, env: dict, log: Path, workers: int = 1, threads: int = 4, app: str = ""):
        command = [sys.executable, "-m", "gateway_project.server", "--host", HOST, "--port", "0"]
        command += ["--app", app] if app else []
        env = {**env, "WEB_CONCURRENCY": str(workers), "GATEWAY_THREADS": str(threads)}
        super().__init__(command, env=env, log=log)
        self.url = ""

    def wait_ready(self, *, seconds: float = 30) -> "Gateway":
        port = wait_for(self._port, seconds=seconds, what=f"gateway listening ({self.log})")
        self.url = f"http://{HOST}:{port}"
        wait_for(self._healthy, seconds=seconds, what=f"{self.url}/healthz", interval=0.05)
        return self

    def _port(self) -> int | None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"gateway exited early:\n{self.output()[-3000:]}")
        found = LISTENING.search(self.log.read_bytes())
        return int(found.group(1)) if found else None

    def _healthy(self) -> bool:
        if self.popen.poll() is not None:
            raise RuntimeError(f"gateway exited before it answered:\n{self.output()[-3000:]}")
        try:
            return http().get(f"{self.url}/healthz", timeout=self.health_timeout).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            # Not yet: a worker still booting on a busy machine can hold a request this long.
            return False

    def workers(self) -> list[int]:
        return children(self.pid)


def manage(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """One management command, bounded; the caller checks returncode and output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
