"""Readers of OpenAI's `messages` that every native-provider translation shares: content
parts, data: URIs, tool calls and results, and the alternating turns most providers take.

Pure code: each raises InvalidRequest naming the OpenAI parameter it cannot take.
https://platform.openai.com/docs/api-reference/chat/create
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models_api.providers.openai_request import invalid

DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,;]*)*?;base64,(?P<data>.*)$", re.S)


def messages(body: Mapping) -> list[dict]:
    found = body.get("messages")
    if not isinstance(found, list) or not found:
        raise invalid("messages", "'messages' must be a non-empty list of message objects.")
    for i, message in enumerate(found):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(f"messages[{i}]", f"messages[{i}] must be an object with a 'role'.")
    return found


def parts(content: Any, param: str) -> list[dict]:
    """A message's content as a list of typed parts (a string is one text part)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list) or not all(
        isinstance(p, dict) and isinstance(p.get("type"), str) for p in content
    ):
        raise invalid(param, f"'{param}' must be a string or a list of typed content parts.")
    return [p for p in content if p["type"] != "text" or p.get("text")]


def text_of(content: Any, param: str) -> str:
    """The text of a system, developer or tool message (text parts only)."""
    pieces = []
    for i, part in enumerate(parts(content, param)):
        text = part.get(part["type"]) if part["type"] == "refusal" else part.get("text")
        if part["type"] not in ("text", "refusal") or not isinstance(text, str):
            raise invalid(f"{param}[{i}]", f"'{param}' may hold text parts only here.")
        pieces.append(text)
    return "".join(pieces)


def data_uri(url: Any, param: str) -> tuple[str, str] | None:
    """(mime type, base64 data) of a data: URI, None for any other URL."""
    if not isinstance(url, str) or not url:
        raise invalid(param, f"'{param}' must be a URL or a data: URI.")
    if not url.startswith("data:"):
        return None
    match = DATA_URI.match(url)
    if not match or not match["mime"]:
        raise invalid(param, f"'{param}' must be a base64 data: URI with a media type.")
    return match["mime"].lower(), match["data"]


def image_url(part: dict, param: str) -> str:
    found = part.get("image_url")
    url = found.get("url") if isinstance(found, dict) else None
    if not isinstance(url, str) or not url:
        raise invalid(param, f"'{param}.image_url.url' must be a URL or a data: URI.")
    return url


def tool_calls(message: dict, param: str) -> list[tuple[str, str, dict]]:
    """(id, name, parsed arguments) for each function call of an assistant message."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise invalid(f"{param}.tool_calls", "'tool_calls' must be a list.")
    found = []
    for i, call in enumerate(calls):
        where = f"{param}.tool_calls[{i}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise invalid(where, f"'{where}' must be a function call with a name.")
        if not isinstance(call.get("id"), str) or not call["id"]:
            raise invalid(f"{where}.id", f"'{where}.id' must be a non-empty string.")
        found.append((call["id"], function["name"], arguments(function.get("arguments"), where)))
    return found


def arguments(raw: Any, param: str) -> dict:
    try:
        parsed = json.loads(raw or "{}") if isinstance(raw or "", str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise invalid(f"{param}.function.arguments", "Tool call arguments must be a JSON object.")
    return parsed


def tool_call_id(message: dict, param: str) -> str:
    found = message.get("tool_call_id")
    if not isinstance(found, str) or not found:
        raise invalid(f"{param}.tool_call_id", f"'{param}.tool_call_id' must be a string.")
    return found


@dataclass(frozen=True)
class Spelling:
    """How a provider of alternating user/assistant turns spells each piece of a chat.

    `user_part(part, where)` and `result(call_id, function_name_or_None, text, where)` get where
    the piece is in the request, for the `param` of the InvalidRequest they may raise.
    """

    system: Callable[[str], dict]
    user_part: Callable[[dict, str], dict]
    text: Callable[[str], dict]
    call: Callable[[str, str, dict], dict]
    result: Callable[[str, str | None, str, str], dict]
    is_result: Callable[[dict], bool]
    assistant: str = "assistant"


def conversation(body: Mapping, spell: Spelling, provider: str) -> tuple[list, list]:
    """(system blocks, [(role, blocks)]) for `messages`: system and developer text lifted out,
    tool results in user turns, consecutive turns of one role merged, results first in a turn."""
    system, turns, names = [], [], {}  # names: tool_call_id -> the function it called
    for i, message in enumerate(messages(body)):
        role, where = message["role"], f"messages[{i}]"
        content, at = message.get("content"), f"{where}.content"
        if role in ("system", "developer"):
            text = text_of(content, at)
            system += [spell.system(text)] if text else []
        elif role == "user":
            items = parts(content, at)
            turns.append(("user", [spell.user_part(p, f"{at}[{j}]") for j, p in enumerate(items)]))
        elif role == "assistant":
            text = text_of(content, at)
            blocks = [spell.text(text)] if text else []
            for call_id, name, args in tool_calls(message, where):
                names[call_id] = name
                blocks.append(spell.call(call_id, name, args))
            turns.append((spell.assistant, blocks))
        elif role == "tool":
            call_id = tool_call_id(message, where)
            result = spell.result(call_id, names.get(call_id), text_of(content, at), where)
            turns.append(("user", [result]))
        else:
            raise invalid(f"{where}.role", f"{provider} has no '{role}' role.")
    merged: list[tuple[str, list]] = []
    for role, blocks in turns:
        if merged and merged[-1][0] == role:
            merged[-1][1].extend(blocks)
        elif blocks:
            merged.append((role, blocks))
    if not merged:
        raise invalid("messages", "The messages hold no user or assistant content to send.")
    for _, blocks in merged:
        blocks.sort(key=lambda block: not spell.is_result(block))  # a stable sort
    return system, merged
