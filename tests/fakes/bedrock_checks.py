"""What the fake Bedrock Runtime refuses in a request body, as Bedrock does.

Converse bodies against botocore's own service model (field names, required members, unions,
enums, ranges), then Bedrock's conversation rules (turns start with user and alternate, a
toolResult answers a toolUse of the turn before, toolConfig whenever tool blocks appear);
InvokeModel bodies for Titan Text Embeddings and Cohere Embed.
"""

import base64
import binascii
import re
from functools import cache

from tests.fakes.server import Refused


def need(ok, message: str, status: int = 400) -> None:
    if not ok:
        raise Refused(message, status)


def converse_body(body: dict, operation: str) -> None:
    """A Converse or ConverseStream body: botocore's input shape, then Bedrock's turn rules."""
    shape = _service().operation_model(operation).input_shape
    _shape(body, shape, "", body_only=True)
    _conversation(body)


@cache
def _service():
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model("bedrock-runtime", "service-2"))


def _shape(value, shape, where: str, body_only: bool = False) -> None:
    """Check `value` against a botocore shape as rest-json sends it (blobs as base64)."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure" and meta.get("document"):
        return
    if kind == "structure":
        need(isinstance(value, dict), f"{where or 'body'}: expected an object")
        members = {
            name: member
            for name, member in shape.members.items()
            if not (body_only and member.serialization.get("location"))
        }
        for name in value:
            need(name in members, f"Unknown parameter {where + name!r}")
        for name in shape.required_members:
            need(
                name in value or name not in members, f"Missing required parameter {where + name!r}"
            )
        need(
            not shape.is_tagged_union or len(value) == 1,
            f"{where or 'body'}: set exactly one member",
        )
        for name, item in value.items():
            _shape(item, members[name], f"{where}{name}.")
    elif kind == "list":
        need(isinstance(value, list), f"{where}: expected a list")
        need(
            meta.get("min", 0) <= len(value) <= meta.get("max", len(value)),
            f"{where}: list length out of range",
        )
        for i, item in enumerate(value):
            _shape(item, shape.member, f"{where}{i}.")
    elif kind == "map":
        need(isinstance(value, dict), f"{where}: expected a map")
    elif kind == "string":
        need(isinstance(value, str), f"{where}: expected a string")
        need(
            not shape.enum or value in shape.enum, f"{where}: {value!r} is not one of {shape.enum}"
        )
        need(
            meta.get("min", 0) <= len(value) <= meta.get("max", len(value)),
            f"{where}: length out of range",
        )
        need(
            not meta.get("pattern") or re.fullmatch(meta["pattern"], value),
            f"{where}: does not match the pattern",
        )
    elif kind in ("integer", "long", "float", "double"):
        need(
            isinstance(value, int | float) and not isinstance(value, bool),
            f"{where}: expected a number",
        )
        need(kind in ("float", "double") or isinstance(value, int), f"{where}: expected an integer")
        need(
            meta.get("min", value) <= value <= meta.get("max", value),
            f"{where}: {value} out of range",
        )
    elif kind == "boolean":
        need(isinstance(value, bool), f"{where}: expected a boolean")
    elif kind == "blob":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise Refused(f"{where}: expected base64 bytes") from None


def _conversation(body: dict) -> None:
    messages = body.get("messages") or []
    need(
        messages and messages[0]["role"] == "user", "A conversation must start with a user message."
    )
    uses: set[str] = set()
    for i, turn in enumerate(messages):
        need(
            i == 0 or messages[i - 1]["role"] != turn["role"],
            "A conversation must alternate between user and assistant roles.",
        )
        blocks = turn["content"]
        need(blocks, f"messages.{i}.content: must not be empty")
        results = {b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b}
        need(
            results <= uses,
            "The toolUseId of a toolResult does not match a toolUse of the previous turn.",
        )
        uses = {b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b}
        tooling = uses or results
        need(
            not tooling or "toolConfig" in body,
            "The toolConfig field must be defined when using toolUse and toolResult content "
            "blocks.",
        )


def invoke_body(body: dict, model: str) -> None:
    """The InvokeModel body of a Titan Text Embeddings or Cohere Embed model."""
    if "amazon.titan-embed-text" in model:
        need(
            set(body) <= {"inputText", "dimensions", "normalize", "embeddingTypes"},
            "extraneous key in the Titan body",
        )
        need(
            isinstance(body.get("inputText"), str) and body["inputText"],
            "inputText: required string",
        )
        need(body.get("dimensions", 1024) in (256, 512, 1024), "dimensions: 256, 512 or 1024")
    elif "cohere.embed" in model:
        allowed = {
            "texts",
            "images",
            "input_type",
            "truncate",
            "embedding_types",
            "output_dimension",
        }
        need(set(body) <= allowed, "extraneous key in the Cohere Embed body")
        texts = body.get("texts")
        need(isinstance(texts, list) and 0 < len(texts) <= 96, "texts: 1 to 96 strings")
        need(
            body.get("input_type")
            in ("search_document", "search_query", "classification", "clustering"),
            "input_type: required",
        )
        need(
            set(body.get("embedding_types", [])) <= {"float", "int8", "uint8", "binary", "ubinary"},
            "embedding_types: invalid",
        )
    else:
        raise Refused(f"The fake has no model {model}", 404)
