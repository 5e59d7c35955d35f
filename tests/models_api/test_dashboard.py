"""The gateway dashboard: counts of keys and catalog, last syncs, expiring keys, requests."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from models_api.models import SyncRun
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


def _result(slug, error="", **counts):
    base = {"slug": slug, "provider": "openai", "added": 0, "updated": 0, "removed": 0}
    return {**base, "unchanged": 0, "error": error, **counts}


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


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
