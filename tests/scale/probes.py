"""Measurements across gateway processes: revocation delay and a rate-limited burst."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.scale.cluster import Gateway, http, wait_for

WINDOW_SECONDS = 60  # keys/throttling.py's fixed window


def models_status(gateway: Gateway, raw_key: str, session=None) -> int:
    session = session or http()
    response = session.get(
        f"{gateway.url}/v1/models", headers={"x-portkey-api-key": raw_key}, timeout=10
    )
    return response.status_code


@dataclass
class Revocation:
    delay: float  # seconds from the revocation's commit time to the first refusal
    accepted_after_command: int  # answers 200 after revoke_api_key had exited


def revocation_measure(stack, prefix: str, raw_key: str, other: Gateway) -> Revocation:
    """Revoke with `revoke_api_key` while polling `other`; when did it start refusing?"""
    answers: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll():
        session = http()
        while not stop.is_set():
            status = models_status(other, raw_key, session)
            answers.append((time.time(), status))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        stack.check("revoke_api_key", prefix)
        exited = time.time()
        wait_for(lambda: any(t > exited + 0.2 for t, _ in answers), seconds=10, what="polling")
    finally:
        stop.set()
        poller.join(timeout=10)
    revoked_at = _epoch(
        stack.store.rows("SELECT revoked_at FROM keys_apikey WHERE prefix = %s", [prefix])[0][0]
    )
    refused = [t for t, status in answers if status == 401 and t >= revoked_at]
    assert refused, f"never refused: {answers[-5:]}"
    return Revocation(
        delay=refused[0] - revoked_at,
        accepted_after_command=sum(1 for t, s in answers if t > exited and s == 200),
    )


def _epoch(value) -> float:
    if isinstance(value, str):  # SQLite stores UTC text
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.timestamp()


def window_fresh(*, need: float) -> int:
    """Wait (at most `need` s) until `need` seconds of the current window remain; its number."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < need:
        time.sleep(left + 0.05)
    return int(time.time() // WINDOW_SECONDS)


@dataclass
class Burst:
    statuses: list[int]
    retry_after: list[str | None]  # on each 429
    windows: tuple[int, int]  # the rate window at the first and last request

    @property
    def allowed(self) -> int:
        return self.statuses.count(200)


def burst(gateways: list[Gateway], raw_key: str, *, total: int, threads: int) -> Burst:
    """`total` requests as fast as `threads` allow, alternating between the gateways."""
    sessions = threading.local()

    def one(n: int):
        if not hasattr(sessions, "http"):
            sessions.http = http()
        gateway = gateways[n % len(gateways)]
        response = sessions.http.get(
            f"{gateway.url}/v1/models", headers={"x-portkey-api-key": raw_key}, timeout=10
        )
        return response.status_code, response.headers.get("Retry-After")

    first = int(time.time() // WINDOW_SECONDS)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(one, range(total)))
    last = int(time.time() // WINDOW_SECONDS)
    return Burst(
        statuses=[status for status, _ in answers],
        retry_after=[retry for status, retry in answers if status == 429],
        windows=(first, last),
    )
