"""Cohere /v2/embed to and from OpenAI embeddings.

https://docs.cohere.com/reference/embed
"""

from collections.abc import Mapping

from models_api.errors import BadGateway
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.cohere_chat import error_message

PROVIDER = "cohere"
__all__ = ["embeddings_request", "embeddings_response", "error_message"]
MAX_INPUTS = 96
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
# OpenAI has no input_type: text embedded through it is most often stored to be searched later.
# A caller can still send Cohere's own `input_type` field beside the OpenAI ones.
DEFAULT_INPUT_TYPE = "search_document"


def input_type(body: Mapping) -> str:
    found = body.get("input_type", DEFAULT_INPUT_TYPE)
    if found not in INPUT_TYPES:
        raise req.invalid("input_type", f"'input_type' must be one of {', '.join(INPUT_TYPES)}.")
    return found


def embed_fields(body: Mapping, texts: list[str]) -> dict:
    """The fields Cohere Embed takes, here and on Bedrock: floats always (base64 is built here)."""
    found = {"texts": texts, "input_type": input_type(body), "embedding_types": ["float"]}
    if body.get("dimensions") is not None:
        found["output_dimension"] = req.positive_int(body["dimensions"], "dimensions")
    return found


def embeddings_request(body: Mapping, *, model: str) -> dict:
    """The /v2/embed body for an OpenAI embeddings body."""
    texts = shapes.embedding_inputs(body, provider=PROVIDER, most=MAX_INPUTS)
    shapes.encoding_format(body)
    return {"model": model, **embed_fields(body, texts)}


def vectors(data: dict, provider: str) -> list:
    """The float vectors of an embed answer: {"embeddings": {"float": [...]}} or a bare list."""
    found = data.get("embeddings")
    if isinstance(found, dict):
        found = found.get("float")
    return shapes.seq(found, provider, "embeddings")


def embeddings_response(
    data: object, *, model: str, inputs: int, encoding_format: str = "float"
) -> dict:
    """OpenAI's embedding list for a /v2/embed answer of `inputs` inputs."""
    data = shapes.obj(data, PROVIDER)
    found = vectors(data, PROVIDER)
    if len(found) != inputs:
        raise BadGateway(
            f"cohere sent {len(found)} embeddings for {inputs} inputs.", provider=PROVIDER
        )
    meta = shapes.obj(data.get("meta") or {}, PROVIDER, "meta")
    units = meta.get("tokens") or meta.get("billed_units") or {}
    tokens = shapes.count(shapes.obj(units, PROVIDER, "meta").get("input_tokens"), PROVIDER)
    return shapes.embedding_list(
        found, model=model, prompt_tokens=tokens, encoding_format=encoding_format, provider=PROVIDER
    )
