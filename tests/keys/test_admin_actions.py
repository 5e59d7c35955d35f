"""The admin console pages: dashboard, virtual key test/sync, API key scope and call snippets."""

import html
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from models_api.models import CatalogEntry, SyncRun
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fake_provider import FakeProvider, serve

pytestmark = pytest.mark.django_db

PROVIDER_KEY = "sk-fake-console-secret-9876"
DASHBOARD = "/admin/models_api/syncrun/dashboard/"


@pytest.fixture
def provider(settings):
    fake = FakeProvider(models=["gpt-4o", "gpt-4o-mini", "o3"], api_key=PROVIDER_KEY)
    with serve(fake) as url:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [url.removeprefix("http://")]
        fake.url = url
        yield fake


@pytest.fixture
def fake_key(provider):
    return VirtualKeyFactory(slug="fake", base_url=provider.url + "/v1", credential=PROVIDER_KEY)


def _result(slug, error="", **counts):
    base = {"slug": slug, "provider": "openai", "added": 0, "updated": 0, "removed": 0}
    return {**base, "unchanged": 0, "error": error, **counts}


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# Dashboard


def test_index_links_to_the_dashboard(admin_client):
    page = _page(admin_client.get("/admin/"))
    assert reverse("admin:gateway_dashboard") == DASHBOARD
    assert f'href="{DASHBOARD}"' in page and "Gateway dashboard" in page


def test_dashboard_counts_keys_catalog_and_expiry(admin_client):
    openai_key = VirtualKeyFactory(slug="oa", credential="sk-dashboard-secret-1111")
    VirtualKeyFactory(slug="oa-off", is_active=False)
    anthropic_key = VirtualKeyFactory(slug="an", provider="anthropic")
    CatalogEntryFactory.create_batch(3, virtual_key=openai_key)
    CatalogEntryFactory(virtual_key=anthropic_key)
    CatalogEntryFactory(virtual_key=anthropic_key, is_listed=False)
    now = timezone.now()
    make_api_key(name="soon", expires_at=now + timedelta(days=2))
    make_api_key(name="later", expires_at=now + timedelta(days=30))
    make_api_key(name="gone", expires_at=now - timedelta(days=1))
    make_api_key(name="revoked soon", expires_at=now + timedelta(days=1))[0].revoke()

    page = _page(admin_client.get(DASHBOARD))
    dashboard = admin_client.get(DASHBOARD).context["dashboard"]

    assert (dashboard.active_api_keys, dashboard.api_keys) == (2, 4)
    assert '<strong id="active-api-keys">2</strong>' in page
    by_provider = {row.provider: (row.active, row.total) for row in dashboard.virtual_keys}
    assert by_provider == {"anthropic": (1, 1), "openai": (1, 2)}
    assert {row.provider: row.total for row in dashboard.catalog} == {"anthropic": 1, "openai": 3}
    assert [key.name for key in dashboard.expiring_keys] == ["soon"]
    expiring = page[page.index('id="expiring-keys"') :]
    assert "soon" in expiring and "later" not in expiring and "gone" not in expiring
    assert "sk-dashboard-secret" not in page and openai_key.credential_encrypted not in page


def test_dashboard_shows_each_keys_last_sync_with_status_and_error(admin_client):
    for slug in ("good", "bad", "new"):
        VirtualKeyFactory(slug=slug)
    old = SyncRun.objects.create(
        status="succeeded",
        finished_at=timezone.now(),
        results=[_result("good", added=9), _result("bad", added=1)],
    )
    old.started_at = timezone.now() - timedelta(hours=2)
    old.save()
    latest = SyncRun.objects.create(
        status="partial",
        finished_at=timezone.now(),
        results=[_result("good", unchanged=9), _result("bad", error="openai said <401>")],
    )
    SyncRun.objects.create(dry_run=True, finished_at=timezone.now(), results=[_result("new")])

    response = admin_client.get(DASHBOARD)
    page = _page(response)
    syncs = {item.virtual_key.slug: item for item in response.context["dashboard"].last_syncs}
    assert (syncs["good"].run, syncs["good"].status) == (latest, "ok")
    assert syncs["good"].result["unchanged"] == 9
    assert (syncs["bad"].status, syncs["bad"].result["error"]) == ("failed", "openai said <401>")
    assert (syncs["new"].run, syncs["new"].status) == (None, "never synced")  # dry runs skipped
    table = page[page.index('id="last-syncs"') : page.index('id="expiring-keys"')]
    assert "openai said &lt;401&gt;" in table and "never synced" in table
    assert reverse("admin:models_api_syncrun_change", args=[latest.pk]) in table


