"""A sync whose process is gone reads as interrupted at once, in the admin and the dashboard."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from models_api.catalog import runs
from models_api.catalog.sync import KeyResult, catalog_sync
from models_api.models import SyncRun
from tests.catalog.fakes import FakeProvider as FakeClient
from tests.catalog.fakes import models
from tests.factories import VirtualKeyFactory
from tests.fake_provider import FakeProvider, serve

BASE_DIR = Path(__file__).resolve().parents[2]


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def running(**fields) -> SyncRun:
    fields.setdefault("heartbeat_at", timezone.now())
    return SyncRun.objects.create(keys_total=3, **fields)


@pytest.mark.django_db
def test_a_run_whose_process_is_gone_reads_as_interrupted_at_once(admin_client):
    killed = running(host=socket.gethostname(), pid=dead_pid())
    page = admin_client.get("/admin/models_api/syncrun/").content.decode()
    killed.refresh_from_db()
    assert killed.status == SyncRun.Status.INTERRUPTED
    assert killed.finished_at is not None
    assert f"pid {killed.pid}) ended with 0 of its 3 keys done" in killed.error
    assert "Interrupted" in page
    detail = admin_client.get(f"/admin/models_api/syncrun/{killed.pk}/change/").content.decode()
    assert "ended with 0 of its 3 keys done" in detail


@pytest.mark.django_db
def test_the_dashboard_shows_recent_runs_with_interrupted_ones(admin_client):
    killed = running(host=socket.gethostname(), pid=dead_pid())
    alive = running(host=socket.gethostname(), pid=os.getpid())
    page = admin_client.get("/admin/dashboard/").content.decode()
    section = page[page.index('id="recent-syncs"') :][:3000]
    assert section.count("Interrupted") == 1 and section.count("Running") == 1
    killed.refresh_from_db()
    alive.refresh_from_db()
    assert (killed.status, alive.status) == (SyncRun.Status.INTERRUPTED, SyncRun.Status.RUNNING)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "interrupted"),
    [
        ({"host": "elsewhere", "pid": 1}, False),  # another machine, heartbeat fresh
        ({"host": "elsewhere", "heartbeat_at": timezone.now() - timedelta(minutes=2)}, True),
        (
            {"host": "", "heartbeat_at": None, "started_at": timezone.now() - timedelta(minutes=5)},
            True,
        ),
        ({"host": socket.gethostname(), "pid": os.getpid()}, False),
    ],
)
def test_which_runs_are_closed(fields, interrupted):
    run = running(**fields)
    assert runs.sync_runs_interrupted_close() == int(interrupted)
    run.refresh_from_db()
    expected = SyncRun.Status.INTERRUPTED if interrupted else SyncRun.Status.RUNNING
    assert run.status == expected


@pytest.mark.django_db
def test_a_slow_sync_writes_heartbeats_while_it_waits(monkeypatch):
    class Slow(FakeClient):
        def list_models(self, target, query=None):
            time.sleep(0.3)
            return super().list_models(target)

    client = Slow()
    monkeypatch.setattr("models_api.catalog.sync.get_client", lambda slug: client)
    monkeypatch.setattr(runs, "HEARTBEAT", timedelta(seconds=0.05))
    VirtualKeyFactory(slug="a", credential="sk-a-0001")
    client.lists["sk-a-0001"] = models("m-a")
    with CaptureQueriesContext(connection) as queries:
        run = catalog_sync()
    beats = [q for q in queries if q["sql"].startswith('UPDATE "models_api_syncrun"')]
    assert len(beats) >= 3  # while the provider took its time
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.host, run.pid, run.keys_total) == (socket.gethostname(), os.getpid(), 1)


@pytest.mark.django_db
def test_heartbeats_carry_the_keys_done_and_are_throttled():
    run = runs.sync_run_start(dry_run=False, forced=False, keys_total=2)
    first = KeyResult(slug="a", provider="openai", added=1)
    run.heartbeat_at -= runs.HEARTBEAT
    runs.heartbeat(run, [first])
    runs.heartbeat(run, [first, KeyResult(slug="b", provider="openai")])  # too soon: skipped
    row = SyncRun.objects.get()
    assert [r["slug"] for r in row.results] == ["a"]
    assert row.heartbeat_at == run.heartbeat_at


@pytest.mark.skipif(sys.platform != "linux", reason="signals a real process")
def test_a_killed_sync_command_reads_as_interrupted_without_waiting(tmp_path):
    database = tmp_path / "gateway.sqlite3"
    provider = FakeProvider(models=["slow-model"], latency_ms=120_000)
    with serve(provider) as url:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "GATEWAY_TRUSTED_CUSTOM_HOSTS": url.removeprefix("http://"),
            "GATEWAY_UPSTREAM_TIMEOUT": "300",
            "CACHE_URL": "locmemcache://",
            "CREDENTIAL": "sk-slow-0001",
            "SECRET_KEY": settings.SECRET_KEY,
        }

        def manage(*args):
            return subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            ).stdout

        manage("migrate", "--noinput")
        manage(
            "create_virtual_key",
            *("--name", "slow", "--provider", "openai", "--base-url", f"{url}/v1"),
            *("--credential-env", "CREDENTIAL"),
        )
        sync = subprocess.Popen(
            [sys.executable, "manage.py", "sync_models"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not provider.requests:  # the sync is waiting on the provider
                assert time.monotonic() < deadline and sync.poll() is None
                time.sleep(0.05)
        finally:
            sync.send_signal(signal.SIGKILL)
            sync.wait()

        def status():
            with sqlite3.connect(database) as db:
                return db.execute(
                    "SELECT status, pid, keys_total FROM models_api_syncrun"
                ).fetchall()

        assert status() == [("running", sync.pid, 1)]
        code = "from models_api.catalog.runs import sync_runs_interrupted_close as c; print(c())"
        assert manage("shell", "-c", code).strip().splitlines()[-1] == "1"
        assert status() == [("interrupted", sync.pid, 1)]
