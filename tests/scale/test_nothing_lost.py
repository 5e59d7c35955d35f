"""Nothing lost: a killed sync leaves its key as it was; concurrent syncs add no duplicates."""

import sys

import pytest
from django.db import IntegrityError, transaction

from models_api.models import CatalogEntry
from tests.factories import CatalogEntryFactory
from tests.fake_provider import FakeProvider, serve
from tests.scale.cluster import wait_for
from tests.scale.freeze import freeze_for, gate_for, kill

# New models in the key whose write is interrupted: on PostgreSQL the held one comes after two
# full insert batches (models_api/catalog/bulk.py BATCH = 2000) are written in the transaction.
BIG = 5_000
ENTRY_COLUMNS = "model_id, public_id, is_listed, fingerprint, first_seen_at, last_seen_at, synced"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.scale)])
def backend(request):
    return request.param


@pytest.fixture
def shared(backend, request):
    return request.getfixturevalue(f"{backend}_stack")


@pytest.fixture
def providers(shared):
    """Two fake providers on 127.0.0.1, one per virtual key, trusted as custom hosts."""
    first, second = FakeProvider(models=["a-0", "a-1", "a-2"]), FakeProvider(models=["b-0"])
    with serve(first) as first_url, serve(second) as second_url:
        hosts = ",".join(url.removeprefix("http://") for url in (first_url, second_url))
        shared.env["GATEWAY_TRUSTED_CUSTOM_HOSTS"] = hosts
        yield (first, first_url), (second, second_url)


def virtual_key(shared, slug: str, url: str) -> int:
    shared.check(
        "create_virtual_key",
        *("--name", slug, "--slug", slug, "--provider", "openai", "--base-url", f"{url}/v1"),
        *("--credential-env", "FAKE_CREDENTIAL"),
        FAKE_CREDENTIAL=f"sk-fake-{slug}",
    )
    return shared.store.rows("SELECT id FROM keys_virtualkey WHERE slug = %s", [slug])[0][0]


def entries(shared, virtual_key_id: int) -> list[tuple]:
    return shared.store.rows(
        f"SELECT {ENTRY_COLUMNS} FROM models_api_catalogentry "  # noqa: S608 (constant columns)
        "WHERE virtual_key_id = %s ORDER BY model_id",
        [virtual_key_id],
    )


def sync_command(*slugs: str) -> list[str]:
    options = [arg for slug in slugs for arg in ("--virtual-key", slug)]
    return [sys.executable, "manage.py", "sync_models", *options]


def test_a_sync_killed_inside_a_key_transaction_leaves_that_key_as_it_was(shared, providers):
    (first, first_url), (second, second_url) = providers
    alpha, bravo = virtual_key(shared, "alpha", first_url), virtual_key(shared, "bravo", second_url)
    shared.check("sync_models")
    before = entries(shared, bravo)
    assert [row[0] for row in before] == ["b-0"]

    first.ids += ["a-3", "a-4"]
    # Key bravo is written second (slug order); its last new model is the one held on PostgreSQL.
    second.ids += [f"b-new-{n:06d}" for n in range(BIG)]
    freeze = freeze_for(shared.store)
    try:
        freeze.hold_row(bravo, second.ids[-1])
        sync = shared.start(sync_command(), name="sync")
        # Polled often: on SQLite the hold must start before bravo's transaction commits.
        wait = {"seconds": 60, "what": "alpha committed", "interval": 0.005}
        wait_for(lambda: freeze.first_committed((alpha, 5), (bravo, 1)), **wait)
        wait_for(lambda: freeze.writer_waiting(sync), seconds=30, what="bravo's write held")
        kill(sync)
    finally:
        freeze.release()

    assert [row[0] for row in entries(shared, alpha)] == ["a-0", "a-1", "a-2", "a-3", "a-4"]
    assert entries(shared, bravo) == before  # not one partial row, not one changed timestamp
    runs = shared.store.rows("SELECT status, finished_at FROM models_api_syncrun ORDER BY id")
    # The killed run is still "running" with no end time in the table: the next sync, or the
    # admin's sync-run pages, mark it interrupted (models_api/catalog/runs.py).
    assert runs == [("succeeded", runs[0][1]), ("running", None)]

    shared.check("sync_models")  # and the next sync completes the key
    assert len(entries(shared, bravo)) == 1 + BIG


CONFLICT = "Another sync changed this key's entries at the same time; run it again."


def test_concurrent_syncs_of_one_key_leave_one_row_per_model(shared, providers, backend):
    (provider, url), _ = providers
    provider.ids = [f"c-{n:05d}" for n in range(3_000)]
    charlie = virtual_key(shared, "charlie", url)
    gate = gate_for(shared.store)
    try:
        syncs = [shared.start(sync_command("charlie"), name="sync") for _ in range(2)]
        wait_for(lambda: gate.all_waiting(2), seconds=60, what="both syncs ready to insert")
    finally:
        gate.release()
    codes = [sync.wait_exit(seconds=60) for sync in syncs]

    rows = shared.store.rows(
        "SELECT model_id, count(*) FROM models_api_catalogentry WHERE virtual_key_id = %s "
        "GROUP BY model_id",
        [charlie],
    )
    assert len(rows) == 3_000
    assert {count for _, count in rows} == {1}
    outputs = [sync.output() for sync in syncs]
    assert 0 in codes, outputs
    for code, output in zip(codes, outputs, strict=True):
        assert code == 0 or "charlie: FAILED" in output, output
    losers = [output for code, output in zip(codes, outputs, strict=True) if code]
    for output in losers:
        assert "Traceback" not in output
        assert CONFLICT in output, output


@pytest.mark.django_db
def test_the_database_refuses_a_second_entry_for_the_same_key_and_model():
    entry = CatalogEntryFactory(model_id="gpt-4o")
    duplicate = CatalogEntry(
        virtual_key=entry.virtual_key,
        provider=entry.provider,
        model_id="gpt-4o",
        public_id=f"{entry.public_id}-again",
        created=entry.created,
        owned_by=entry.owned_by,
    )
    duplicate.resolve()
    # save() runs no model validation: the refusal comes from the database's unique constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
