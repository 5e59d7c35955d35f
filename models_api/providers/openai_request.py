"""Readers of the OpenAI request that every native-provider translation shares.

Pure code: each raises InvalidRequest naming the OpenAI parameter it cannot take.
https://platform.openai.com/docs/api-reference/chat/create
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from models_api.errors import InvalidRequest

# OpenAI fields whose effect no native translation reproduces, with the value that means "off":
# anything else is refused rather than silently dropped.
UNSUPPORTED = {
    "n": 1,
    "logprobs": False,
    "top_logprobs": None,
    "logit_bias": {},
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "audio": None,
    "modalities": ["text"],
    "web_search_options": None,
}
DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,;]*)*?;base64,(?P<data>.*)$", re.S)


def no_completions(provider: str) -> NoReturn:
    """Legacy /v1/completions on a provider that only has a chat API."""
    message = f"{provider} has no /v1/completions API; use /v1/chat/completions."
    raise InvalidRequest(message, code="unsupported_endpoint")


@dataclass(frozen=True)
class Param:
    """Where one OpenAI field goes in the provider body (a dotted path), and how it changes shape.

    `transform(value, name)` returns the provider's value, or None to send nothing.
    """

    to: str
    transform: Callable[[Any, str], Any] | None = None


def apply(body: Mapping, table: Mapping[str, Param], out: dict) -> dict:
    """Copy each field of `table` present in `body` into `out`; later entries win on one path."""
    for name, param in table.items():
        value = body.get(name)
        if value is not None and param.transform:
            value = param.transform(value, name)
        if value is not None:
            put(out, param.to, value)
    return out


def put(out: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        out = out.setdefault(key, {})
    out[leaf] = value


def refuse(body: Mapping, names: Iterable[str], provider: str) -> None:
    """InvalidRequest for the first field in `names` set to anything but its "off" value."""
    for name in names:
        value = body.get(name)
        if value is not None and value != UNSUPPORTED.get(name):
            message = f"{provider} cannot honour '{name}' ({json.dumps(value)[:40]}); remove it."
            raise InvalidRequest(message, param=name, code="unsupported_parameter")


def invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=param)


def number(low: float, high: float) -> Callable[[Any, str], float]:
    """A transform that lets through numbers from `low` to `high`."""

    def check(value: Any, name: str) -> float:
        if type(value) not in (int, float) or not low <= value <= high:  # bool is no number here
            raise invalid(name, f"'{name}' must be a number from {low} to {high} here.")
        return value

    return check


def whole(low: int | None = None) -> Callable[[Any, str], int]:
    """A transform that lets through integers of at least `low`."""

    def check(value: Any, name: str) -> int:
        if type(value) is not int or low is not None and value < low:
            floor = "" if low is None else f" of at least {low}"
            raise invalid(name, f"'{name}' must be a whole number{floor}.")
        return value

    return check


positive_int = whole(1)
integer = whole()


def stop_list(value: Any, name: str) -> list[str] | None:
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise invalid(name, f"'{name}' must be a string or a list of non-empty strings.")
    return stops or None


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


def functions(body: Mapping) -> list[dict]:
    """The function tools as {name, description?, parameters?, strict?}."""
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise invalid("tools", "'tools' must be a list.")
    found = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise invalid(f"tools[{i}]", "Only function tools can be sent to this provider.")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise invalid(f"tools[{i}].function.name", "Each tool needs a function name.")
        found.append(function)
    return found


def tool_choice(body: Mapping) -> tuple[str, str | None] | None:
    """('auto' | 'none' | 'required' | 'named', name) or None when not given."""
    choice = body.get("tool_choice")
    if choice is None:
        return None
    if choice in ("auto", "none"):
        return choice, None
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if choice != "required" and not isinstance(name, str):
        raise invalid("tool_choice", "'tool_choice' must be auto, none, required or a function.")
    names = [f.get("name") for f in functions(body)]
    if choice == "required" and not names or name is not None and name not in names:
        raise invalid("tool_choice", "'tool_choice' names a tool that 'tools' does not declare.")
    return ("required", None) if choice == "required" else ("named", name)


def response_format(body: Mapping) -> tuple[str, dict | None]:
    """('text' | 'json_object' | 'json_schema', the json_schema object or None)."""
    found = body.get("response_format")
    kind = found.get("type") if isinstance(found, dict) else None
    if found is None or kind == "text":
        return "text", None
    if kind == "json_object":
        return kind, None
    spec = found.get("json_schema")
    if kind == "json_schema" and isinstance(spec, dict) and isinstance(spec.get("schema"), dict):
        return kind, spec
    raise invalid("response_format", "'response_format' must be text, json_object or json_schema.")


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
