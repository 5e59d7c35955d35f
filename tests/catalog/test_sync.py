"""catalog_sync against fake providers: counts, dry run, guard, failures, overrides, queries."""

from decimal import Decimal

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keys.models import VirtualKey
from models_api.catalog.sync import catalog_sync, virtual_keys_sync_now
from models_api.errors import BadGateway
from models_api.models import CatalogEntry, ModelMetadata, SyncRun
from models_api.providers.base import Model
from tests.catalog.fakes import FakeProvider, models
from tests.factories import VirtualKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    provider = FakeProvider()
    monkeypatch.setattr("models_api.catalog.sync.get_client", lambda slug: provider)
    return provider


def key(fake, slug, listed, provider="openai"):
    vk = VirtualKeyFactory(name=slug, slug=slug, provider=provider, credential=f"sk-{slug}-0001")
    fake.lists[f"sk-{slug}-0001"] = listed
    return vk


def entries(vk):
    return {e.model_id: e for e in CatalogEntry.objects.filter(virtual_key=vk)}


def counts(run, slug):
    result = next(r for r in run.results if r["slug"] == slug)
    return {k: result[k] for k in ("added", "updated", "removed", "unchanged", "error")}


def test_first_sync_adds_every_model_with_its_metadata(fake):
    vk = key(
        fake,
        "openai-prod",
        [
            Model(
                id="gpt-4o",
                created=1715367049,
                owned_by="system",
                name="GPT-4o",
                context_length=128000,
                input_price=2.5e-06,
                capabilities=("function_calling",),
            ),
            Model(id="gpt-4o-mini", created=1721172741),
        ],
    )
    run = catalog_sync()
    assert counts(run, "openai-prod") == {
        "added": 2,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "error": "",
    }
    assert (run.status, run.keys_total, run.keys_failed, run.added) == ("succeeded", 1, 0, 2)
    assert run.finished_at >= run.started_at
    entry = entries(vk)["gpt-4o"]
    assert entry.public_id == "@openai-prod/gpt-4o"
    assert (entry.provider, entry.created, entry.owned_by, entry.name) == (
        "openai",
        1715367049,
        "system",
        "GPT-4o",
    )
    assert entry.context_length == 128000
    assert entry.input_price == Decimal("0.0000025")
    assert entry.capabilities == ["tools"]  # provider vocabulary normalised
    assert entry.synced["input_price"] == "0.0000025"
    assert entries(vk)["gpt-4o-mini"].owned_by == "openai"  # the provider when none is given


def test_second_sync_counts_added_updated_removed_unchanged(fake):
    vk = key(fake, "k", models("a", "b", "c", "d", created=1))
    catalog_sync()
    first_seen = entries(vk)["a"].first_seen_at
    fake.lists["sk-k-0001"] = [
        *models("a", "b", "c", created=1),
        Model(id="d", created=2),
        Model(id="e"),
    ]
    fake.lists["sk-k-0001"] = [m for m in fake.lists["sk-k-0001"] if m.id != "c"]
    run = catalog_sync()
    assert counts(run, "k") == {"added": 1, "updated": 1, "removed": 1, "unchanged": 2, "error": ""}
    rows = entries(vk)
    assert rows["c"].is_listed is False  # kept, only hidden
    assert rows["d"].created == 2
    assert rows["a"].first_seen_at == first_seen
    assert rows["a"].last_seen_at > first_seen
    assert rows["c"].last_seen_at < rows["a"].last_seen_at
    assert (run.added, run.updated, run.removed, run.unchanged) == (1, 1, 1, 2)


def test_a_model_listed_again_comes_back_with_its_overrides(fake):
    vk = key(fake, "k", models("a", "b", "c"))
    catalog_sync()
    CatalogEntry.objects.filter(model_id="c").update(overrides={"context_length": 4096})
    fake.lists["sk-k-0001"] = models("a", "b")
    catalog_sync()
    fake.lists["sk-k-0001"] = models("a", "b", "c", context_length=1000)
    run = catalog_sync()
    assert counts(run, "k")["added"] == 1
    entry = entries(vk)["c"]
    assert entry.is_listed is True
    assert entry.context_length == 4096
    assert entry.overrides == {"context_length": 4096}


def test_admin_overrides_survive_a_sync_that_changes_synced_values(fake):
    vk = key(fake, "k", models("a", context_length=8000, name="A"))
    catalog_sync()
    entry = entries(vk)["a"]
    entry.overrides = {"context_length": 32000, "capabilities": ["tools"]}
    entry.resolve()
    entry.save()
    fake.lists["sk-k-0001"] = models("a", context_length=16000, name="A2")
    run = catalog_sync()
    assert counts(run, "k")["updated"] == 1
    entry = entries(vk)["a"]
    assert entry.overrides == {"context_length": 32000, "capabilities": ["tools"]}
    assert entry.synced == {"name": "A2", "context_length": 16000}
    assert (entry.context_length, entry.name, entry.capabilities) == (32000, "A2", ["tools"])


