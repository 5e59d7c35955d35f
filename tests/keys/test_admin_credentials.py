"""No admin page ever shows a stored credential, to any user: only its masked tail."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from keys.models import VirtualKey
from models_api.models import SyncRun
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

SECRET = "sk-live-stored-credential-0123456789-abcd"
POSTED = "sk-live-posted-credential-9876543210-wxyz"
# Any run of the secret long enough to matter, besides the last four the mask shows.
FRAGMENTS = (SECRET, SECRET[:-4], SECRET[8:24], POSTED, POSTED[:-4], POSTED[8:24])


def _user(name: str, *codenames: str, superuser: bool = False) -> User:
    user = User.objects.create_user(name, is_staff=True, is_superuser=superuser)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def virtual_key():
    key = VirtualKeyFactory(name="Prod", slug="prod", credential=SECRET, notes="team a")
    CatalogEntryFactory(virtual_key=key, model_id="gpt-4o")
    make_api_key(name="scoped", virtual_keys=[key])
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, keys_total=1)
    return key


@pytest.fixture(
    params=["superuser", "change-staff", "view-only-staff"],
)
def admin(request) -> Client:
    users = {
        "superuser": lambda: _user("root", superuser=True),
        "change-staff": lambda: _user(
            "editor",
            "view_virtualkey",
            "change_virtualkey",
            "add_virtualkey",
            "delete_virtualkey",
            "view_apikey",
            "view_catalogentry",
            "view_syncrun",
        ),
        "view-only-staff": lambda: _user(
            "viewer", "view_virtualkey", "view_apikey", "view_catalogentry", "view_syncrun"
        ),
    }
    client = Client()
    client.force_login(users[request.param]())
    return client


def _assert_clean(response, *, status=200):
    assert response.status_code == status, response.content[:300]
    body = response.content.decode()
    for fragment in FRAGMENTS:
        assert fragment not in body, f"{fragment!r} in {response.request['PATH_INFO']}"
    return body


def _form(**fields):
    data = {
        "name": "Prod",
        "slug": "prod",
        "provider": "openai",
        "credential": "",
        "base_url": "",
        "options": "{}",
        "is_active": "on",
        "notes": "team a",
    }
    data.update(fields)
    return data


def test_change_page_shows_only_the_masked_tail(admin, virtual_key):
    body = _assert_clean(admin.get(f"/admin/keys/virtualkey/{virtual_key.pk}/change/"))
    assert "••••abcd" in body


def test_pages_that_list_or_name_virtual_keys_never_show_the_secret(admin, virtual_key):
    api_key = virtual_key.api_keys.get()
    entry = virtual_key.catalog_entries.get()
    urls = [
        "/admin/",
        "/admin/keys/virtualkey/",
        f"/admin/keys/virtualkey/?q={SECRET[:12]}",
        "/admin/keys/virtualkey/?q=prod",
        f"/admin/keys/virtualkey/{virtual_key.pk}/history/",
        f"/admin/keys/apikey/{api_key.pk}/change/",
        f"/admin/models_api/catalogentry/{entry.pk}/change/",
        "/admin/models_api/catalogentry/",
        "/admin/dashboard/",
    ]
    for url in urls:
        response = admin.get(url)
        if response.status_code != 403:  # the dashboard asks for more than view rights
            _assert_clean(response)


def test_delete_confirmations_never_show_the_secret(admin, virtual_key):
    page = admin.get(f"/admin/keys/virtualkey/{virtual_key.pk}/delete/")
    _assert_clean(page, status=page.status_code if page.status_code == 403 else 200)
    action = admin.post(
        "/admin/keys/virtualkey/",
        {"action": "delete_selected", "_selected_action": [virtual_key.pk]},
    )
    _assert_clean(action, status=action.status_code)


def test_a_form_with_errors_does_not_echo_the_posted_secret(admin, virtual_key):
    add = admin.post(
        "/admin/keys/virtualkey/add/",
        _form(slug="second", credential=POSTED, base_url="ftp://nope.example"),
    )
    change = admin.post(
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/",
        _form(credential=POSTED, options="not json"),
    )
    for response in (add, change):
        _assert_clean(response, status=response.status_code)
    assert VirtualKey.objects.count() == 1


def test_history_of_a_credential_change_names_the_field_not_the_value(virtual_key):
    client = Client()
    client.force_login(_user("root", superuser=True))
    saved = client.post(
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/", _form(credential=POSTED)
    )
    assert saved.status_code == 302
    body = _assert_clean(client.get(f"/admin/keys/virtualkey/{virtual_key.pk}/history/"))
    assert "Changed credential" in body
    viewer = Client()
    viewer.force_login(_user("viewer", "view_virtualkey"))
    body = _assert_clean(viewer.get(f"/admin/keys/virtualkey/{virtual_key.pk}/change/"))
    assert "••••wxyz" in body


def test_view_only_user_sees_no_credential_input_at_all(virtual_key):
    viewer = Client()
    viewer.force_login(_user("viewer", "view_virtualkey"))
    body = _assert_clean(viewer.get(f"/admin/keys/virtualkey/{virtual_key.pk}/change/"))
    assert "field-credential" not in body and "field-no_credential" not in body
    assert "field-masked_credential" in body


def test_a_debug_error_page_hides_posted_and_decrypted_credentials(settings, virtual_key):
    def broken_save(self, commit=True):
        credential = virtual_key.credential  # a local holding the decrypted secret
        raise RuntimeError(f"boom after reading {len(credential)} characters")

    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(_user("root", superuser=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("keys.forms.VirtualKeyForm.save", broken_save)
        response = client.post(
            f"/admin/keys/virtualkey/{virtual_key.pk}/change/", _form(credential=POSTED)
        )
    body = _assert_clean(response, status=500)
    assert "boom after reading" in body and "credential" in body
