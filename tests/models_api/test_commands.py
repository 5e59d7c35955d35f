"""sync_models and import_model_metadata: output, exit status, argument errors."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from keys.models import VirtualKey
from models_api.errors import UpstreamError
from models_api.models import CatalogEntry, ModelMetadata, SyncRun
from tests.catalog.fakes import FakeProvider, models
from tests.factories import VirtualKeyFactory

DATA = Path(__file__).parent.parent / "catalog" / "data"
pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    provider = FakeProvider()
    monkeypatch.setattr("models_api.catalog.sync.get_client", lambda slug: provider)
    for slug, provider_name in (("openai-prod", "openai"), ("groq-prod", "groq")):
        VirtualKeyFactory(slug=slug, provider=provider_name, credential=f"sk-{slug}-0001")
        provider.lists[f"sk-{slug}-0001"] = models("a", "b", "c")
    return provider


def sync(*args):
    out = StringIO()
    call_command("sync_models", *args, stdout=out)
    return out.getvalue()


def test_progress_lines_and_summary(fake):
    output = sync()
    assert "groq-prod: +3 ~0 -0 =0" in output
    assert "openai-prod: +3 ~0 -0 =0" in output
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("virtual key"))
    assert header.split() == [
        "virtual",
        "key",
        "provider",
        "added",
        "updated",
        "removed",
        "unchanged",
        "status",
    ]
    assert any(
        line.split() == ["openai-prod", "openai", "3", "0", "0", "0", "ok"] for line in lines
    )
    assert "Synced 2 virtual keys: +6 ~0 -0 =0" in output
    fake.lists["sk-openai-prod-0001"] = models("a", "b", "c", "d")
    assert "openai-prod: +1 ~0 -0 =3" in sync()


def test_a_failed_key_exits_non_zero_and_others_still_sync(fake):
    fake.lists["sk-groq-prod-0001"] = UpstreamError("groq rejected the key.", status=401)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 virtual keys failed"):
        call_command("sync_models", stdout=out)
    assert "groq-prod: FAILED groq rejected the key." in out.getvalue()
    summary = [line.split() for line in out.getvalue().splitlines()]
    assert ["groq-prod", "groq", "0", "0", "0", "0", "failed"] in summary
    assert CatalogEntry.objects.filter(virtual_key__slug="openai-prod").count() == 3
    assert SyncRun.objects.get().status == "partial"


def test_the_removal_guard_and_force(fake):
    sync()
    fake.lists["sk-openai-prod-0001"] = models("a")
    with pytest.raises(CommandError):
        sync("--virtual-key", "openai-prod")
    assert CatalogEntry.objects.filter(is_listed=True).count() == 6
    assert "openai-prod: +0 ~0 -2 =1" in sync("--virtual-key", "openai-prod", "--force")


def test_dry_run_writes_nothing(fake):
    output = sync("--dry-run")
    assert output.startswith("Dry run")
    assert "openai-prod: +3" in output
    assert not CatalogEntry.objects.exists()
    assert SyncRun.objects.get().dry_run is True


def test_selection_options(fake):
    output = sync(
        "--virtual-key", "groq-prod", "--virtual-key", "openai-prod", "--provider", "groq"
    )
    assert "groq-prod:" in output and "openai-prod:" not in output
    assert fake.calls == ["sk-groq-prod-0001"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--virtual-key", "nope"], "Unknown virtual key: nope"),
        (["--provider", "nope"], "Unknown provider 'nope'"),
    ],
)
def test_unknown_names_are_command_errors(fake, args, message):
    with pytest.raises(CommandError, match=message):
        sync(*args)
    assert not SyncRun.objects.exists()


def test_inactive_key_by_name_is_an_error_and_no_keys_is_fine(fake):
    VirtualKey.objects.update(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        sync("--virtual-key", "openai-prod")
    assert "No active virtual keys" in sync()


def test_import_model_metadata_prints_counts():
    out = StringIO()
    call_command("import_model_metadata", str(DATA / "openrouter_models.json"), stdout=out)
    assert out.getvalue().strip() == (
        "Imported 3 models (openrouter): 3 new, 0 updated, 0 unchanged, 1 skipped; "
        "0 catalog entries refreshed."
    )
    assert ModelMetadata.objects.count() == 3


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (str(DATA / "unknown_shape.json"), "Not a known metadata format"),
        (str(DATA / "truncated.json"), "not valid JSON"),
        (str(DATA / "absent.json"), "Could not read"),
        ("ftp://example.com/prices.json", "Only http"),
    ],
)
def test_import_model_metadata_errors(location, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_model_metadata", location, stdout=StringIO())
    assert not ModelMetadata.objects.exists()
