"""create_api_key, create_virtual_key and revoke_api_key: what they store and print."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from keys.crypto import secret_digest
from keys.models import KEY_PREFIX, ApiKey, VirtualKey
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


# create_api_key


def test_create_api_key_prints_the_key_alone_last():
    lines, err = run("create_api_key", "--name", "ci", "--all")
    raw = lines[-1]
    assert raw.startswith(KEY_PREFIX)
    api_key = ApiKey.objects.get(digest=secret_digest(raw))
    assert (api_key.name, api_key.all_virtual_keys, api_key.prefix) == ("ci", True, raw[:12])
    assert err == ""


def test_create_api_key_with_scope_patterns_expiry_and_limit():
    first, second = VirtualKeyFactory(slug="oa"), VirtualKeyFactory(slug="an")
    lines, _ = run(
        "create_api_key",
        "--name",
        "scoped",
        "--virtual-key",
        "oa",
        "--virtual-key",
        "an",
        "--models",
        "gpt-4o*",
        "claude-*",
        "--expires-in",
        "30",
        "--rate-limit",
        "60",
    )
    api_key = ApiKey.objects.get(digest=secret_digest(lines[-1]))
    assert set(api_key.virtual_keys.all()) == {first, second}
    assert not api_key.all_virtual_keys
    assert api_key.model_patterns == ["gpt-4o*", "claude-*"]
    assert api_key.rate_limit_per_minute == 60
    assert api_key.expires_at is not None


def test_create_api_key_without_scope_warns_on_stderr():
    lines, err = run("create_api_key", "--name", "empty")
    api_key = ApiKey.objects.get(digest=secret_digest(lines[-1]))
    assert not api_key.all_virtual_keys and not api_key.virtual_keys.exists()
    assert "empty scope" in err


def test_create_api_key_unknown_slug_is_an_error():
    VirtualKeyFactory(slug="known")
    with pytest.raises(CommandError, match="Unknown virtual key slug.*missing"):
        run("create_api_key", "--name", "x", "--virtual-key", "known", "missing")
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--all", "--virtual-key", "a"],
        ["--expires-in", "0"],
        ["--rate-limit", "-1"],
        ["--models", ""],
    ],
)
def test_create_api_key_rejects_bad_arguments(args):
    VirtualKeyFactory(slug="a")
    with pytest.raises(CommandError):
        run("create_api_key", "--name", "x", *args)
    assert not ApiKey.objects.exists()


# create_virtual_key


def test_create_virtual_key_reads_the_credential_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_KEY_FOR_TEST", "sk-from-env-abcd")
    lines, _ = run(
        "create_virtual_key", "--name", "OpenAI prod", "--provider", "openai",
        "--credential-env", "OPENAI_KEY_FOR_TEST",
    )  # fmt: skip
    assert lines[-1] == "openai-prod"
    virtual_key = VirtualKey.objects.get(slug="openai-prod")
    assert virtual_key.credential == "sk-from-env-abcd"
    assert "sk-from-env" not in "\n".join(lines)
    assert "••••abcd" in lines[0]


def test_create_virtual_key_reads_the_credential_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-ant-from-stdin\n"))
    lines, _ = run(
        "create_virtual_key", "--name", "Claude", "--provider", "anthropic", "--slug", "claude",
        "--base-url", "https://anthropic.internal.example/v1",
    )  # fmt: skip
    assert lines[-1] == "claude"
    virtual_key = VirtualKey.objects.get(slug="claude")
    assert virtual_key.credential == "sk-ant-from-stdin"
    assert virtual_key.base_url == "https://anthropic.internal.example/v1"


def test_create_virtual_key_with_options():
    lines, _ = run(
        "create_virtual_key", "--name", "Bedrock", "--provider", "bedrock", "--no-credential",
        "--option", "aws_region=us-east-1", "aws_access_key_id=AKIAEXAMPLE",
    )  # fmt: skip
    virtual_key = VirtualKey.objects.get(slug=lines[-1])
    assert virtual_key.options == {"aws_region": "us-east-1", "aws_access_key_id": "AKIAEXAMPLE"}


def test_create_virtual_key_without_credential_needs_the_flag(monkeypatch):
    lines, _ = run(
        "create_virtual_key", "--name", "Local", "--provider", "ollama", "--no-credential"
    )
    assert VirtualKey.objects.get(slug=lines[-1]).credential_encrypted == ""

    monkeypatch.setenv("EMPTY_VAR_FOR_TEST", "")
    with pytest.raises(CommandError, match="EMPTY_VAR_FOR_TEST is empty"):
        run("create_virtual_key", "--name", "x", "--provider", "openai",
            "--credential-env", "EMPTY_VAR_FOR_TEST")  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    with pytest.raises(CommandError, match="No credential on standard input"):
        run("create_virtual_key", "--name", "y", "--provider", "openai")
    assert VirtualKey.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "no-such"], "Unknown provider 'no-such'. Valid providers: .*openai"),
        (["--provider", "bedrock"], "aws_region"),
        (["--provider", "azure-openai"], "azure_resource"),
        (["--provider", "openai", "--base-url", "ftp://x.example"], "base_url"),
        (["--provider", "openai", "--option", "novalue"], "not KEY=VALUE"),
        (["--provider", "openai", "--slug", "taken"], "slug"),
        (["--provider", "openai", "--slug", "not a slug"], "slug"),
    ],
)
def test_create_virtual_key_rejects_bad_settings(monkeypatch, args, message):
    VirtualKeyFactory(slug="taken")
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-secret-value\n"))
    with pytest.raises(CommandError, match=message) as exc:
        run("create_virtual_key", "--name", "bad", *args)
    assert "sk-secret-value" not in str(exc.value)
    assert VirtualKey.objects.count() == 1


# revoke_api_key


def test_revoke_by_prefix_and_by_name():
    by_prefix, _ = make_api_key(name="one")
    by_name, _ = make_api_key(name="two")
    lines, _ = run("revoke_api_key", by_prefix.prefix)
    assert lines[-1] == f"revoked {by_prefix.prefix}"
    lines, _ = run("revoke_api_key", "two")
    assert lines[-1] == f"revoked {by_name.prefix}"
    assert ApiKey.objects.filter(is_active=True).count() == 0


def test_revoke_ambiguous_name_lists_prefixes():
    first, _ = make_api_key(name="shared")
    second, _ = make_api_key(name="shared")
    with pytest.raises(CommandError) as exc:
        run("revoke_api_key", "shared")
    assert first.prefix in str(exc.value) and second.prefix in str(exc.value)
    assert ApiKey.objects.filter(is_active=True).count() == 2


def test_revoke_unknown_or_already_revoked_is_an_error():
    api_key, _ = make_api_key(name="gone")
    api_key.revoke()
    with pytest.raises(CommandError, match="No API key"):
        run("revoke_api_key", "nothing-like-this")
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke_api_key", "gone")


def test_revoke_by_the_full_leaked_key():
    api_key, raw = make_api_key(name="leaked")
    lines, _ = run("revoke_api_key", raw)
    assert lines[-1] == f"revoked {api_key.prefix}"
    api_key.refresh_from_db()
    assert not api_key.is_active


def test_command_changes_are_in_the_admin_log(monkeypatch):
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

    from keys.audit import COMMAND_USER
    from keys.models import ApiKey, VirtualKey

    monkeypatch.setenv("AUDIT_CRED", "sk-audit-credential-1234")
    call_command(
        "create_virtual_key",
        "--name",
        "Audit VK",
        "--provider",
        "openai",
        "--credential-env",
        "AUDIT_CRED",
        stdout=io.StringIO(),
    )
    call_command("create_api_key", "--name", "audited", "--all", stdout=io.StringIO())
    api_key = ApiKey.objects.get(name="audited")
    call_command("revoke_api_key", api_key.prefix, stdout=io.StringIO())
    entries = {
        (e.object_repr, e.action_flag, e.change_message, e.user.username)
        for e in LogEntry.objects.select_related("user")
    }
    vk = VirtualKey.objects.get(name="Audit VK")
    assert (str(vk), ADDITION, "Created with create_virtual_key.", COMMAND_USER) in entries
    assert (str(api_key), ADDITION, "Created with create_api_key.", COMMAND_USER) in entries
    assert (str(api_key), CHANGE, "Revoked with revoke_api_key.", COMMAND_USER) in entries
    assert "sk-audit-credential-1234" not in repr(entries)
    from django.contrib.auth import get_user_model

    author = get_user_model().objects.get(username=COMMAND_USER)
    assert not author.is_active and not author.has_usable_password()
