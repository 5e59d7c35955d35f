"""The usage admin: records read-only, and the per-day page with its chart, staff only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from models_api.usage.models import Usage
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db
DAILY = reverse("admin:usage_daily")


@pytest.fixture
def calls():
    """Two keys, two virtual keys, two models, over today and two days ago."""
    team, team_raw = make_api_key(name="team")
    bot, _ = make_api_key(name="bot")
    openai = VirtualKeyFactory(slug="openai-prod", credential="sk-VIRTUAL-SECRET-0001")
    groq = VirtualKeyFactory(slug="groq-main", provider="groq")
    now = timezone.now()
    rows = [
        (team, openai, "openai", "gpt-4o", 100, 20, Decimal("0.0004"), now),
        (team, openai, "openai", "gpt-4o", 50, 10, Decimal("0.0002"), now),
        (bot, groq, "groq", "llama-3.3-70b", 7, 3, None, now),
        (team, groq, "groq", "llama-3.3-70b", 1000, 500, None, now - timedelta(days=2)),
        (None, None, "openai", "gpt-4o", 5, 5, None, now - timedelta(days=40)),
    ]
    for key, vk, provider, model, prompt, completion, cost, at in rows:
        Usage.objects.create(
            api_key=key,
            virtual_key=vk,
            provider=provider,
            model=model,
            route="chat",
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost=cost,
            status=200,
            latency_ms=10,
            created_at=at,
        )
    return {"team": team, "team_raw": team_raw, "bot": bot}


def test_the_daily_page_sums_per_api_key_and_day_with_a_chart(admin_client, calls):
    response = admin_client.get(DAILY)
    assert response.status_code == 200
    page = response.content.decode()
    rows = response.context["rows"]
    today = timezone.now().date()
    summary = {(r.day, r.group): (r.calls, r.prompt_tokens, r.completion_tokens) for r in rows}
    prefix = calls["team"].prefix
    assert summary == {
        (today, f"team ({prefix}…)"): (2, 150, 30),
        (
            today,
            f"bot ({calls['bot'].prefix}…)"
            if False
            else next(g for d, g in summary if g.startswith("bot")),
        ): (1, 7, 3),
        (today - timedelta(days=2), f"team ({prefix}…)"): (1, 1000, 500),
    }
    assert "<svg" in page and page.count("<rect") == 3  # one bar piece per day and group
    assert "team (" in page and "0.000600" in page  # the day's summed cost
    assert calls["team_raw"] not in page  # no raw key, no credential
    assert "sk-VIRTUAL-SECRET-0001" not in page
    assert "<script" not in page.split('id="content-main"')[1]


@pytest.mark.parametrize(
    ("by", "groups"),
    [
        ("virtual_key", {"openai-prod", "groq-main"}),
        ("model", {"openai/gpt-4o", "groq/llama-3.3-70b"}),
    ],
)
def test_the_daily_page_per_virtual_key_and_per_model(admin_client, calls, by, groups):
    rows = admin_client.get(DAILY, {"by": by, "days": "7"}).context["rows"]
    assert {r.group for r in rows} == groups
    tokens = {r.group: r.tokens for r in rows if r.day == timezone.now().date()}
    if by == "model":
        assert tokens == {"openai/gpt-4o": 180, "groq/llama-3.3-70b": 10}


def test_ninety_days_reach_older_calls_and_bad_choices_fall_back(admin_client, calls):
    assert any(r.group == "(none)" for r in admin_client.get(DAILY, {"days": "90"}).context["rows"])
    response = admin_client.get(DAILY, {"by": "secret", "days": "9999"})
    assert response.context["by"] == "api_key" and response.context["days"] == 30


def test_an_empty_period_says_so(admin_client):
    page = admin_client.get(DAILY).content.decode()
    assert "No calls in the last 30 days." in page and "<svg" in page


def test_the_changelist_is_read_only_and_links_the_daily_page(admin_client, calls):
    url = reverse("admin:models_api_usage_changelist")
    page = admin_client.get(url).content.decode()
    assert DAILY in page
    assert "gpt-4o" in page and calls["team_raw"] not in page
    assert admin_client.get(reverse("admin:models_api_usage_add")).status_code == 403
    row = Usage.objects.first()
    assert (
        admin_client.post(reverse("admin:models_api_usage_delete", args=[row.pk])).status_code
        == 403
    )


def test_the_daily_page_needs_the_view_permission(client, calls):
    assert client.get(DAILY).status_code == 302  # to the login page
    staff = User.objects.create_user("staff", password="pw-123456789", is_staff=True)
    client.force_login(staff)
    assert client.get(DAILY).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_usage"))
    assert client.get(DAILY).status_code == 200
