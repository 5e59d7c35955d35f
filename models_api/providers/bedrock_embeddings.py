"""Bedrock InvokeModel embeddings (Titan Text Embeddings, Cohere Embed) to and from OpenAI.

https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html
InvokeModel takes one model-specific body per call: Titan embeds one text per call, Cohere up
to 96. The route POSTs each body of embeddings_request, in order, to /model/{id}/invoke and
hands the list of decoded answers (and each call's X-Amzn-Bedrock-Input-Token-Count header)
to embeddings_response.
"""

from collections.abc import Mapping, Sequence

from models_api.errors import BadGateway
from models_api.providers import cohere_embeddings
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.bedrock_chat import error_message

PROVIDER = "bedrock"
__all__ = ["embeddings_request", "embeddings_response", "error_message", "token_count"]
REGION_PREFIXES = frozenset({"us", "eu", "apac", "au", "ca", "jp", "global", "us-gov"})


def family(model: str) -> str:
    """'titan' or 'cohere' for a model id, inference profile or ARN ending in one."""
    base = model.rsplit("/", 1)[-1]
    prefix, _, rest = base.partition(".")
    base = rest if prefix in REGION_PREFIXES else base
    if base.startswith("amazon.titan-embed-text"):
        return "titan"
    if base.startswith("cohere.embed"):
        return "cohere"
    raise req.invalid(
        "model", "bedrock embeddings take Titan Text Embeddings or Cohere Embed model ids."
    )


def embeddings_request(body: Mapping, *, model: str) -> list[dict]:
    """The InvokeModel bodies, one per call, for an OpenAI embeddings body."""
    texts = shapes.embedding_inputs(body, provider=PROVIDER)
    shapes.encoding_format(body)
    if family(model) == "titan":
        extra = {}
        if body.get("dimensions") is not None:
            extra["dimensions"] = req.positive_int(body["dimensions"], "dimensions")
        return [{"inputText": text, **extra} for text in texts]
    size = cohere_embeddings.MAX_INPUTS
    return [
        cohere_embeddings.embed_fields(body, texts[i : i + size])
        for i in range(0, len(texts), size)
    ]


def token_count(headers: Mapping[str, str]) -> int | None:
    """The input tokens InvokeModel counted, from its X-Amzn-Bedrock-Input-Token-Count header
    (Cohere Embed's body has no count)."""
    value = (headers.get("X-Amzn-Bedrock-Input-Token-Count") or "").strip()
    return int(value) if value.isdigit() else None


def embeddings_response(
    data: object,
    *,
    model: str,
    inputs: int,
    encoding_format: str = "float",
    token_counts: Sequence[int | None] = (),
) -> dict:
    """OpenAI's embedding list for the answers (a list, one per call) of `inputs` inputs."""
    answers = data if isinstance(data, list) else [data]
    vectors, tokens = [], 0
    for i, answer in enumerate(answers):
        answer = shapes.obj(answer, PROVIDER)
        if "embedding" in answer:  # Titan
            vectors.append(answer["embedding"])
            counted = answer.get("inputTextTokenCount")
        else:
            vectors.extend(cohere_embeddings.vectors(answer, PROVIDER))
            counted = None
        if counted is None and i < len(token_counts):
            counted = token_counts[i]
        tokens += shapes.count(counted, PROVIDER)
    if len(vectors) != inputs:
        raise BadGateway(
            f"bedrock sent {len(vectors)} embeddings for {inputs} inputs.", provider=PROVIDER
        )
    return shapes.embedding_list(
        vectors,
        model=model,
        prompt_tokens=tokens,
        encoding_format=encoding_format,
        provider=PROVIDER,
    )
