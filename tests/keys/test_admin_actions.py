"""Virtual key admin actions and buttons: test the connection live, sync now."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from models_api.models import CatalogEntry, SyncRun
from tests.factories import VirtualKeyFactory
from tests.fake_provider import FakeProvider, serve

pytestmark = pytest.mark.django_db

PROVIDER_KEY = "sk-fake-console-secret-9876"


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


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


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
