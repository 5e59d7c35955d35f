"""The production server's lifecycle against real processes: respawn, reload, recycling,
graceful stop, the opt-in access log, and the metrics directory left by none of them."""

import json
import random
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.fake_provider import FakeProvider, serve
from tests.scale.cluster import Gateway, http, wait_for

pytestmark = pytest.mark.scale


@pytest.fixture
def tmpdir_env(sqlite_stack, tmp_path):
    """The launcher makes its metrics directory under TMPDIR: here, a folder of this test's."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    sqlite_stack.env["TMPDIR"] = str(scratch)
    return sqlite_stack, scratch


def metrics_dirs(scratch) -> list:
    return sorted(scratch.glob("gateway-metrics-*"))


def start(stack, *, workers: int = 2, **settings: str) -> Gateway:
    stack.env.update(settings)
    [gateway] = stack.gateways(1, workers=workers)
    return gateway


class Traffic:
    """Requests from a few threads until stopped: every status and connection error kept."""

    def __init__(self, url: str, *, threads: int = 4):
        self.url, self.stop, self.outcomes = url, threading.Event(), []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self):
        while not self.stop.is_set():
            try:  # a new connection each time, so each one lands on a worker afresh
                self.outcomes.append(requests.get(self.url, timeout=10).status_code)
            except requests.RequestException as exc:
                self.outcomes.append(type(exc).__name__)

    def end(self) -> list:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
        return self.outcomes


def test_a_killed_worker_is_replaced_and_its_live_gauges_removed(tmpdir_env):
    stack, scratch = tmpdir_env
    gateway = start(stack)
    [directory] = metrics_dirs(scratch)
    victim, survivor = gateway.workers()
    gauge = directory / f"gauge_livesum_{victim}.db"
    gauge.write_bytes(b"\0" * 8)  # as a livesum gauge of that worker would leave it
    (directory / f"gauge_livesum_{survivor}.db").write_bytes(b"\0" * 8)

    gateway.signal_pid(victim, signal.SIGKILL)

    replaced = wait_for(
        lambda: len(gateway.workers()) == 2 and victim not in gateway.workers(),
        seconds=20,
        what="a new worker in place of the killed one",
    )
    assert replaced
    wait_for(lambda: not gauge.exists(), seconds=5, what="the dead worker's live gauge removed")
    assert (directory / f"gauge_livesum_{survivor}.db").exists()
    assert http().get(f"{gateway.url}/healthz", timeout=5).status_code == 200


def test_sighup_replaces_every_worker_while_requests_go_on(tmpdir_env):
    stack, _ = tmpdir_env
    gateway = start(stack)
    before = set(gateway.workers())
    traffic = Traffic(f"{gateway.url}/healthz")
    time.sleep(0.5)
    gateway.signal_pid(gateway.pid, signal.SIGHUP)
    wait_for(
        lambda: len(gateway.workers()) == 2 and not before & set(gateway.workers()),
        seconds=40,
        what="both workers replaced",
        interval=0.2,
    )
    time.sleep(1)
    outcomes = traffic.end()
    assert len(outcomes) > 50
    failed = [o for o in outcomes if o != 200]
    # Granian stops an old worker only after its successor started; a connection queued on
    # the old worker's socket in that instant can be reset (net.ipv4.tcp_migrate_req=0).
    assert len(failed) <= len(outcomes) // 100, failed[:10]


def test_workers_over_their_memory_limit_are_recycled(tmpdir_env):
    stack, _ = tmpdir_env
    gateway = start(stack, GATEWAY_WORKER_MAX_RSS_MB="1")  # every worker is over 1 MB
    first = set(gateway.workers())
    wait_for(
        lambda: not first & set(gateway.workers()),
        seconds=40,
        what="workers recycled",
        interval=0.2,
    )
    assert http().get(f"{gateway.url}/healthz", timeout=5).status_code == 200
    assert "RSS over threshold, gracefully respawning" in gateway.output()


def test_sigterm_lets_a_request_in_flight_finish(tmpdir_env):
    stack, scratch = tmpdir_env
    provider = FakeProvider(models=["slow-model"], latency_ms=1500)
    with serve(provider) as provider_url:
        gateway = start(
            stack,
            GATEWAY_TRUSTED_CUSTOM_HOSTS=provider_url.removeprefix("http://"),
            GATEWAY_MODELS_CACHE_TTL="0",
        )
        _, key = stack.api_key("slow", "--all")
        headers = {
            "x-portkey-api-key": key,
            "x-portkey-provider": "openai",
            "x-portkey-custom-host": f"{provider_url}/v1",
            "authorization": "Bearer sk-slow",
        }
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                http().get, f"{gateway.url}/v1/models", headers=headers, timeout=20
            )
            time.sleep(0.5)  # the request is waiting on the provider
            gateway.signal_pid(gateway.pid, signal.SIGTERM)
            answer = pending.result()
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"][0]["id"] == "slow-model"
    assert gateway.wait_exit(seconds=20) == 0
    assert metrics_dirs(scratch) == []


def test_the_access_log_is_opt_in(tmpdir_env, tmp_path):
    stack, _ = tmpdir_env
    quiet = start(stack, workers=1)
    http().get(f"{quiet.url}/healthz?quiet=1", timeout=5)
    log = tmp_path / "access.log"
    loud = start(stack, workers=1, GATEWAY_ACCESS_LOG=str(log))
    http().get(f"{loud.url}/healthz?loud=1", timeout=5)
    wait_for(lambda: log.exists() and "/healthz" in log.read_text(), seconds=5, what="a line")
    line = log.read_text().strip().splitlines()[-1]
    assert '"GET /healthz HTTP/1.1" 200' in line
    assert "/healthz" not in quiet.output()


def stop_during(stack, scratch, *, when, group: bool) -> tuple[int, list]:
    log = scratch.parent / f"stopped-{len(stack.children)}.log"
    gateway = Gateway(env=stack.env, log=log, workers=2)
    stack.children.append(gateway)
    traffic = when(gateway)
    if group:
        gateway.signal_group(signal.SIGTERM)
    else:
        gateway.signal_pid(gateway.pid, signal.SIGTERM)
    started = time.monotonic()
    code = gateway.wait_exit(seconds=30)
    stopping = time.monotonic() - started
    if traffic:
        traffic.end()
    gateway.signal_group(signal.SIGKILL)  # nothing of it may live on: the next round is clean
    # No worker waited for the graceful timeout (10 s) to be killed: each one stopped.
    assert "refused to gracefully stop" not in gateway.output(), gateway.output()[-2000:]
    assert stopping < 8, f"the stop took {stopping:.1f} s"
    return code, metrics_dirs(scratch)


def test_sigterm_during_startup_leaves_no_metrics_directory(tmpdir_env):
    """30 stops at random moments of the start (before, while and after the workers load),
    to the master alone (as Docker sends it) or to the whole group (as systemd does)."""
    stack, scratch = tmpdir_env
    deadline = time.monotonic() + 240
    rng = random.Random(12)
    for n in range(30):
        delay = rng.uniform(0, 2.5)
        code, left = stop_during(
            stack, scratch, when=lambda _g, d=delay: time.sleep(d), group=n % 2 == 1
        )
        assert left == [], f"round {n} (stopped after {delay:.2f} s) left {left}"
        # -15: the signal came before Python ran the launcher, so nothing had been made yet.
        assert code in (0, 1, -signal.SIGTERM, 128 + signal.SIGTERM), f"round {n}: code {code}"
        assert time.monotonic() < deadline, f"30 rounds took over 240 s (at round {n})"


def test_sigterm_under_load_leaves_no_metrics_directory(tmpdir_env):
    stack, scratch = tmpdir_env
    deadline = time.monotonic() + 240

    def loaded(gateway):
        gateway.wait_ready()
        traffic = Traffic(f"{gateway.url}/v1/models", threads=4)
        time.sleep(random.uniform(0.2, 1.0))
        return traffic

    for n in range(10):
        code, left = stop_during(stack, scratch, when=loaded, group=n % 2 == 1)
        assert left == [], f"round {n} left {left}"
        assert code == 0, f"round {n}: exit code {code}"
        assert time.monotonic() < deadline, f"10 rounds took over 240 s (at round {n})"


def read_events(sock) -> list[bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    body = data.partition(b"\r\n\r\n")[2]
    return [line for line in body.split(b"\n") if line.startswith((b"data: ", b": "))]


def stream_request(port: int, query: str):
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    request = f"GET /bench-stream?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    sock.sendall(request.encode())
    return sock


def test_a_stream_passes_heartbeats_and_a_departed_client_is_noticed(tmpdir_env, tmp_path):
    """benchmarks/stream_app.py under the server: empty heartbeats send nothing and end
    nothing; a client that leaves is noticed (close() called) within a heartbeat or two."""
    stack, _ = tmpdir_env
    closed = tmp_path / "closed.txt"
    closed.touch()
    stack.env["BENCH_STREAM_CLOSED"] = str(closed)
    gateway = Gateway(
        env=stack.env, log=tmp_path / "stream.log", app="benchmarks.stream_app:application"
    )
    stack.children.append(gateway)
    port = int(gateway.wait_ready().url.rsplit(":", 1)[1])

    whole = stream_request(port, "chunks=5&interval=0.05&silent=1&heartbeat=empty&name=whole")
    events = read_events(whole)
    whole.close()
    assert [json.loads(e[6:])["n"] for e in events] == [0, 1, 2, 3, 4]

    left = stream_request(port, "chunks=2&silent=20&heartbeat=empty&name=left")
    received = b""
    while b"data: " not in received:  # the headers and the first event may come apart
        chunk = left.recv(65536)
        assert chunk, f"the stream ended before its first event: {received!r}"
        received += chunk
    left.close()
    gone = time.time()
    found = wait_for(
        lambda: [ln.split()[1] for ln in closed.read_text().splitlines() if ln.startswith("left ")],
        seconds=5,
        what="close() of the departed client's stream",
    )
    assert float(found[0]) - gone < 1.0
