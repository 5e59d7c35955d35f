"""The chat rows of `make bench-peers`: POST /v1/chat/completions through Portkey and this
gateway to one fake OpenAI-compatible provider (benchmarks/inference_upstream.py), 127.0.0.1.

Per target: p50 of sequential calls on one keep-alive connection and what it adds over
calling the fake directly, then a 16-connection wrk run with the server's CPU per request.
"""

from dataclasses import dataclass
from pathlib import Path

from benchmarks import inference
from benchmarks import inference_clients as clients
from benchmarks.measure import Measured, measured

PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class ChatRun:
    label: str
    p50_ms: float  # one connection, sequential calls
    loaded: Measured | None  # 16 connections; None for the fake alone


def headers(fake_url: str, credential: str) -> dict:
    """Provider passthrough to the fake, as both gateways read it."""
    return {
        "x-portkey-provider": "openai",
        "authorization": f"Bearer {credential}",
        "x-portkey-custom-host": f"{fake_url}/v1",
    }


def script(logs: Path) -> Path:
    path = logs / "chat-post.lua"
    path.write_text(inference.LUA + Path(inference.__file__).with_name("summary.lua").read_text())
    return path


def run(label: str, url: str, head: dict, *, pid: int | None, calls: int, seconds: int,
        logs: Path) -> ChatRun:  # fmt: skip
    clients.sequential_ms(url + PATH, inference.BODY, head, count=50)  # warm pools and caches
    p50 = clients.median(clients.sequential_ms(url + PATH, inference.BODY, head, count=calls))
    loaded = None
    if pid is not None:
        post = {**head, "Content-Type": "application/json"}
        loaded = measured(url + PATH, server_pid=pid, connections=16, seconds=seconds,
                          headers=post, script=script(logs))  # fmt: skip
    return ChatRun(label, p50, loaded)


ROW = "{:<40} {:>9} {:>9} {:>8} {:>7} {:>7} {:>7}"


def table(runs: list[ChatRun]) -> str:
    """The fake alone first, Portkey second; ratios are against Portkey."""
    alone, peer = runs[0], runs[1]
    lines = [ROW.format("non-streamed chat", "p50 ms @1", "added ms", "req/s@16", "p99 ms",
                        "errors", "CPU us") + "  CPU vs Portkey"]  # fmt: skip
    for chat in runs:
        added = "" if chat is alone else f"{chat.p50_ms - alone.p50_ms:.2f}"
        cells = ["", "", "", ""]
        ratio = ""
        if chat.loaded is not None:
            r = chat.loaded.result
            cells = [
                f"{r.rps:,.0f}",
                f"{r.p99_ms:.2f}",
                str(r.errors),
                f"{chat.loaded.cpu_us:,.0f}",
            ]
            if chat is not peer and peer.loaded and peer.loaded.cpu_us:
                ratio = f"  {chat.loaded.cpu_us / peer.loaded.cpu_us:>13.2f}x"
        lines.append((ROW.format(chat.label, f"{chat.p50_ms:.2f}", added, *cells) + ratio).rstrip())
    return "\n".join(lines)
