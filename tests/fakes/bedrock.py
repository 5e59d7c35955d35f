"""A fake Bedrock Runtime: /model/{id}/converse, /converse-stream (eventstream) and /invoke.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
Checks: SigV4 Authorization for service `bedrock` (the signature itself when the fake knows the
secret) or a Bearer API key; Converse bodies against botocore's own service model (field names,
required members, unions, enums, ranges); toolConfig whenever tool blocks appear; turns that
start with user and alternate; InvokeModel bodies for Titan Text Embeddings and Cohere Embed.
Errors are {"message"} with x-amzn-ErrorType, as Bedrock sends them.

    with FakeBedrock(access_key="AKID", secret_key="SECRET") as fake:
        fake.queue(fake.reply(answer(text="Hi"), stream=True))
"""

import base64
import binascii
import re
from functools import cache

from tests.fakes import eventstream
from tests.fakes.server import FakeServer, Recorded, Refused, Reply, vector

PATH = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>converse|converse-stream|invoke)$")
AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
OPERATIONS = {"converse": "Converse", "converse-stream": "ConverseStream"}
EVENTSTREAM = "application/vnd.amazon.eventstream"


def answer(text="Hello from the fake.", *, tools=(), stop=None, usage=None) -> dict:
    """A Converse answer: `tools` are (toolUseId, name, input) blocks after the text."""
    content = [{"text": text}] if text else []
    content += [{"toolUse": {"toolUseId": i, "name": n, "input": a}} for i, n, a in tools]
    usage = usage or {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop or ("tool_use" if tools else "end_turn"),
        "usage": usage,
        "metrics": {"latencyMs": 12},
    }


