"""`make run`'s set-up: two workers of the production server, SQLite, the default cache.

Each promise is checked on each worker: requests go on fresh connections until both workers
have answered, and every answer counts. Which worker answered is read from the per-process
Prometheus files (one per worker pid), whose request counter moves before the response leaves.
"""

import json
import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict

from keys.models import KEY_PREFIX
from tests.fake_provider import FakeProvider, serve
from tests.scale import probes
from tests.scale.cluster import Gateway, base_env, http, manage

pytestmark = pytest.mark.scale

ATTEMPTS = 200  # fresh connections tried before concluding a worker never answers
LIMIT = 10
FLOOD = 1_000

SEED = """
import json
from keys.models import VirtualKey
from keys.services import api_key_create
made = {{}}
for slug in {slugs!r}:
    vk = VirtualKey(name=slug, slug=slug, provider="openai", base_url="{base}/v1")
    vk.set_credential("sk-" + slug)  # one credential each: one cache entry each
    vk.save()
    made[slug] = vk
api_key, raw = api_key_create(name={name!r}, virtual_key_slugs=list(made), **{fields!r})
print(json.dumps({{"raw": raw, "prefix": api_key.prefix}}))
"""


class Machine:
    """One gateway with two workers on a SQLite copy and the default cache, and a provider."""

    def __init__(self, gateway: Gateway, env: dict, provider: FakeProvider, metrics):
        self.gateway, self.env, self.provider, self.metrics = gateway, env, provider, metrics

    def shell(self, script: str) -> str:
        done = manage(self.env, "shell", "-c", script)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def key(self, name: str, *, slugs=(), **fields) -> tuple[str, str]:
        """(raw key, display prefix) of a new key over new virtual keys `slugs`."""
        base = self.env["PROVIDER_URL"]
        script = SEED.format(slugs=list(slugs), base=base, name=name, fields=fields)
        made = json.loads(self.shell(script).strip().splitlines()[-1])
        return made["raw"], made["prefix"]

    def requests_by_worker(self) -> dict[int, float]:
        totals = {}
        for path in self.metrics.glob("counter_*.db"):
            values = MmapedDict.read_all_values_from_file(str(path))
            totals[int(path.stem.split("_")[1])] = sum(
                value for key, value, *_ in values if json.loads(key)[1] == "gateway_requests_total"
            )
        return totals

    def command_key(self, name: str, *options: str) -> tuple[str, str]:
        """(raw key, display prefix) of a key made by `manage.py create_api_key`."""
        done = manage(self.env, "create_api_key", "--name", name, *options)
        assert done.returncode == 0, done.stderr
        raw = done.stdout.strip().splitlines()[-1]
        return raw, raw[:12]

    def get(self, raw: str, **headers: str):
        """One GET /v1/models on a fresh connection (so the kernel may pick either worker)."""
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        with http() as session:
            return session.get(
                f"{self.gateway.url}/v1/models",
                headers={"x-portkey-api-key": raw, "Connection": "close", **sent},
                timeout=10,
            )

    def ask(self, raw: str, **headers: str) -> tuple[int, int, str]:
        """(worker pid, status, cache status) of one request, alone on the gateway."""
        before = self.requests_by_worker()
        response = self.get(raw, **headers)
        after = self.requests_by_worker()
        moved = [pid for pid, total in after.items() if total != before.get(pid, 0)]
        assert len(moved) == 1, (before, after)
        return moved[0], response.status_code, response.headers.get("x-portkey-cache-status", "")

    def session_per_worker(self) -> list:
        """Two keep-alive sessions, each held by a different worker."""
        held = {}
        for _ in range(ATTEMPTS):
            session = http()
            before = self.requests_by_worker()
            response = session.get(f"{self.gateway.url}/healthz", timeout=10)
            assert response.status_code == 200
            after = self.requests_by_worker()
            (pid,) = [pid for pid, total in after.items() if total != before.get(pid, 0)]
            held.setdefault(pid, session)
            if len(held) == 2:
                return list(held.values())
        raise AssertionError("one worker answered every new connection")

    def each_worker(self, raw: str, **headers: str) -> list[tuple[int, int, str]]:
        """Every answer until each worker has given at least one (two distinct pids)."""
        answers = []
        while len({pid for pid, _, _ in answers}) < 2:
            assert len(answers) < ATTEMPTS, f"one worker answered every request: {answers[:5]}"
            answers.append(self.ask(raw, **headers))
        return answers