def test_imported_metadata_fills_only_what_the_provider_lacks(fake):
    ModelMetadata.objects.create(
        model_id="gpt-4o",
        provider="openai",
        source="litellm",
        values={"context_length": 128000, "max_output_tokens": 16384, "input_price": "0.0000025"},
    )
    vk = key(fake, "k", models("gpt-4o", context_length=100000))
    catalog_sync()
    entry = entries(vk)["gpt-4o"]
    assert (entry.context_length, entry.max_output_tokens) == (100000, 16384)
    assert entry.input_price == Decimal("0.0000025")


def test_dry_run_counts_but_writes_nothing(fake):
    vk = key(fake, "k", models("a", "b", "c"))
    catalog_sync()
    before = {m: (e.created, e.is_listed, e.last_seen_at) for m, e in entries(vk).items()}
    fake.lists["sk-k-0001"] = [Model(id="a", created=5), *models("b", "x")]
    run = catalog_sync(dry_run=True)
    assert run.dry_run is True
    assert counts(run, "k") == {"added": 1, "updated": 1, "removed": 1, "unchanged": 1, "error": ""}
    assert {m: (e.created, e.is_listed, e.last_seen_at) for m, e in entries(vk).items()} == before


def test_removing_more_than_half_is_refused_unless_forced(fake):
    vk = key(fake, "k", models("a", "b", "c", "d", "e"))
    catalog_sync()
    fake.lists["sk-k-0001"] = models("a", "b")  # 3 of 5 would go
    run = catalog_sync()
    assert run.status == "failed"
    assert "remove 3 of 5" in counts(run, "k")["error"]
    assert counts(run, "k")["removed"] == 0
    assert all(e.is_listed for e in entries(vk).values())

    run = catalog_sync(force=True)
    assert run.status == "succeeded" and run.forced is True
    assert counts(run, "k")["removed"] == 3
    assert sorted(m for m, e in entries(vk).items() if e.is_listed) == ["a", "b"]


def test_removing_exactly_half_is_allowed(fake):
    key(fake, "k", models("a", "b", "c", "d"))
    catalog_sync()
    fake.lists["sk-k-0001"] = models("a", "b")
    assert counts(catalog_sync(), "k")["removed"] == 2


def test_a_failing_key_keeps_its_entries_while_the_others_sync(fake):
    bad = key(fake, "bad", models("a", "b"))
    good = key(fake, "good", models("x"))
    catalog_sync()
    fake.lists["sk-bad-0001"] = BadGateway("openai returned HTTP 503.", provider="openai")
    fake.lists["sk-good-0001"] = models("x", "y")
    run = catalog_sync()
    assert run.status == "partial"
    assert (run.keys_total, run.keys_failed) == (2, 1)
    assert counts(run, "bad") == {
        "added": 0,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "error": "openai returned HTTP 503.",
    }
    assert run.error == "bad: openai returned HTTP 503."
    assert sorted(entries(bad)) == ["a", "b"] and all(e.is_listed for e in entries(bad).values())
    assert sorted(entries(good)) == ["x", "y"]


def test_an_unexpected_error_is_recorded_without_its_message(fake):
    key(fake, "k", RuntimeError("boom sk-k-0001"))
    run = catalog_sync()
    assert run.status == "failed"
    assert counts(run, "k")["error"] == "Internal error (RuntimeError); see the gateway log."
    assert "sk-k-0001" not in str(run.results) + run.error


def test_selection_by_key_and_provider_and_inactive_keys_skipped(fake):
    a = key(fake, "a", models("m"))
    key(fake, "b", models("m"), provider="groq")
    c = key(fake, "c", models("m"))
    VirtualKey.objects.filter(pk=c.pk).update(is_active=False)
    assert [r["slug"] for r in catalog_sync().results] == ["a", "b"]
    assert [r["slug"] for r in catalog_sync(provider="groq").results] == ["b"]
    assert [r["slug"] for r in catalog_sync(virtual_keys=[a, c]).results] == ["a"]
    assert [r["slug"] for r in virtual_keys_sync_now(VirtualKey.objects.all()).results] == [
        "a",
        "b",
    ]
    assert SyncRun.objects.count() == 4


