"""Usage recording: off the response path, in batches, with costs, and kept on a graceful stop."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from models_api import metrics
from models_api.models import ModelMetadata
from models_api.usage import recorder as rec
from models_api.usage.models import Usage
from models_api.usage.recorder import Recorder, UsageRecord, usage_record
from models_api.usage.tokens import TokenCounts
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

ROOT = Path(__file__).resolve().parents[2]
PRICED = {"input_price": "0.000002", "output_price": "0.00001"}


def _record(**fields) -> bool:
    fields = {"route": "chat", "provider": "openai", "model": "gpt-4o", "status": 200, **fields}
    return usage_record(latency_ms=fields.pop("latency_ms", 12), **fields)


@pytest.mark.django_db
def test_a_call_is_recorded_with_every_field_and_its_catalog_cost():
    vk = VirtualKeyFactory(slug="team-openai")
    CatalogEntryFactory(virtual_key=vk, model_id="gpt-4o", synced=PRICED)
    api_key, _ = make_api_key()
    tokens = TokenCounts(prompt=1000, completion=200, cached=400, reasoning=50)
    assert _record(
        api_key_id=api_key.pk,
        virtual_key_id=vk.pk,
        tokens=tokens,
        stream=True,
        trace_id="trace-1",
        latency_ms=345,
    )
    row = Usage.objects.get()
    assert (row.api_key, row.virtual_key, row.provider, row.model, row.route) == (
        api_key,
        vk,
        "openai",
        "gpt-4o",
        "chat",
    )
    assert (row.prompt_tokens, row.completion_tokens) == (1000, 200)
    assert (row.cached_tokens, row.reasoning_tokens) == (400, 50)
    assert row.cost == Decimal("0.004")  # 1000 x 0.000002 + 200 x 0.00001
    assert (row.status, row.latency_ms, row.stream, row.trace_id) == (200, 345, True, "trace-1")


@pytest.mark.django_db
def test_the_virtual_keys_entry_wins_then_imported_metadata_by_provider_then_any():
    vk = VirtualKeyFactory()
    CatalogEntryFactory(virtual_key=vk, model_id="m1", synced={"input_price": "0.001"})
    ModelMetadata.objects.create(model_id="m1", provider="", source="t", values={"input_price": 9})
    ModelMetadata.objects.create(model_id="m2", provider="", source="t", values={"input_price": 1})
    ModelMetadata.objects.create(
        model_id="m2", provider="openai", source="t", values={"input_price": "0.002"}
    )
    ModelMetadata.objects.create(model_id="m3", provider="", source="t", values={"input_price": 3})
    tokens = TokenCounts(prompt=10)
    for model in ("m1", "m2", "m3", "m4"):
        _record(model=model, virtual_key_id=vk.pk, tokens=tokens, route="embeddings")
    costs = dict(Usage.objects.values_list("model", "cost"))
    assert costs == {"m1": Decimal("0.01"), "m2": Decimal("0.02"), "m3": Decimal(30), "m4": None}


@pytest.mark.django_db
def test_no_cost_when_a_needed_price_is_unknown_or_no_tokens_were_reported():
    vk = VirtualKeyFactory()
    CatalogEntryFactory(virtual_key=vk, model_id="gpt-4o", synced={"input_price": "0.001"})
    _record(virtual_key_id=vk.pk, tokens=TokenCounts(prompt=10, completion=5))
    _record(virtual_key_id=vk.pk, tokens=None, status=502)
    rows = list(Usage.objects.order_by("id").values_list("cost", "prompt_tokens", "status"))
    assert rows == [(None, 10, 200), (None, None, 502)]


@pytest.mark.django_db
def test_tokens_are_counted_by_provider_and_model_in_metrics():
    def sample(kind):
        labels = {"provider": "groq", "model": "llama-3.3-70b", "kind": kind}
        return REGISTRY.get_sample_value("gateway_tokens_total", labels) or 0

    before = sample("prompt"), sample("completion")
    _record(provider="groq", model="llama-3.3-70b", tokens=TokenCounts(prompt=7, completion=3))
    assert (sample("prompt"), sample("completion")) == (before[0] + 7, before[1] + 3)


def test_model_labels_are_bounded(monkeypatch):
    monkeypatch.setattr(metrics, "MODEL_LABELS", 3)
    monkeypatch.setattr(metrics, "_models_seen", set())
    labels = [metrics.model_label("p", f"model-{n}") for n in range(5)]
    assert labels == ["model-0", "model-1", "model-2", "other", "other"]
    assert metrics.model_label("p", "model-1") == "model-1"  # a known one keeps its name
    assert metrics.model_label("p", "x" * 300) == "other"


def _records(count, **fields):
    base = {"route": "chat", "provider": "openai", "model": "gpt-4o", "status": 200}
    return [UsageRecord(latency_ms=n, **{**base, **fields}) for n in range(count)]


@pytest.mark.django_db(transaction=True)
def test_the_thread_writes_in_batches_off_the_callers_thread(monkeypatch):
    batches = []
    real_write = rec.write

    def spy(records):
        written = real_write(records)
        batches.append(written)
        return written

    monkeypatch.setattr(rec, "write", spy)
    recorder = Recorder(batch=5, interval=0.2)
    started = time.monotonic()
    for record in _records(12):
        assert recorder.put(record)
    assert time.monotonic() - started < 0.1  # queueing does no database work
    deadline = time.monotonic() + 5
    while sum(batches) < 12 and time.monotonic() < deadline:  # (SQLite's shared cache
        time.sleep(0.05)  # would refuse a read while the thread writes)
    recorder.stop(5)
    assert Usage.objects.count() == 12
    assert max(batches) <= 5 and sum(batches) == 12 and len(batches) >= 3


@pytest.mark.django_db(transaction=True)
def test_a_whole_batch_is_written_at_once_and_less_waits_for_the_interval(monkeypatch):
    batches = []
    monkeypatch.setattr(rec, "write", lambda records: batches.append(len(records)) or 0)
    recorder = Recorder(batch=5, interval=600)
    for record in _records(4):
        recorder.put(record)
    time.sleep(0.3)
    assert batches == []  # four records: the thread is not woken per record
    recorder.put(_records(1)[0])
    deadline = time.monotonic() + 5
    while not batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batches == [5]
    recorder.stop(5)


@pytest.mark.django_db(transaction=True)
def test_stop_writes_what_is_queued():
    recorder = Recorder(batch=1000, interval=600)
    for record in _records(3):
        recorder.put(record)
    assert Usage.objects.count() == 0
    recorder.stop(5)
    assert Usage.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_key_deleted_before_the_write_leaves_the_record_unattributed():
    api_key, _ = make_api_key()
    record = _records(1, api_key_id=api_key.pk)[0]
    api_key.delete()
    assert rec.write([record]) == 1
    assert Usage.objects.get().api_key_id is None


@pytest.mark.django_db(transaction=True)
def test_a_database_error_keeps_the_batch_for_the_next_round(monkeypatch):
    calls = []
    real_write = rec.write

    def flaky(records):
        calls.append(len(records))
        if len(calls) == 1:
            raise RuntimeError("database is down")
        return real_write(records)

    monkeypatch.setattr(rec, "write", flaky)
    recorder = Recorder(batch=100, interval=0.1)
    for record in _records(4):
        recorder.put(record)
    recorder.stop(5)
    assert Usage.objects.count() == 4
    assert calls[0] == calls[1] == 4


def test_a_full_queue_drops_and_counts_instead_of_blocking(monkeypatch):
    recorder = Recorder(capacity=2)
    monkeypatch.setattr(recorder, "_ensure_thread", lambda: None)  # nothing drains it
    dropped = REGISTRY.get_sample_value("gateway_usage_dropped_total") or 0
    assert [recorder.put(r) for r in _records(3)] == [True, True, False]
    assert recorder.dropped == 1
    assert REGISTRY.get_sample_value("gateway_usage_dropped_total") == dropped + 1


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("usage") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path, env


@pytest.mark.parametrize("mode", ["main", "multiprocessing"])
def test_sigterm_writes_every_queued_record_before_the_process_ends(migrated_db, mode):
    path, env = migrated_db
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM models_api_usage")
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.usage.sigterm_worker", "250", mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = worker.stdout.readline()
        assert line.startswith("queued "), worker.stderr.read()
        pid = int(line.split()[1])
        with sqlite3.connect(path) as db:  # queued, not yet written: the flush is minutes away
            assert db.execute("SELECT COUNT(*) FROM models_api_usage").fetchone() == (0,)
        os.kill(pid, signal.SIGTERM)
        assert worker.wait(30) == 0, worker.stderr.read()
    finally:
        worker.kill()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*), SUM(latency_ms) FROM models_api_usage").fetchone() == (
            250,
            sum(range(250)),
        )
