"""A fake Bedrock Runtime: /model/{id}/converse, /converse-stream (eventstream) and /invoke.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
Checks: SigV4 Authorization for service `bedrock` (the signature itself when the fake knows the
secret) or a Bearer API key; then the body, as Bedrock would (bedrock_checks.py).
Errors are {"message"} with x-amzn-ErrorType, as Bedrock sends them.

    with FakeBedrock(access_key="AKID", secret_key="SECRET") as fake:
        fake.queue(fake.reply(answer(text="Hi"), stream=True))
"""

import re

from tests.fakes import eventstream
from tests.fakes.bedrock_checks import converse_body, invoke_body, need
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
        need(isinstance(body, dict), "The request body must be a JSON object.")
        model = request.path.split("/")[2]
        if match["op"] == "invoke":
            invoke_body(body, model)
        else:
            converse_body(body, OPERATIONS[match["op"]])

    def _auth(self, request: Recorded) -> None:
        header = request.headers.get("authorization", "")
        if self.api_key and header == f"Bearer {self.api_key}":
            return
        found = AUTH.match(header)
        need(found and "x-amz-date" in request.headers, "Missing Authentication Token", 403)
        need(
            found["service"] == "bedrock",
            "Credential should be scoped to correct service: 'bedrock'.",
            403,
        )
        need(
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
