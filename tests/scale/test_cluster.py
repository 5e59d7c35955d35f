"""The scale helpers' own wait for a booting gateway: a slow /healthz is "not yet", not an error."""

import os
import socket
import sys

import pytest

from tests.scale.cluster import HOST, Child, Gateway, wait_for


def stand_in(tmp_path, code: str, url: str) -> Gateway:
    """A Gateway whose process runs `code` and whose /healthz is at `url`."""
    gateway = Gateway.__new__(Gateway)
    Child.__init__(
        gateway, [sys.executable, "-c", code], env=dict(os.environ), log=tmp_path / "log"
    )
    gateway.url, gateway.health_timeout = url, 0.2
    return gateway


def test_a_health_check_that_times_out_is_not_yet(tmp_path):
    # A listening socket that never answers: the connection is made, the read times out.
    with socket.create_server((HOST, 0)) as silent:
        url = f"http://{HOST}:{silent.getsockname()[1]}"
        gateway = stand_in(tmp_path, "import time; time.sleep(60)", url)
        try:
            assert gateway._healthy() is False
            with pytest.raises(TimeoutError, match="/healthz: not within 1 s"):
                wait_for(gateway._healthy, seconds=1, what=f"{url}/healthz", interval=0.05)
        finally:
            gateway.stop()


def test_a_gateway_that_exits_fails_the_wait_at_once(tmp_path):
    gateway = stand_in(tmp_path, "print('no settings'); raise SystemExit(1)", f"http://{HOST}:9")
    gateway.wait_exit(seconds=30)
    with pytest.raises(RuntimeError, match="exited before it answered:\nno settings"):
        gateway._healthy()
