"""Google Gemini batchEmbedContents to and from OpenAI embeddings.

https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
One request per input: several parts in one request's content would give a single vector.
"""

from collections.abc import Mapping

from models_api.errors import BadGateway
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.google_chat import error_message

PROVIDER = "google"
__all__ = ["embeddings_request", "embeddings_response", "error_message"]
MAX_INPUTS = 100  # Gemini refuses larger batches


def embeddings_request(body: Mapping, *, model: str) -> dict:
    """The :batchEmbedContents body for an OpenAI embeddings body."""
    texts = shapes.embedding_inputs(body, provider=PROVIDER, most=MAX_INPUTS)
    shapes.encoding_format(body)  # base64 is built by the gateway from the floats
    name = model if model.startswith("models/") else f"models/{model}"
    extra = {}
    if body.get("dimensions") is not None:
        extra["outputDimensionality"] = req.positive_int(body["dimensions"], "dimensions")
    return {
        "requests": [{"model": name, "content": {"parts": [{"text": t}]}, **extra} for t in texts]
    }


def embeddings_response(
    data: object, *, model: str, inputs: int, encoding_format: str = "float"
) -> dict:
    """OpenAI's embedding list for a :batchEmbedContents answer of `inputs` inputs.

    Gemini reports no token counts, so usage is 0 unless an answer carries usageMetadata.
    """
    data = shapes.obj(data, PROVIDER)
    embeddings = shapes.seq(data.get("embeddings"), PROVIDER, "embeddings")
    if len(embeddings) != inputs:
        raise BadGateway(
            f"google sent {len(embeddings)} embeddings for {inputs} inputs.", provider=PROVIDER
        )
    vectors = [shapes.obj(e, PROVIDER, "embedding").get("values") for e in embeddings]
    meta = shapes.obj(data.get("usageMetadata") or {}, PROVIDER, "usageMetadata")
    tokens = shapes.count(meta.get("promptTokenCount"), PROVIDER)
    return shapes.embedding_list(
        vectors,
        model=model,
        prompt_tokens=tokens,
        encoding_format=encoding_format,
        provider=PROVIDER,
    )
