"""The admin console: staff only, lockout after failed logins, CSRF, secure cookies, audit log."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from keys.models import ApiKey, VirtualKey
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple 42"
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # The production hasher takes ~0.3 s a login on purpose; these tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff():
    return User.objects.create_user("ops", password=PASSWORD, is_staff=True, is_superuser=True)


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_the_dashboard_hangs_off_the_admin_site(admin_client, client):
    assert reverse("admin:gateway_dashboard") == "/admin/dashboard/"
    assert admin_client.get("/admin/dashboard/").status_code == 200
    moved = admin_client.get("/admin/models_api/syncrun/dashboard/")
    assert (moved.status_code, moved["Location"]) == (301, "/admin/dashboard/")
    assert "no-store" in moved["Cache-Control"]  # browsers keep no permanent copy of it
    for url in ("/admin/dashboard/", "/admin/models_api/syncrun/dashboard/"):
        anonymous = client.get(url)
        assert (anonymous.status_code, anonymous["Location"]) == (302, f"/admin/login/?next={url}")


def test_a_user_who_is_not_staff_cannot_log_in(client):
    User.objects.create_user("visitor", password=PASSWORD)
    response = login(client, "visitor", PASSWORD)
    assert response.status_code == 200  # the form again, with an error
    assert "staff account" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/keys/apikey/").status_code == 302


def test_staff_can_log_in(client, staff):
    assert login(client, "ops", PASSWORD)["Location"] == "/admin/"
    assert client.get("/admin/keys/apikey/").status_code == 200


def test_login_locks_after_repeated_failures_even_with_the_right_password(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "ops", "wrong").status_code == 200
    assert login(client, "ops", "wrong").status_code == 429
    assert login(client, "ops", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_shared_through_the_database(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ops", "wrong")
    assert AccessAttempt.objects.get(username="ops").failures_since_start == 5
    # Another process: no shared memory, a fresh client; the attempts live in the database.
    cache.clear()
    assert login(Client(), "ops", PASSWORD).status_code == 429
    # The pair is locked, not the account: the same admin from another address still logs in.
    assert login(Client(), "ops", PASSWORD, REMOTE_ADDR="10.0.0.7")["Location"] == "/admin/"


def test_lockout_settings_are_bounded():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.25  # hours: a lockout ends by itself
    assert settings.AXES_RESET_ON_SUCCESS
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_a_locked_out_address_still_gets_the_api(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ops", "wrong")
    response = client.get("/v1/models", headers={"x-portkey-api-key": make_api_key()[1]})
    assert response.status_code == 200
    response = client.get("/v1/models", headers={"x-portkey-api-key": "gwk_wrong"})
    assert response.status_code == 401 and response.json()["error"]["type"]


def test_admin_login_needs_a_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    assert login(client, "ops", PASSWORD).status_code == 403
    page = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": token}
    assert client.post(LOGIN, data)["Location"] == "/admin/"


def test_admin_changes_need_a_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    api_key, _ = make_api_key(name="target")
    data = {"action": "revoke_selected", "_selected_action": [api_key.pk]}
    assert client.post("/admin/keys/apikey/", data).status_code == 403
    api_key.refresh_from_db()
    assert api_key.is_active


def test_cookies_are_secure_and_http_only(staff):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN, secure=True)
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"]
    data = {"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": csrf.value}
    # Over HTTPS, Django's CSRF check also wants a same-origin Referer.
    response = client.post(LOGIN, data, secure=True, HTTP_REFERER="https://testserver/admin/")
    assert response["Location"] == "/admin/"
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"


@pytest.mark.parametrize("path", [LOGIN, "/v1/models", "/healthz"])
def test_security_headers(client, path):
    response = client.get(path, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def check_deploy(**extra) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` in a fresh process with production settings."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DJANGO_", "DEBUG"))
    }
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="gateway.example.com",
        GATEWAY_ENCRYPTION_KEYS=settings.GATEWAY_ENCRYPTION_KEYS[0],
        DJANGO_SETTINGS_MODULE="gateway_project.settings",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_no_warnings():
    result = check_deploy(SECURE_HSTS_PRELOAD="true", GATEWAY_METRICS_TOKEN="metrics-token-0123")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_by_default_asks_for_hsts_preload_and_a_metrics_token():
    # Preload is opt-in: once a domain is on browsers' preload list it is hard to take off.
    result = check_deploy()
    findings = re.findall(r"\(([a-z_.]+\.[EW]\d+)\)", result.stderr)
    assert sorted(findings) == ["models_api.W001", "security.W021"], result.stderr
    assert "GATEWAY_METRICS_TOKEN is not set" in result.stderr


def _api_key_form(**fields):
    return {
        "name": "IDE",
        "is_active": "on",
        "expires_at_0": "",
        "expires_at_1": "",
        "model_patterns": "",
        "rate_limit_per_minute": "",
        **fields,
    }


def test_every_key_change_is_in_the_admin_log_and_visible(admin_client, admin_user):
    admin_client.post("/admin/keys/apikey/add/", _api_key_form())
    api_key = ApiKey.objects.get(name="IDE")
    change_url = f"/admin/keys/apikey/{api_key.pk}/change/"
    assert admin_client.post(change_url, _api_key_form(name="IDE 2")).status_code == 302
    revoke = {"action": "revoke_selected", "_selected_action": [api_key.pk]}
    assert admin_client.post("/admin/keys/apikey/", revoke).status_code == 302
    virtual = {"name": "OpenAI prod", "slug": "openai-prod", "provider": "openai"}
    virtual.update(credential="sk-audit-0000", base_url="", options="{}", is_active="on")
    assert admin_client.post("/admin/keys/virtualkey/add/", {**virtual, "notes": ""}).status_code
    virtual_key = VirtualKey.objects.get(slug="openai-prod")
    assert virtual_key.credential == "sk-audit-0000"

    entries = LogEntry.objects.filter(user=admin_user).order_by("action_time", "pk")
    logged = [(e.content_type.model, e.action_flag, e.get_change_message()) for e in entries]
    assert logged[0][:2] == ("apikey", ADDITION)
    assert logged[1][:2] == ("apikey", CHANGE) and "Name" in logged[1][2]
    assert logged[2] == ("apikey", CHANGE, "Revoked.")
    assert logged[3][:2] == ("virtualkey", ADDITION)
    assert all("sk-audit-0000" not in (e.object_repr + e.change_message) for e in entries)

    history = admin_client.get(f"/admin/keys/apikey/{api_key.pk}/history/").content.decode()
    assert "Revoked." in history and "Added." in history
    recent = admin_client.get("/admin/").content.decode()
    assert "IDE 2" in recent and "OpenAI prod" in recent
