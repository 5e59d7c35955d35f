"""`make bench-peers`: the Portkey OSS gateway and this one, one load, one fake provider.

python -m benchmarks.peers [--seconds 8]   (127.0.0.1 only; needs node, npm and wrk; not in CI)
Portkey 1.15.2 is installed from npm into .peers/ (gitignored), with hono pinned to its own
lockfile's versions (newer ones answer every proxied call with 500), and kept on 127.0.0.1 by
a small module that gives every listen() the loopback host. Both gateways pass GET /v1/models
through to the fake provider (OpenAI's shape, 50 models); this one also answers it from cache.
Then both forward POST /v1/chat/completions to a fake chat provider (benchmarks/peers_chat.py).
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks import inference, peers_chat, processes, seed
from benchmarks.load import fetch, wrk
from benchmarks.measure import Measured, measured

PEERS = processes.ROOT / ".peers"
PORTKEY = "1.15.2"
PACKAGE = {
    "private": True,
    "dependencies": {"@portkey-ai/gateway": PORTKEY},
    "overrides": {"hono": "4.9.7", "@hono/node-server": "1.13.5"},
}
LOOPBACK = """import net from "node:net";
// Portkey binds every interface; a benchmark server must stay on 127.0.0.1.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "object" && args[0] !== null) {
    return listen.call(this, { ...args[0], host: "127.0.0.1" }, ...args.slice(1));
  }
  const rest = args.slice(1);
  if (typeof rest[0] === "string" || rest[0] === undefined) rest.shift();
  return listen.call(this, args[0], "127.0.0.1", ...rest);
};
"""
CREDENTIAL = "sk-peers-bench-credential"


def install() -> Path:
    """Portkey's start script, installed once into .peers/ at the pinned version."""
    installed = PEERS / "node_modules" / "@portkey-ai" / "gateway"
    if not shutil.which("npm"):
        raise SystemExit("npm is not installed: apt-get install -y npm (Debian's package)")
    PEERS.mkdir(exist_ok=True)
    (PEERS / "package.json").write_text(json.dumps(PACKAGE, indent=2) + "\n")
    (PEERS / "loopback.mjs").write_text(LOOPBACK)
    version = ""
    if (installed / "package.json").exists():
        version = json.loads((installed / "package.json").read_text())["version"]
    if version != PORTKEY:
        print(f"installing @portkey-ai/gateway {PORTKEY} into {PEERS}", flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEERS,
            check=True,
            timeout=300,
        )
    return installed / "build" / "start-server.js"


def listening_only_on_loopback(pid: int) -> bool:
    done = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=False)
    mine = [line for line in done.stdout.splitlines() if f"pid={pid}," in line]
    return bool(mine) and all(line.split()[3].startswith("127.0.0.1:") for line in mine)


def runs(url: str, headers: dict, *, pid: int, seconds: int) -> list[Measured]:
    wrk(url, connections=16, seconds=1, headers=headers)
    return [
        measured(url, server_pid=pid, connections=c, seconds=seconds, headers=headers)
        for c in (16, 1)
    ]


ROW = "{:<42} {:>5} {:>8} {:>7} {:>7} {:>6} {:>7}"


