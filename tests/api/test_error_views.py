"""Django's 404 outside DRF: OpenAI JSON for the API and everything else, HTML under /admin/."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/nothing-here", "/v1"])
def test_an_unknown_url_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "unknown_url"
    assert path in response.json()["error"]["message"]


def test_a_404_under_admin_is_an_html_page(admin_client):
    response = admin_client.get("/admin/keys/no-such-model/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not Found" in response.content
    assert b'"error"' not in response.content


def test_a_404_under_admin_is_html_before_login_too(client):
    response = client.get("/admin/keys/apikey/999999/change/")
    # Not logged in: the admin sends the browser to its login page, not JSON.
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
