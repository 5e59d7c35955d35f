"""The admin console: keys generated and shown once, credentials write-only and encrypted."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from keys import crypto
from keys.models import ApiKey, VirtualKey
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.keys.urls")]

RAW_KEY = re.compile(r"gwk_[A-Za-z0-9_-]{43}")


def _virtual_key_form(**fields):
    data = {
        "name": "OpenAI prod",
        "slug": "openai-prod",
        "provider": "openai",
        "credential": "",
        "base_url": "",
        "options": "{}",
        "is_active": "on",
        "notes": "",
    }
    data.update(fields)
    return data


def _stored_credential(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credential_encrypted FROM keys_virtualkey WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# Virtual keys


def test_credential_written_through_admin_is_encrypted(admin_client):
    secret = "sk-proj-admin-plaintext-5678"
    response = admin_client.post(
        "/admin/keys/virtualkey/add/", _virtual_key_form(credential=secret)
    )
    assert response.status_code == 302
    virtual_key = VirtualKey.objects.get(slug="openai-prod")
    stored = _stored_credential(virtual_key.pk)
    assert stored and secret not in stored
    assert crypto.decrypt(stored) == secret
    assert virtual_key.masked_credential == "••••5678"


def test_credential_is_never_rendered_back(admin_client):
    virtual_key = VirtualKeyFactory(credential="sk-never-rendered-4321")
    change = admin_client.get(f"/admin/keys/virtualkey/{virtual_key.pk}/change/")
    listing = admin_client.get("/admin/keys/virtualkey/")
    for response in (change, listing):
        assert response.status_code == 200
        body = response.content.decode()
        assert "sk-never-rendered" not in body
        assert virtual_key.credential_encrypted not in body
        assert "••••4321" in body
    assert 'type="password"' in change.content.decode()


def test_blank_credential_on_edit_keeps_the_stored_one(admin_client):
    virtual_key = VirtualKeyFactory(credential="sk-keep-me-0001", slug="keep")
    before = _stored_credential(virtual_key.pk)
    response = admin_client.post(
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/",
        _virtual_key_form(name="Renamed", slug="keep", credential=""),
    )
    assert response.status_code == 302
    virtual_key.refresh_from_db()
    assert virtual_key.name == "Renamed"
    assert _stored_credential(virtual_key.pk) == before
    assert virtual_key.credential == "sk-keep-me-0001"


def test_new_credential_on_edit_replaces_it_and_is_logged(admin_client):
    virtual_key = VirtualKeyFactory(credential="sk-old-credential-0001", slug="swap")
    admin_client.post(
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/",
        _virtual_key_form(slug="swap", credential="sk-new-credential-0002"),
    )
    virtual_key.refresh_from_db()
    assert virtual_key.credential == "sk-new-credential-0002"
    entry = LogEntry.objects.get(object_id=str(virtual_key.pk), action_flag=CHANGE)
    assert "sk-new" not in entry.change_message


def test_no_credential_flag_clears_it(admin_client):
    virtual_key = VirtualKeyFactory(credential="sk-to-be-removed-0001", slug="local")
    admin_client.post(
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/",
        _virtual_key_form(slug="local", provider="ollama", no_credential="on"),
    )
    virtual_key.refresh_from_db()
    assert (virtual_key.credential_encrypted, virtual_key.masked_credential) == ("", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"credential": ""}, "Enter the provider credential"),
        ({"credential": "sk-x-12345678", "no_credential": "on"}, "not both"),
        ({"provider": "azure-openai"}, "azure_resource"),
        ({"provider": "bedrock"}, "aws_region"),
        ({"base_url": "ftp://files.example.com"}, "http:// or https://"),
        ({"options": '{"aws_region": {"nested": 1}}'}, "flat JSON object of strings"),
        ({"options": "not json"}, "Enter a valid JSON"),
        ({"provider": "no-such-provider"}, "Select a valid choice"),
    ],
)
def test_virtual_key_form_rejects_bad_settings(admin_client, fields, message):
    data = _virtual_key_form(credential="sk-valid-credential-0001")
    data.update(fields)
    response = admin_client.post("/admin/keys/virtualkey/add/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not VirtualKey.objects.exists()


def test_provider_specific_settings_are_accepted(admin_client):
    data = _virtual_key_form(
        provider="bedrock", credential="aws-secret-0001", options='{"aws_region": "eu-west-1"}'
    )
    assert admin_client.post("/admin/keys/virtualkey/add/", data).status_code == 302
    assert VirtualKey.objects.get().options == {"aws_region": "eu-west-1"}


# API keys


def _api_key_form(**fields):
    data = {
        "name": "IDE",
        "is_active": "on",
        "expires_at_0": "",
        "expires_at_1": "",
        "model_patterns": "gpt-4o*\n\n claude-* \n",
        "rate_limit_per_minute": "",
    }
    data.update(fields)
    return data


def test_adding_a_key_generates_it_and_shows_it_once(admin_client):
    response = admin_client.post("/admin/keys/apikey/add/", _api_key_form())
    api_key = ApiKey.objects.get()
    created_url = f"/admin/keys/apikey/{api_key.pk}/created/"
    assert response.status_code == 302 and response["Location"] == created_url

    # Until the page is shown, the session holds the key only encrypted.
    assert not any(RAW_KEY.search(s.session_data) for s in Session.objects.all())

    first = admin_client.get(created_url)
    body = first.content.decode()
    raws = set(RAW_KEY.findall(body))
    assert len(raws) == 1
    (raw,) = raws
    assert crypto.secret_digest(raw) == api_key.digest and raw.startswith(api_key.prefix)
    assert "will not be shown again" in body and "Copy" in body
    assert "no-store" in first["Cache-Control"]
    assert api_key.model_patterns == ["gpt-4o*", "claude-*"]

    second = admin_client.get(created_url)
    assert second.status_code == 200
    assert raw not in second.content.decode()
    assert "already been shown" in second.content.decode()
    assert raw not in admin_client.get(f"/admin/keys/apikey/{api_key.pk}/change/").content.decode()


def test_the_admin_cannot_type_a_key(admin_client):
    admin_client.post(
        "/admin/keys/apikey/add/",
        _api_key_form(digest="0" * 64, prefix="gwk_chosen"),
    )
    api_key = ApiKey.objects.get()
    assert api_key.digest != "0" * 64 and api_key.prefix != "gwk_chosen"


def test_key_pages_never_show_the_digest(admin_client):
    api_key, _ = make_api_key(name="listed")
    for url in ("/admin/keys/apikey/", f"/admin/keys/apikey/{api_key.pk}/change/"):
        body = admin_client.get(url).content.decode()
        assert api_key.prefix in body
        assert api_key.digest not in body


def test_list_shows_status_and_scope(admin_client):
    make_api_key(name="everything")
    scoped, _ = make_api_key(name="scoped", virtual_keys=[VirtualKeyFactory(), VirtualKeyFactory()])
    make_api_key(name="nothing", all_virtual_keys=False)
    scoped.revoke()
    body = admin_client.get("/admin/keys/apikey/").content.decode()
    for text in ("all virtual keys", "2 virtual keys", "none", "revoked", "active"):
        assert text in body


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?is_active__exact=0", {"revoked"}),
        ("?expiry=expired", {"expired"}),
        ("?expiry=never", {"fresh", "revoked"}),
        ("?q=fre", {"fresh"}),
    ],
)
def test_list_filters_and_search(admin_client, query, names):
    make_api_key(name="fresh")
    make_api_key(name="expired", expires_at=timezone.now() - timedelta(days=1))
    make_api_key(name="revoked")[0].revoke()
    response = admin_client.get(f"/admin/keys/apikey/{query}")
    assert {k.name for k in response.context["cl"].result_list} == names


def test_scope_all_and_specific_are_exclusive(admin_client):
    virtual_key = VirtualKeyFactory()
    data = _api_key_form(all_virtual_keys="on", virtual_keys=[virtual_key.pk])
    response = admin_client.post("/admin/keys/apikey/add/", data)
    assert response.status_code == 200
    assert "Choose either all virtual keys or specific ones" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoke_action_stops_the_key_at_once_and_is_logged(admin_client, client):
    api_key, raw = make_api_key(name="leaked")
    assert client.get("/whoami", headers={"x-portkey-api-key": raw}).status_code == 200
    response = admin_client.post(
        "/admin/keys/apikey/", {"action": "revoke_selected", "_selected_action": [api_key.pk]}
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.status == "revoked" and api_key.revoked_at is not None
    assert LogEntry.objects.filter(object_id=str(api_key.pk), change_message="Revoked.").exists()
    assert client.get("/whoami", headers={"x-portkey-api-key": raw}).status_code == 401


def test_unticking_active_on_edit_revokes(admin_client, client):
    api_key, raw = make_api_key(name="edit me")
    client.get("/whoami", headers={"x-portkey-api-key": raw})
    data = _api_key_form(name="edit me", model_patterns="", rate_limit_per_minute="5")
    del data["is_active"]
    response = admin_client.post(f"/admin/keys/apikey/{api_key.pk}/change/", data)
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert (api_key.is_active, api_key.rate_limit_per_minute) == (False, 5)
    assert api_key.revoked_at is not None
    assert client.get("/whoami", headers={"x-portkey-api-key": raw}).status_code == 401
