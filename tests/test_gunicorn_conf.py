"""gunicorn.conf.py: the production server settings `make run` and `make bench` use."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@pytest.fixture
def conf(monkeypatch, tmp_path):
    """gunicorn.conf.py as gunicorn reads it, with this test's environment."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # so it creates no directory

    def load(**env):
        for name in (
            "WEB_CONCURRENCY",
            "GATEWAY_THREADS",
            "GATEWAY_ACCESS_LOG",
            "GATEWAY_KEEPALIVE_REQUESTS",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_defaults_are_the_documented_ones(conf):
    settings = conf()
    assert settings["worker_class"] == "gthread"
    assert (settings["workers"], settings["threads"]) == (2, 4)
    assert settings["accesslog"] is None  # gunicorn's own default; /metrics counts requests
    assert settings["timeout"] > 30


def test_environment_overrides(conf):
    settings = conf(WEB_CONCURRENCY="3", GATEWAY_THREADS="8", GATEWAY_ACCESS_LOG="-")
    assert (settings["workers"], settings["threads"], settings["accesslog"]) == (3, 8, "-")


def _closed(pre_request, numbers):
    requests = [SimpleNamespace(req_number=n, must_close=False) for n in numbers]
    for request in requests:
        pre_request(None, request)
    return [request.must_close for request in requests]


def test_a_keepalive_connection_is_closed_after_its_25th_request(conf):
    assert _closed(conf()["pre_request"], (1, 24, 25, 250)) == [False, False, True, True]


def test_the_keepalive_request_cap_is_a_setting(conf):
    pre_request = conf(GATEWAY_KEEPALIVE_REQUESTS="100")["pre_request"]
    assert _closed(pre_request, (25, 99, 100)) == [False, False, True]