def test_public_ids_follow_a_slug_rename(fake):
    vk = key(fake, "old", models("a", "b"))
    catalog_sync()
    vk.slug = "new"
    vk.save()  # the admin path: renamed at once
    assert sorted(CatalogEntry.objects.values_list("public_id", flat=True)) == ["@new/a", "@new/b"]
    VirtualKey.objects.filter(pk=vk.pk).update(slug="newer")  # no signal: the sync catches up
    run = catalog_sync()
    assert counts(run, "newer")["updated"] == 2
    assert sorted(CatalogEntry.objects.values_list("public_id", flat=True)) == [
        "@newer/a",
        "@newer/b",
    ]


def test_duplicate_and_empty_ids_in_a_list_are_ignored(fake):
    vk = key(fake, "k", [Model(id="a", created=1), Model(id="a", created=2), Model(id="")])
    run = catalog_sync()
    assert counts(run, "k")["added"] == 1
    assert entries(vk)["a"].created == 1


def run_queries(fake, n_keys, n_models):
    for i in range(n_keys):
        key(fake, f"k{i}", models(*(f"m{j}" for j in range(n_models))))
    catalog_sync()  # first sync: inserts
    with CaptureQueriesContext(connection) as first:
        catalog_sync()
    return len(first)


def test_queries_per_key_do_not_depend_on_the_number_of_models(fake):
    small = run_queries(fake, 1, 5)
    CatalogEntry.objects.all().delete()
    VirtualKey.objects.all().delete()
    large = run_queries(fake, 1, 500)
    assert small == large


def test_queries_grow_by_a_constant_per_key(fake, django_assert_max_num_queries):
    one = run_queries(fake, 1, 20)
    CatalogEntry.objects.all().delete()
    VirtualKey.objects.all().delete()
    for i in range(6):
        key(fake, f"k{i}", models(*(f"m{j}" for j in range(20))))
    catalog_sync()
    per_key = 4  # savepoint, select entries, update last_seen_at, release
    with django_assert_max_num_queries(one + 5 * per_key):
        catalog_sync()


def test_a_first_sync_of_2000_models_uses_bulk_queries(fake, django_assert_max_num_queries):
    key(fake, "big", models(*(f"model-{j}" for j in range(2000)), context_length=8192))
    with django_assert_max_num_queries(80):  # ~45 rows per INSERT on SQLite, not 2,000 queries
        run = catalog_sync()
    assert run.added == 2000
    fake.lists["sk-big-0001"] = models(*(f"model-{j}" for j in range(2000)), context_length=4096)
    with django_assert_max_num_queries(120):  # every row changed: batched UPDATEs
        run = catalog_sync()
    assert run.updated == 2000
    assert set(CatalogEntry.objects.values_list("context_length", flat=True)) == {4096}


@responses.activate
def test_sync_through_the_real_openai_client():
    responses.get(
        "https://api.openai.com/v1/models",
        json={
            "object": "list",
            "data": [
                {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}
            ],
        },
    )
    vk = VirtualKeyFactory(slug="openai-prod", provider="openai", credential="sk-real-0001")
    run = catalog_sync()
    assert run.status == "succeeded", run.error
    assert responses.calls[0].request.headers["Authorization"] == "Bearer sk-real-0001"
    assert entries(vk)["gpt-4o"].public_id == "@openai-prod/gpt-4o"
    assert "sk-real-0001" not in str(run.results)


def test_providers_are_fetched_concurrently(fake, monkeypatch):
    import threading

    barrier = threading.Barrier(4, timeout=5)
    inner = fake.list_models

    def list_models(target, query=None):
        barrier.wait()  # breaks (and fails the keys) unless four fetches are in flight at once
        return inner(target)

    monkeypatch.setattr(fake, "list_models", list_models)
    for i in range(4):
        key(fake, f"slow-{i}", models(f"m-{i}"))
    run = catalog_sync()
    assert run.keys_failed == 0, run.error
    assert run.added == 4


def test_a_run_left_running_by_a_killed_process_is_closed_by_the_next(fake):
    from datetime import timedelta

    from django.utils import timezone

    killed = SyncRun.objects.create(started_at=timezone.now() - timedelta(hours=2))
    recent = SyncRun.objects.create(
        started_at=timezone.now() - timedelta(minutes=5),
        host="elsewhere",
        heartbeat_at=timezone.now() - timedelta(seconds=5),
    )
    key(fake, "one", models("a"))
    catalog_sync()
    killed.refresh_from_db()
    recent.refresh_from_db()
    assert killed.status == SyncRun.Status.INTERRUPTED
    assert killed.finished_at is not None
    assert "Interrupted" in killed.error
    assert recent.status == SyncRun.Status.RUNNING  # its heartbeat says it is still running
