"""A staff user who may only view virtual keys, in a real browser: never a stored secret."""

import os

import pytest
from django.contrib.auth.models import Permission, User

from tests.factories import VirtualKeyFactory, make_api_key

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise  # on CI the browser tests must run
    pytest.skip("playwright is not installed", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "sk-view-only-browser-secret-13579-wxyz"
PASSWORD = "viewer password 2468"


@pytest.fixture
def gateway(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return live_server.url


@pytest.fixture
def viewer():
    user = User.objects.create_user("viewer", password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_virtualkey", "view_apikey"])
    )
    return user


def assert_no_secret(page):
    source = page.content()
    for fragment in (SECRET, SECRET[:-4], SECRET[5:21]):
        assert fragment not in source, f"{fragment!r} on {page.url}"


def test_view_only_staff_never_sees_a_stored_credential(page, screenshot, gateway, viewer):
    virtual_key = VirtualKeyFactory(name="Prod OpenAI", slug="prod-openai", credential=SECRET)
    api_key, _ = make_api_key(name="scoped", virtual_keys=[virtual_key])

    page.goto(f"{gateway}/admin/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    assert_no_secret(page)

    page.goto(f"{gateway}/admin/keys/virtualkey/")
    expect(page.locator("#result_list")).to_contain_text("••••wxyz")
    assert_no_secret(page)

    page.goto(f"{gateway}/admin/keys/virtualkey/?q=sk-view")
    assert_no_secret(page)

    page.goto(f"{gateway}/admin/keys/virtualkey/{virtual_key.pk}/change/")
    expect(page.locator(".field-masked_credential")).to_contain_text("••••wxyz")
    screenshot("view-only-virtual-key")
    assert_no_secret(page)
    expect(page.locator(".field-credential")).to_have_count(0)
    expect(page.locator("#test-connection")).to_have_count(0)

    page.goto(f"{gateway}/admin/keys/virtualkey/{virtual_key.pk}/history/")
    assert_no_secret(page)

    page.goto(f"{gateway}/admin/keys/apikey/{api_key.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Prod OpenAI")
    assert_no_secret(page)