def test_dashboard_request_counts_say_what_they_count(admin_client, client):
    client.get("/healthz")
    page = _page(admin_client.get(DASHBOARD))
    counts = page[page.index('id="request-counts"') :]
    assert "<td>healthz</td><td>200</td>" in counts
    assert "not over the last hour" in counts and "increase(gateway_requests_total[1h])" in counts


def test_dashboard_needs_view_permissions(client):
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(DASHBOARD).status_code == 403
    perms = ["view_apikey", "view_virtualkey", "view_syncrun"]
    staff.user_permissions.set(Permission.objects.filter(codename__in=perms))
    assert client.get(DASHBOARD).status_code == 200
    client.logout()
    assert client.get(DASHBOARD).status_code == 302  # to the login page


# Virtual keys: test connection and sync now


def test_test_connection_action_reports_the_model_count(admin_client, fake_key):
    response = admin_client.post(
        "/admin/keys/virtualkey/",
        {"action": "test_connection", "_selected_action": [fake_key.pk]},
        follow=True,
    )
    page = _page(response)
    assert "Connection test of fake (openai) succeeded: 3 models listed" in page
    assert "gpt-4o, gpt-4o-mini, o3" in page
    assert PROVIDER_KEY not in page


def test_test_connection_reports_the_provider_error_without_the_credential(admin_client, provider):
    wrong = "sk-wrong-console-credential-5555"
    virtual_key = VirtualKeyFactory(slug="wrong", base_url=provider.url + "/v1", credential=wrong)
    response = admin_client.post(
        reverse("admin:keys_virtualkey_test_connection", args=[virtual_key.pk]), follow=True
    )
    page = _page(response)
    assert response.redirect_chain[-1][0] == f"/admin/keys/virtualkey/{virtual_key.pk}/change/"
    assert "Connection test of wrong (openai) failed" in page
    assert "Incorrect API key provided" in page
    assert wrong not in page and wrong[-12:] not in page


def test_change_page_has_the_buttons_and_they_need_post(admin_client, fake_key):
    page = _page(admin_client.get(f"/admin/keys/virtualkey/{fake_key.pk}/change/"))
    assert 'id="test-connection"' in page and 'id="sync-now"' in page
    test_url = reverse("admin:keys_virtualkey_test_connection", args=[fake_key.pk])
    sync_url = reverse("admin:keys_virtualkey_sync", args=[fake_key.pk])
    assert test_url in page and sync_url in page
    assert admin_client.get(test_url).status_code == 405
    assert admin_client.get(sync_url).status_code == 405
    assert PROVIDER_KEY not in page


def test_buttons_need_change_permission(client, fake_key):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_virtualkey"))
    client.force_login(viewer)
    page = _page(client.get(f"/admin/keys/virtualkey/{fake_key.pk}/change/"))
    assert 'id="test-connection"' not in page
    url = reverse("admin:keys_virtualkey_sync", args=[fake_key.pk])
    assert client.post(url).status_code == 404
    assert not SyncRun.objects.exists()


def test_sync_now_action_syncs_and_links_the_run(admin_client, fake_key):
    response = admin_client.post(
        "/admin/keys/virtualkey/",
        {"action": "sync_now", "_selected_action": [fake_key.pk]},
        follow=True,
    )
    page = _page(response)
    run = SyncRun.objects.get()
    assert run.status == "succeeded" and run.added == 3
    assert "Synced 1 virtual key: 3 added, 0 updated, 0 removed, 0 unchanged; 0 failed." in page
    assert reverse("admin:models_api_syncrun_change", args=[run.pk]) in page
    assert set(CatalogEntry.objects.values_list("public_id", flat=True)) == {
        "@fake/gpt-4o",
        "@fake/gpt-4o-mini",
        "@fake/o3",
    }