def events(response: dict, *, pieces: int = 3) -> list[tuple[str, dict]]:
    """The ConverseStream events for `response` (text blocks have no start event)."""
    import json

    found = [("messageStart", {"role": "assistant"})]
    for i, block in enumerate(response["output"]["message"]["content"]):
        if "toolUse" in block:
            use = block["toolUse"]
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            found.append(("contentBlockStart", {"contentBlockIndex": i, "start": start}))
            whole, wrap = json.dumps(use["input"]), lambda piece: {"toolUse": {"input": piece}}
        else:
            whole, wrap = block["text"], lambda piece: {"text": piece}
        size = max(1, -(-len(whole) // pieces))
        for at in range(0, len(whole), size):
            delta = {"contentBlockIndex": i, "delta": wrap(whole[at : at + size])}
            found.append(("contentBlockDelta", delta))
        found.append(("contentBlockStop", {"contentBlockIndex": i}))
    found.append(("messageStop", {"stopReason": response["stopReason"]}))
    found.append(("metadata", {"usage": response["usage"], "metrics": {"latencyMs": 12}}))
    return found


def frames(found: list[tuple[str, dict]]) -> list[bytes]:
    return [eventstream.event(name, data) for name, data in found]


@cache
def _service():
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model("bedrock-runtime", "service-2"))


class FakeBedrock(FakeServer):
    def __init__(self, *, access_key="AKIDFAKE", secret_key=None, region="us-east-1", api_key=None):
        super().__init__()
        self.access_key, self.secret_key = access_key, secret_key
        self.region, self.api_key = region, api_key

    def reply(self, response: dict, *, stream: bool = False, **faults) -> Reply:
        if not stream:
            return Reply.json(200, response)
        return Reply.streamed(frames(events(response)), EVENTSTREAM, **faults)

    def error(self, status: int, message: str) -> Reply:
        kind = {403: "AccessDeniedException", 404: "ResourceNotFoundException"}.get(status)
        headers = {
            "x-amzn-ErrorType": f"{kind or 'ValidationException'}:http://internal.amazon.com/"
        }
        return Reply.json(status, {"message": message}, headers)

    def default(self, request: Recorded) -> Reply:
        match = PATH.match(request.raw_path)
        if match["op"] != "invoke":
            return self.reply(answer(), stream=match["op"] == "converse-stream")
        body = request.json()
        if "inputText" in body:
            found = {"embedding": vector(body["inputText"], body.get("dimensions", 4))}
            return Reply.json(200, {**found, "inputTextTokenCount": 3})
        floats = [vector(text) for text in body["texts"]]
        found = {"embeddings": {"float": floats}, "id": "emb-fake", "texts": body["texts"]}
        headers = {"X-Amzn-Bedrock-Input-Token-Count": str(2 * len(floats))}
        return Reply.json(200, {**found, "response_type": "embeddings_by_type"}, headers)

    def check(self, request: Recorded) -> None:
        match = PATH.match(request.raw_path)
        if request.method != "POST" or not match:
            raise Refused(f"Unknown operation {request.path}", 404)
        self._auth(request)
        try:
            body = request.json()
        except ValueError:
            raise Refused(
                "Malformed input request, please reformat your input and try again."
            ) from None
        _need(isinstance(body, dict), "The request body must be a JSON object.")
        model = request.path.split("/")[2]
        if match["op"] == "invoke":
            _invoke(body, model)
            return
        operation = _service().operation_model(OPERATIONS[match["op"]])
        _shape(body, operation.input_shape, "", body_only=True)
        _converse(body)

    def _auth(self, request: Recorded) -> None:
        header = request.headers.get("authorization", "")
        if self.api_key and header == f"Bearer {self.api_key}":
            return
        found = AUTH.match(header)
        _need(found and "x-amz-date" in request.headers, "Missing Authentication Token", 403)
        _need(
            found["service"] == "bedrock",
            "Credential should be scoped to correct service: 'bedrock'.",
            403,
        )
        _need(
            found["region"] == self.region and found["key"] == self.access_key,
            "The security token included in the request is invalid.",
            403,
        )
        if self.secret_key and found["sig"] != self._signature(request, found):
            raise Refused(
                "The request signature we calculated does not match the signature you provided.",
                403,
            )

    def _signature(self, request: Recorded, found: re.Match) -> str:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        signed = [name for name in found["signed"].split(";") if name != "host"]
        headers = {name: request.headers.get(name, "") for name in signed}
        url = f"http://{request.headers['host']}{request.raw_path}"
        aws = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
        aws.context["timestamp"] = request.headers["x-amz-date"]
        token = request.headers.get("x-amz-security-token")
        auth = SigV4Auth(
            Credentials(self.access_key, self.secret_key, token), "bedrock", self.region
        )
        return auth.signature(auth.string_to_sign(aws, auth.canonical_request(aws)), aws)


def _need(ok, message: str, status: int = 400) -> None:
    if not ok:
        raise Refused(message, status)


def _shape(value, shape, where: str, body_only: bool = False) -> None:
    """Check `value` against a botocore shape as rest-json sends it (blobs as base64)."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure" and meta.get("document"):
        return
    if kind == "structure":
        _need(isinstance(value, dict), f"{where or 'body'}: expected an object")
        members = {
            name: member
            for name, member in shape.members.items()
            if not (body_only and member.serialization.get("location"))
        }
        for name in value:
            _need(name in members, f"Unknown parameter {where + name!r}")
        for name in shape.required_members:
            _need(
                name in value or name not in members, f"Missing required parameter {where + name!r}"
            )
        _need(
            not shape.is_tagged_union or len(value) == 1,
            f"{where or 'body'}: set exactly one member",
        )
        for name, item in value.items():
            _shape(item, members[name], f"{where}{name}.")
    elif kind == "list":
        _need(isinstance(value, list), f"{where}: expected a list")
        _need(
            meta.get("min", 0) <= len(value) <= meta.get("max", len(value)),
            f"{where}: list length out of range",
        )
        for i, item in enumerate(value):
            _shape(item, shape.member, f"{where}{i}.")
    elif kind == "map":
        _need(isinstance(value, dict), f"{where}: expected a map")
    elif kind == "string":
        _need(isinstance(value, str), f"{where}: expected a string")
        _need(
            not shape.enum or value in shape.enum, f"{where}: {value!r} is not one of {shape.enum}"
        )
        _need(
            meta.get("min", 0) <= len(value) <= meta.get("max", len(value)),
            f"{where}: length out of range",
        )
        _need(
            not meta.get("pattern") or re.fullmatch(meta["pattern"], value),
            f"{where}: does not match the pattern",
        )
    elif kind in ("integer", "long", "float", "double"):
        _need(
            isinstance(value, int | float) and not isinstance(value, bool),
            f"{where}: expected a number",
        )
        _need(
            kind in ("float", "double") or isinstance(value, int), f"{where}: expected an integer"
        )
        _need(
            meta.get("min", value) <= value <= meta.get("max", value),
            f"{where}: {value} out of range",
        )
    elif kind == "boolean":
        _need(isinstance(value, bool), f"{where}: expected a boolean")
    elif kind == "blob":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise Refused(f"{where}: expected base64 bytes") from None


def _converse(body: dict) -> None:
    messages = body.get("messages") or []
    _need(
        messages and messages[0]["role"] == "user", "A conversation must start with a user message."
    )
    uses: set[str] = set()
    for i, turn in enumerate(messages):
        _need(
            i == 0 or messages[i - 1]["role"] != turn["role"],
            "A conversation must alternate between user and assistant roles.",
        )
        blocks = turn["content"]
        _need(blocks, f"messages.{i}.content: must not be empty")
        results = {b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b}
        _need(
            results <= uses,
            "The toolUseId of a toolResult does not match a toolUse of the previous turn.",
        )
        uses = {b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b}
        tooling = uses or results
        _need(
            not tooling or "toolConfig" in body,
            "The toolConfig field must be defined when using toolUse and toolResult content "
            "blocks.",
        )


def _invoke(body: dict, model: str) -> None:
    if "amazon.titan-embed-text" in model:
        _need(
            set(body) <= {"inputText", "dimensions", "normalize", "embeddingTypes"},
            "extraneous key in the Titan body",
        )
        _need(
            isinstance(body.get("inputText"), str) and body["inputText"],
            "inputText: required string",
        )
        _need(body.get("dimensions", 1024) in (256, 512, 1024), "dimensions: 256, 512 or 1024")
    elif "cohere.embed" in model:
        allowed = {
            "texts",
            "images",
            "input_type",
            "truncate",
            "embedding_types",
            "output_dimension",
        }
        _need(set(body) <= allowed, "extraneous key in the Cohere Embed body")
        texts = body.get("texts")
        _need(isinstance(texts, list) and 0 < len(texts) <= 96, "texts: 1 to 96 strings")
        _need(
            body.get("input_type")
            in ("search_document", "search_query", "classification", "clustering"),
            "input_type: required",
        )
        _need(
            set(body.get("embedding_types", [])) <= {"float", "int8", "uint8", "binary", "ubinary"},
            "embedding_types: invalid",
        )
    else:
        raise Refused(f"The fake has no model {model}", 404)
