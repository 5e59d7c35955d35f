"""Two gateway processes on one SQLite file and the machine cache (default suite, seconds)."""

import pytest

from tests.scale import probes, stack

LIMIT = 5
REQUESTS = 20


@pytest.fixture(scope="module")
def pair(sqlite_template, tmp_path_factory):
    with stack.sqlite_stack(sqlite_template, tmp_path_factory.mktemp("pair")) as shared:
        yield shared, shared.gateways(2)


def test_a_key_revoked_through_one_process_is_refused_by_the_other(pair, record_property):
    shared, (first, second) = pair
    prefix, raw = shared.api_key("revoke me", "--all")
    # Both processes hold the key's snapshot in the shared cache before the revocation.
    assert [probes.models_status(g, raw) for g in (first, second)] == [200, 200]

    revocation = probes.revocation_measure(shared, prefix, raw, second)

    record_property("revocation_delay_ms", round(revocation.delay * 1000, 1))
    print(f"revocation delay (SQLite + machine cache): {revocation.delay * 1000:.1f} ms")
    assert revocation.delay < 1.0
    assert revocation.accepted_after_command == 0
    assert probes.models_status(first, raw) == 401


def test_a_rate_limit_holds_across_both_processes(pair, record_property):
    shared, gateways = pair
    _, raw = shared.api_key("limited", "--all", "--rate-limit", str(LIMIT))
    window = probes.window_fresh(need=3)

    # In parallel: the machine cache's increment is one atomic statement, as Redis INCR is.
    result = probes.burst(gateways, raw, total=REQUESTS, threads=4)

    record_property("rate_limit_allowed", result.allowed)
    assert result.windows == (window, window)
    assert sorted(result.statuses) == [200] * LIMIT + [429] * (REQUESTS - LIMIT)
    assert all(retry and 0 < int(retry) <= 60 for retry in result.retry_after)