def test_sync_now_button_reports_a_failed_key(admin_client, provider):
    virtual_key = VirtualKeyFactory(slug="broken", base_url=provider.url + "/v1")
    response = admin_client.post(
        reverse("admin:keys_virtualkey_sync", args=[virtual_key.pk]), follow=True
    )
    page = _page(response)
    assert "Synced 1 virtual key: 0 added, 0 updated, 0 removed, 0 unchanged; 1 failed." in page
    assert "broken: " in page and "Incorrect API key provided" in page
    assert SyncRun.objects.get().status == "failed"


def test_sync_now_skips_inactive_keys(admin_client, fake_key):
    fake_key.is_active = False
    fake_key.save()
    response = admin_client.post(
        "/admin/keys/virtualkey/",
        {"action": "sync_now", "_selected_action": [fake_key.pk]},
        follow=True,
    )
    assert "No active virtual key was selected: nothing was synced." in _page(response)


# API keys: what the key may see, recent use, how to call it


def test_api_key_page_shows_its_scope_use_and_snippets(admin_client):
    visible = VirtualKeyFactory(slug="visible")
    hidden = VirtualKeyFactory(slug="hidden")
    retired = VirtualKeyFactory(slug="retired", is_active=False)
    CatalogEntryFactory.create_batch(2, virtual_key=visible)
    CatalogEntryFactory(virtual_key=visible, model_id="gone", is_listed=False)
    CatalogEntryFactory(virtual_key=hidden)
    api_key, raw = make_api_key(name="scoped", virtual_keys=[visible, retired])
    api_key.last_used_at = timezone.now() - timedelta(minutes=5)
    api_key.save()

    page = _page(admin_client.get(f"/admin/keys/apikey/{api_key.pk}/change/"))
    access = page[page.index('id="key-access"') : page.index('id="how-to-call"')]
    assert ">visible</a> (openai)" in access and "hidden" not in access
    assert "Chosen but inactive, so giving nothing:" in access and "retired" in access
    assert '<strong id="catalog-model-count">2</strong>' in access
    assert "5\xa0minutes ago" in access
    assert "x-portkey-api-key: &lt;YOUR_KEY&gt;" in page  # escaped, not a tag
    snippets = html.unescape(page[page.index('id="how-to-call"') :])
    assert "curl http://testserver/v1/models" in snippets
    assert 'OpenAI(base_url="http://testserver/v1", api_key="<YOUR_KEY>")' in snippets
    assert "from portkey_ai import Portkey" in snippets and api_key.prefix in snippets
    assert raw not in page and api_key.digest not in page


def test_api_key_page_is_honest_about_empty_all_and_revoked(admin_client):
    nothing, _ = make_api_key(name="nothing", all_virtual_keys=False)
    page = _page(admin_client.get(f"/admin/keys/apikey/{nothing.pk}/change/"))
    assert "the key sees no model (deny by default)" in page and "never." in page

    VirtualKeyFactory(slug="one")
    everything, _ = make_api_key(name="everything", model_patterns=["gpt-*"])
    everything.revoke()
    page = _page(admin_client.get(f"/admin/keys/apikey/{everything.pk}/change/"))
    assert "All active virtual keys, including ones added later" in page
    assert ">one</a>" in page and "gpt-*" in page
    assert "This key is revoked: the gateway refuses it (401)" in page


def test_created_page_snippets_carry_the_key_once(admin_client):
    response = admin_client.post(
        "/admin/keys/apikey/add/",
        {"name": "IDE", "is_active": "on", "expires_at_0": "", "expires_at_1": ""},
    )
    created_url = response["Location"]
    page = html.unescape(_page(admin_client.get(created_url)))
    raw = page.split('id="new-api-key" type="text" value="')[1].split('"')[0]
    assert "Copy this key now: it will not be shown again." in page
    assert f"x-portkey-api-key: {raw}" in page
    assert f'OpenAI(base_url="http://testserver/v1", api_key="{raw}")' in page
    assert f'Portkey(base_url="http://testserver/v1", api_key="{raw}")' in page
    again = _page(admin_client.get(created_url))
    assert raw not in again and "&lt;YOUR_KEY&gt;" in again