def table(cells: list[tuple[str, list[Measured]]], peer: list[Measured]) -> str:
    lines = [ROW.format("target", "conns", "req/s", "p50 ms", "p99 ms", "errors", "CPU us")]
    lines[0] += "  req/s vs Portkey  CPU vs Portkey"
    for label, results in cells:
        for n, (run, theirs) in enumerate(zip(results, peer, strict=True)):
            r = run.result
            ratios = ""
            if label != "Portkey OSS, provider passthrough" and theirs.result.rps:
                ratios = (
                    f"  {r.rps / theirs.result.rps:>15.2f}x  {run.cpu_us / theirs.cpu_us:>13.2f}x"
                )
            lines.append(
                ROW.format(
                    label if n == 0 else "",
                    r.connections,
                    f"{r.rps:,.0f}",
                    f"{r.p50_ms:.2f}",
                    f"{r.p99_ms:.2f}",
                    r.errors,
                    f"{run.cpu_us:,.0f}",
                )
                + ratios
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=1000, help="sequential chat calls")
    args = parser.parse_args()
    start_server = install()
    work = Path(tempfile.mkdtemp(prefix="gateway-peers-"))
    print(f"logs in {work}", flush=True)
    provider, provider_url = processes.fake_provider(models=50, latency_ms=0, logs=work)
    chat_fake, chat_url = inference.start_fake(work)
    chat_head = peers_chat.headers(chat_url, CREDENTIAL)
    chat = {"calls": args.calls, "seconds": args.seconds, "logs": work}
    with provider, chat_fake:
        passthrough = {
            "Accept-Encoding": "gzip",
            "x-portkey-provider": "openai",
            "authorization": f"Bearer {CREDENTIAL}",
            "x-portkey-custom-host": f"{provider_url}/v1",
        }
        node = ["node", "--import", str(PEERS / "loopback.mjs"), str(start_server)]
        portkey, portkey_url = processes.serve(
            [*node, "--port={port}", "--headless"], env={}, logs=work, name="portkey", ready=""
        )
        with portkey:
            if not listening_only_on_loopback(portkey.pid):
                raise SystemExit("Portkey listens beyond 127.0.0.1; see .peers/loopback.mjs")
            status, _, body = fetch(portkey_url + "/v1/models", passthrough)
            if status != 200:
                raise SystemExit(f"Portkey answered {status}: {body[:300]!r}")
            peer = runs(
                portkey_url + "/v1/models", passthrough, pid=portkey.pid, seconds=args.seconds
            )
            portkey_chat = peers_chat.run(
                "Portkey OSS", portkey_url, chat_head, pid=portkey.pid, **chat
            )
        alone = runs(f"{provider_url}/v1/models", {}, pid=provider.pid, seconds=args.seconds)
        chats = [peers_chat.run("fake provider alone", chat_url, {}, pid=None, **chat),
                 portkey_chat]  # fmt: skip
        env = seed.environment(
            database_url=f"sqlite:///{work / 'bench.sqlite3'}",
            cache_url="",
            provider_hosts=[h.removeprefix("http://") for h in (provider_url, chat_url)],
        )
        seed.django_start(env)
        ours = {**passthrough, "x-portkey-api-key": seed.api_key_scoped([])}
        cells = [("Portkey OSS, provider passthrough", peer), ("fake provider alone", alone)]
        for label, ttl in (
            ("this gateway, provider route uncached", "0"),
            ("this gateway, provider route from cache", "300"),
        ):
            gateway, url = processes.gateway(
                env={**env, "GATEWAY_MODELS_CACHE_TTL": ttl}, logs=work, name=f"ttl-{ttl}"
            )
            with gateway:
                status, _, body = fetch(url + "/v1/models", ours)
                if status != 200:
                    raise SystemExit(f"{label} answered {status}: {body[:300]!r}")
                cells.append(
                    (label, runs(url + "/v1/models", ours, pid=gateway.pid, seconds=args.seconds))
                )
                if ttl == "0":
                    head = {**chat_head, "x-portkey-api-key": ours["x-portkey-api-key"]}
                    chats.append(peers_chat.run("this gateway", url, head, pid=gateway.pid, **chat))
    print()
    print(table(cells, peer))
    print()
    print(peers_chat.table(chats))
    print(
        f"\nGET /v1/models, OpenAI shape, 50 models, gzip; wrk -t1, {args.seconds} s per run; "
        f"Portkey {PORTKEY} (one Node process) against this gateway under its production server; "
        "CPU us: server CPU per request (process tree, /proc). 127.0.0.1 only."
    )


if __name__ == "__main__":
    main()