@pytest.fixture(scope="module")
def machine(sqlite_template, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("one-machine")
    database = workdir / "gateway.sqlite3"
    shutil.copyfile(sqlite_template, database)
    metrics = workdir / "metrics"
    metrics.mkdir()
    provider = FakeProvider(models=3)
    with serve(provider) as provider_url:
        env = base_env(
            DATABASE_URL=f"sqlite:///{database}",
            GATEWAY_CACHE_DIR=str(workdir / "cache"),
            GATEWAY_TRUSTED_CUSTOM_HOSTS=provider_url.removeprefix("http://"),
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
            PROVIDER_URL=provider_url,
        )
        env.pop("CACHE_URL", None)  # the default, whatever this suite runs on
        gateway = Gateway(env=env, log=workdir / "gateway.log", workers=2, threads=4)
        try:
            for attempt in range(3):  # a worker still booting on a busy machine: ask again
                try:
                    gateway.wait_ready()
                    break
                except requests.ReadTimeout:
                    if attempt == 2:
                        raise
            assert len(gateway.workers()) == 2
            yield Machine(gateway, env, provider, metrics)
        finally:
            gateway.stop()


def statuses(answers) -> set[int]:
    return {status for _, status, _ in answers}


def test_a_revoked_key_is_refused_by_each_worker_at_once(machine):
    raw, prefix = machine.command_key("revoke me", "--all")
    assert statuses(machine.each_worker(raw)) == {200}  # both workers hold its snapshot

    done = manage(machine.env, "revoke_api_key", prefix)
    assert done.returncode == 0, done.stderr

    assert statuses(machine.each_worker(raw)) == {401}


def test_a_disabled_virtual_key_is_refused_by_each_worker_at_once(machine):
    raw, _ = machine.key("vk user", slugs=["vk-off"])
    assert statuses(machine.each_worker(raw, x_portkey_virtual_key="vk-off")) == {200}

    machine.shell(
        "from keys.models import VirtualKey\n"
        "vk = VirtualKey.objects.get(slug='vk-off'); vk.is_active = False; vk.save()"
    )

    assert statuses(machine.each_worker(raw, x_portkey_virtual_key="vk-off")) == {403}


def test_a_narrowed_scope_is_applied_by_each_worker_at_once(machine):
    raw, prefix = machine.key("scoped", slugs=["scope-a", "scope-b"])
    assert statuses(machine.each_worker(raw, x_portkey_virtual_key="scope-b")) == {200}

    machine.shell(
        "from keys.models import ApiKey, VirtualKey\n"
        f"key = ApiKey.objects.get(prefix={prefix!r})\n"
        "key.virtual_keys.remove(VirtualKey.objects.get(slug='scope-b'))"
    )

    assert statuses(machine.each_worker(raw, x_portkey_virtual_key="scope-b")) == {403}
    assert statuses(machine.each_worker(raw, x_portkey_virtual_key="scope-a")) == {200}


def test_a_rate_limit_of_10_lets_exactly_10_of_40_through_across_both_workers(machine):
    raw, _ = machine.command_key("limited", "--all", "--rate-limit", str(LIMIT))
    window = probes.window_fresh(need=20)  # first: an idle keep-alive connection is closed
    sessions = machine.session_per_worker()
    before = machine.requests_by_worker()

    def twenty(session) -> list[int]:
        url, headers = f"{machine.gateway.url}/v1/models", {"x-portkey-api-key": raw}
        return [session.get(url, headers=headers, timeout=10).status_code for _ in range(20)]

    with ThreadPoolExecutor(max_workers=2) as pool:  # both workers at once, 20 each
        answers = [status for batch in pool.map(twenty, sessions) for status in batch]

    after = machine.requests_by_worker()
    # Only pids that answered: the server's own process may have a metrics file too.
    moved = sorted(n for n in (after[pid] - before.get(pid, 0) for pid in after) if n)
    assert int(time.time() // probes.WINDOW_SECONDS) == window  # all in one minute
    assert moved == [20, 20]  # each worker answered half
    assert sorted(answers) == [200] * LIMIT + [429] * 30


def test_an_identical_provider_call_is_a_hit_whichever_worker_answers(machine):
    raw, _ = machine.key("hits", slugs=["vk-hit"])
    first = machine.ask(raw, x_portkey_virtual_key="vk-hit")
    answers = machine.each_worker(raw, x_portkey_virtual_key="vk-hit")

    assert first[1:] == (200, "MISS")
    assert {(status, cache) for _, status, cache in answers} == {(200, "HIT")}
    assert upstream_calls(machine.provider, "sk-vk-hit") == 1


def upstream_calls(provider: FakeProvider, credential: str) -> int:
    with provider.lock:
        return sum(
            1
            for path, headers in provider.requests
            if path == "/v1/models" and headers.get("authorization") == f"Bearer {credential}"
        )


def test_a_flood_of_unknown_keys_changes_none_of_that(machine):
    limited, _ = machine.command_key("flood limited", "--all", "--rate-limit", str(LIMIT))
    raw, prefix = machine.key("flood", slugs=["vk-flood"])
    window = probes.window_fresh(need=40)
    assert sorted(machine.ask(limited)[1] for _ in range(5)) == [200] * 5
    assert machine.ask(raw, x_portkey_virtual_key="vk-flood")[1:] == (200, "MISS")
    assert statuses(machine.each_worker(raw)) == {200}  # the snapshot held by both workers

    flood = [KEY_PREFIX + secrets.token_urlsafe(32) for _ in range(FLOOD)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        refused = list(pool.map(lambda key: probes.models_status(machine.gateway, key), flood))
    assert refused == [401] * FLOOD

    # The limited key's minute goes on where it was: 5 more, then refused.
    after = [machine.ask(limited)[1] for _ in range(8)]
    assert int(time.time() // probes.WINDOW_SECONDS) == window
    assert after == [200] * 5 + [429] * 3
    # The cached list is still a HIT on both workers, with still one upstream call.
    answers = machine.each_worker(raw, x_portkey_virtual_key="vk-flood")
    assert {(status, cache) for _, status, cache in answers} == {(200, "HIT")}
    assert upstream_calls(machine.provider, "sk-vk-flood") == 1
    # And a revocation still reaches both at once.
    assert manage(machine.env, "revoke_api_key", prefix).returncode == 0
    assert statuses(machine.each_worker(raw)) == {401}
