"""gateway_project/server.py in-process: settings, the WSGI wrapper, the metrics directory."""

import os
import socket
import subprocess
import sys

import pytest

from gateway_project import server

SETTINGS = (
    "WEB_CONCURRENCY",
    "GATEWAY_THREADS",
    "GATEWAY_ACCESS_LOG",
    "GATEWAY_KEEPALIVE_REQUESTS",
    "GATEWAY_GRACEFUL_TIMEOUT",
    "GATEWAY_WORKER_LIFETIME",
    "GATEWAY_WORKER_MAX_RSS_MB",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(server, "BASE_DIR", server.BASE_DIR / "no-such-dir")  # no .env
    return monkeypatch


def test_defaults_are_the_documented_ones(clean_env):
    settings = server.ServerSettings.read()
    assert settings == server.ServerSettings(
        workers=2,
        threads=512,
        access_log="",
        keepalive_requests=0,
        graceful_timeout=10,
        worker_lifetime=0,
        worker_max_rss_mb=1024,
    )
    built = server.build(settings, host="127.0.0.1", port=8787)
    assert (built.workers, built.blocking_threads, built.backpressure) == (2, 512, 512)
    assert built.respawn_failed_workers is True
    assert built.workers_kill_timeout == 10
    assert built.workers_lifetime is None
    assert built.workers_rss == 1024 * 1024 * 1024
    assert built.log_access is False


def test_environment_overrides(clean_env):
    for name, value in zip(SETTINGS, ("3", "64", "-", "25", "30", "3600", "0"), strict=True):
        clean_env.setenv(name, value)
    settings = server.ServerSettings.read()
    built = server.build(settings, host="127.0.0.1", port=8787)
    assert (built.workers, built.blocking_threads, built.log_access) == (3, 64, True)
    assert (built.workers_kill_timeout, built.workers_lifetime, built.workers_rss) == (
        30,
        3600,
        None,
    )
    assert settings.keepalive_requests == 25


def test_access_log_to_a_file_or_stderr():
    to_file = server.log_config("/var/log/gateway-access.log")["handlers"]["access"]
    assert (to_file["class"], to_file["filename"]) == (
        "logging.FileHandler",
        "/var/log/gateway-access.log",
    )
    assert server.log_config("-")["handlers"]["access"]["stream"] == "ext://sys.stderr"
    assert server.log_config("")["handlers"]["access"]["stream"] == "ext://sys.stdout"


def call(app, environ):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["headers"] = headers

    app(environ, start_response)
    return seen["headers"]


def echo(environ, start_response):
    echo.environ = dict(environ)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_the_process_environment_never_reaches_the_app():
    inherited = ("SECRET_KEY", "DATABASE_URL", "HTTP_X_PORTKEY_API_KEY", "PATH_INFO")
    app = server.wrap(echo, inherited=inherited, keepalive_requests=0)
    environ = {
        "SECRET_KEY": "s3cret",
        "DATABASE_URL": "postgres://u:pw@db/x",
        "HTTP_X_PORTKEY_API_KEY": "gwk_from_the_environment",
        "PATH_INFO": "/v1/models",
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "127.0.0.1",
    }
    assert call(app, environ) == [("Content-Type", "text/plain")]
    assert echo.environ == {
        "PATH_INFO": "/v1/models",
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "127.0.0.1",
    }


def test_one_connection_in_n_is_closed(monkeypatch):
    app = server.wrap(echo, inherited=(), keepalive_requests=25)
    draws = iter([0.5, 0.039, 0.041, 0.0])
    monkeypatch.setattr(server.random, "random", lambda: next(draws))
    closed = [("Connection", "close") in call(app, {}) for _ in range(4)]
    assert closed == [False, True, False, True]
    never = server.wrap(echo, inherited=(), keepalive_requests=0)
    monkeypatch.setattr(server.random, "random", lambda: 0.0)
    assert ("Connection", "close") not in call(never, {})


def test_a_metrics_directory_it_creates_is_emptied_and_removed(monkeypatch, tmp_path):
    monkeypatch.setenv(server.METRICS_ENV, "")  # so the directory it sets is undone after
    monkeypatch.delenv(server.METRICS_ENV)
    monkeypatch.setattr(server.tempfile, "tempdir", str(tmp_path))
    directory = server.MetricsDirectory()
    assert directory.owned and directory.path.parent == tmp_path
    assert os.environ[server.METRICS_ENV] == str(directory.path)
    (directory.path / "counter_1.db").write_bytes(b"x")
    directory.close()
    assert not directory.path.exists()


def test_a_given_metrics_directory_is_emptied_and_kept(monkeypatch, tmp_path):
    (tmp_path / "counter_99.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setenv(server.METRICS_ENV, str(tmp_path))
    directory = server.MetricsDirectory()
    assert not directory.owned
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    directory.close()
    assert tmp_path.exists()


def test_dead_workers_live_gauge_files_are_found(monkeypatch, tmp_path):
    monkeypatch.setenv(server.METRICS_ENV, str(tmp_path))
    directory = server.MetricsDirectory()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(gone.stdout)
    for name in (f"gauge_livesum_{dead}.db", f"gauge_liveall_{dead}.db", f"counter_{dead}.db"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f"gauge_livesum_{os.getpid()}.db").write_bytes(b"x")
    assert directory.dead_pids() == {dead}

    from prometheus_client.multiprocess import mark_process_dead

    for pid in directory.dead_pids():
        mark_process_dead(pid, str(tmp_path))
    # Counters of a dead worker stay (they are still counted); its live gauges go.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{dead}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ]


def test_port_zero_is_reserved_until_the_server_ends():
    reserved, port = server.reserve_port("127.0.0.1", 0)
    with reserved:
        assert port > 0
        other = socket.socket()
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", port))  # without SO_REUSEPORT, nobody else gets it
        other.close()
