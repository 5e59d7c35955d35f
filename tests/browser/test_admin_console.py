"""An admin's whole path in a real browser: virtual key, sync, catalog, a key, its use, revoke."""

import os
import re

import pytest
import requests

from tests.fake_provider import FakeProvider, serve

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise  # on CI the browser tests must run
    pytest.skip("playwright is not installed", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_KEY = "sk-browser-fake-secret-2468"
MODELS = ["gpt-4o", "gpt-4o-mini", "o3"]


@pytest.fixture
def provider(settings):
    fake = FakeProvider(models=MODELS, api_key=PROVIDER_KEY)
    with serve(fake) as url:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [url.removeprefix("http://")]
        yield url


@pytest.fixture
def gateway(live_server, settings):
    # The live server speaks plain HTTP, so the production-default secure cookies would be lost.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server.url


def models_list(gateway: str, key: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: straight to the loopback server
    return session.get(f"{gateway}/v1/models", headers={"x-portkey-api-key": key}, timeout=10)


def test_admin_console_end_to_end(page, screenshot, browser_context, gateway, provider, admin_user):
    messages = page.locator("ul.messagelist")

    # Log in as a staff user.
    page.goto(f"{gateway}/admin/")
    expect(page.locator("#login-form")).to_be_visible()
    screenshot("01-login")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    expect(page.get_by_role("link", name="Gateway dashboard")).to_be_visible()
    screenshot("02-index")

    # Create a virtual key pointing at the fake provider; the slug fills itself from the name.
    page.goto(f"{gateway}/admin/keys/virtualkey/add/")
    page.locator("#id_name").press_sequentially("Fake OpenAI")  # key events drive the slug
    expect(page.locator("#id_slug")).to_have_value("fake-openai")
    page.select_option("#id_provider", "openai")
    page.fill("#id_credential", PROVIDER_KEY)
    page.fill("#id_base_url", f"{provider}/v1")
    screenshot("03-virtual-key-add")
    page.click("input[name=_continue]")
    expect(messages).to_contain_text("was added successfully")
    expect(page.locator(".field-masked_credential")).to_contain_text("••••2468")
    assert PROVIDER_KEY not in page.content()

    # Test its connection, then sync it, from the change page's buttons.
    page.click("#test-connection")
    expect(messages).to_contain_text(
        "Connection test of fake-openai (openai) succeeded: 3 models listed "
        "(gpt-4o, gpt-4o-mini, o3)."
    )
    assert PROVIDER_KEY not in page.content()
    screenshot("04-test-connection")
    page.click("#sync-now")
    expect(messages).to_contain_text(
        "Synced 1 virtual key: 3 added, 0 updated, 0 removed, 0 unchanged; 0 failed."
    )
    screenshot("05-sync-now")
    page.get_by_role("link", name="See the sync run").click()
    expect(page.locator(".field-per_key")).to_contain_text("fake-openai")
    expect(page.locator(".field-status")).to_contain_text("Succeeded")
    screenshot("06-sync-run")

    # The dashboard, reached from the admin index.
    page.goto(f"{gateway}/admin/")
    page.get_by_role("link", name="Gateway dashboard").click()
    expect(page.locator("#last-syncs")).to_contain_text("fake-openai")
    expect(page.locator("#last-syncs tbody tr").first).to_contain_text("ok")
    expect(page.locator("#catalog-by-provider")).to_contain_text("openai")
    expect(page.locator("#catalog-by-provider tbody td").nth(1)).to_have_text("3")
    expect(page.locator("#request-counts-note")).to_contain_text("not over the last hour")
    screenshot("07-dashboard")

    # Find a model in the catalog with search and filters.
    page.goto(f"{gateway}/admin/models_api/catalogentry/")
    page.fill("#searchbar", "mini")
    page.press("#searchbar", "Enter")
    page.locator('details[data-filter-title="provider"] a', has_text=re.compile("^openai$")).click()
    page.locator('details[data-filter-title="still listed"] a', has_text="Yes").click()
    results = page.locator("#result_list tbody")
    expect(results).to_contain_text("@fake-openai/gpt-4o-mini")
    expect(results.locator("tr")).to_have_count(1)
    expect(page.locator("#searchbar")).to_have_value("mini")
    screenshot("08-catalog-search")

    # Create an API key scoped to that virtual key and read it from the one-time page.
    page.goto(f"{gateway}/admin/keys/apikey/add/")
    page.fill("#id_name", "Browser key")
    page.select_option("#id_virtual_keys_from", label="Fake OpenAI (openai)")
    page.click("#id_virtual_keys_add")
    page.click("input[name=_save]")
    expect(page.locator("#one-time-warning")).to_contain_text("it will not be shown again")
    raw_key = page.input_value("#new-api-key")
    assert raw_key.startswith("gwk_")
    page.click("#copy-api-key")
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    expect(page.locator("#how-to-call")).to_contain_text(f"x-portkey-api-key: {raw_key}")
    expect(page.locator("#how-to-call")).to_contain_text(f'base_url="{gateway}/v1"')
    screenshot("09-api-key-created")

    # Call /v1/models with it and see the model.
    listed = models_list(gateway, raw_key)
    assert listed.status_code == 200, listed.text
    assert "@fake-openai/gpt-4o-mini" in [m["id"] for m in listed.json()["data"]]

    # Its change page says what it may see, and never shows the key again.
    page.get_by_role("link", name="Edit this key").click()
    expect(page.locator("#key-access")).to_contain_text("fake-openai")
    expect(page.locator("#catalog-model-count")).to_have_text("3")
    expect(page.locator("#key-last-used")).not_to_contain_text("never")
    expect(page.locator("#how-to-call")).to_contain_text("<YOUR_KEY>")
    assert raw_key not in page.content()
    screenshot("10-api-key-change")

    # Revoke it from the list, and the gateway answers 401.
    page.goto(f"{gateway}/admin/keys/apikey/")
    page.locator("#result_list tr", has_text="Browser key").locator("input.action-select").check()
    page.select_option("select[name=action]", "revoke_selected")
    page.click("button[name=index]")
    expect(messages).to_contain_text("Revoked 1 key(s).")
    expect(page.locator("#result_list")).to_contain_text("revoked")
    screenshot("11-api-key-revoked")
    refused = models_list(gateway, raw_key)
    assert refused.status_code == 401
    assert "unknown, revoked or expired" in refused.json()["error"]["message"]

    assert not browser_context.blocked
