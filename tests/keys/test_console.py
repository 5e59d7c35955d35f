"""An API key's admin pages: what the key may see, its recent use, how to call the gateway."""

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


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
