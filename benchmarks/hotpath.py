"""In-process CPU cost of a forwarded call's parts, against the fake provider on 127.0.0.1.

    python -m benchmarks.hotpath [--rounds 15] [--calls 400]

Each function runs in interleaved rounds (so a slow phase of the machine hits all of them
alike) and prints the min, p25 and median of its per-call CPU time (time.thread_time), which
leaves out the wait for the fake provider.
"""

import argparse
import os
import tempfile
from pathlib import Path

from benchmarks import processes, seed
from benchmarks.rounds import interleaved_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-hotpath-"))
    env = seed.environment(
        database_url=f"sqlite:///{work / 'unused.sqlite3'}",
        cache_url="",
        provider_hosts=[processes.HOST],
    )
    os.environ.update(processes.child_env(env))
    os.environ["DJANGO_SETTINGS_MODULE"] = "gateway_project.settings"
    import django

    django.setup()
    import requests
    import urllib3

    from models_api.outbound import egress, http
    from models_api.providers import get_client

    process, base = processes.fake_provider(models=50, latency_ms=0, logs=work)
    with process:
        url = f"{base}/v1/models"
        headers = {"Authorization": "Bearer sk-bench"}
        plain = requests.Session()
        plain.trust_env = False
        pool = urllib3.HTTPConnectionPool(processes.HOST, int(base.rsplit(":", 1)[1]), maxsize=1)
        body = plain.get(url, headers=headers).json()
        client = get_client("openai")

        def session_get():
            with plain.get(url, headers=headers, timeout=(3, 10), stream=True) as response:
                return response.content

        def urllib3_pool():
            response = pool.urlopen("GET", "/v1/models", headers=headers, retries=False)
            return response.data

        functions = {
            "models_api.outbound.http.get_json (the gateway's call)": lambda: http.get_json(
                url, provider="bench", headers=headers, policy=egress.OPERATOR
            ),
            "requests.Session.get + body (for comparison)": session_get,
            "urllib3 pool.urlopen + body (the floor)": urllib3_pool,
            "normalise 50 OpenAI items to dicts": lambda: [
                client._model(item).as_dict() for item in body["data"]
            ],
        }
        figures = interleaved_us(
            functions, rounds=args.rounds, calls=args.calls, warm=args.calls // 2
        )
    print(f"CPU per call, us ({args.rounds} interleaved rounds of {args.calls} calls):")
    print(f"  {'':50s} {'min':>6s} {'p25':>6s} {'median':>6s}")
    for name, values in figures.items():
        quarter, middle = values[len(values) // 4], values[len(values) // 2]
        print(f"  {name:50s} {values[0]:6.0f} {quarter:6.0f} {middle:6.0f}")


if __name__ == "__main__":
    main()
