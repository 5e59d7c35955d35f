"""Two gateway processes on PostgreSQL and Redis: revocation and rate limit hold across both."""

import sys

import pytest

from tests.scale import probes

pytestmark = pytest.mark.scale

LIMIT = 30
REQUESTS = 80
TOLERANCE = 0  # Redis INCR is atomic and the burst stays inside one window: exact
REVOCATION_BOUND = 1.0  # seconds; the snapshot is dropped on save, so it is immediate


@pytest.fixture
def pair(postgres_stack):
    return postgres_stack, postgres_stack.gateways(2, workers=2, threads=8)


def test_a_key_revoked_through_one_process_is_refused_by_the_other(pair, record_property):
    shared, (first, second) = pair
    prefix, raw = shared.api_key("revoke me", "--all")
    assert [probes.models_status(g, raw) for g in (first, second) for _ in range(4)] == [200] * 8

    revocation = probes.revocation_measure(shared, prefix, raw, second)

    record_property("revocation_delay_ms", round(revocation.delay * 1000, 1))
    print(f"revocation delay (PostgreSQL + Redis): {revocation.delay * 1000:.1f} ms")
    assert revocation.delay < REVOCATION_BOUND
    assert revocation.accepted_after_command == 0
    assert probes.models_status(first, raw) == 401


def test_a_rate_limit_holds_across_both_processes(pair, record_property):
    shared, gateways = pair
    _, raw = shared.api_key("limited", "--all", "--rate-limit", str(LIMIT))
    window = probes.window_fresh(need=10)

    result = probes.burst(gateways, raw, total=REQUESTS, threads=8)

    record_property("rate_limit_allowed", result.allowed)
    print(f"rate limit {LIMIT}/min, {REQUESTS} requests over 2 processes: {result.allowed} allowed")
    assert result.windows == (window, window)
    assert LIMIT <= result.allowed <= LIMIT + TOLERANCE
    assert result.statuses.count(429) == REQUESTS - result.allowed
    assert all(retry and 0 < int(retry) <= 60 for retry in result.retry_after)


REVOKE_IN_TRANSACTION = """
import pathlib, time
from django.db import transaction
from keys.models import ApiKey
with transaction.atomic():  # as the admin's change form saves: one transaction per request
    ApiKey.objects.get(prefix="{prefix}").revoke()
    print("revoked, not committed", flush=True)
    deadline = time.monotonic() + 20
    while not pathlib.Path("{go}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
print("committed", flush=True)
"""


def test_a_revocation_saved_in_a_transaction_is_not_undone_by_a_concurrent_request(pair):
    shared, (first, second) = pair
    prefix, raw = shared.api_key("revoke in admin", "--all")
    # Used once, so last_used_at is fresh and the next request writes nothing (no row lock).
    assert probes.models_status(first, raw) == 200
    go = shared.workdir / "commit"
    script = REVOKE_IN_TRANSACTION.format(prefix=prefix, go=go)
    revoker = shared.start([sys.executable, "manage.py", "shell", "-c", script], name="revoker")
    revoker.wait_output("revoked, not committed", seconds=20)

    # The row is not committed yet, so this request caches the key as still active.
    assert probes.models_status(second, raw) == 200
    go.touch()
    assert revoker.wait_exit(seconds=20) == 0

    assert probes.models_status(first, raw) == 401
    assert probes.models_status(second, raw) == 401
