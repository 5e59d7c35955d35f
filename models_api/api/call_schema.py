"""The OpenAPI description of the call routes: OpenAI's request and answer shapes, errors.

The serializers only document: bodies are read by read_json_body and forwarded with every
field kept, so the request schemas name the common fields and allow any other.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from models_api.api.schema import ERRORS, HEADERS, ErrorSerializer

MODEL_HELP = (
    "A catalog id @<virtual-key>/<model> or a plain id from GET /v1/models; with "
    "x-portkey-provider or x-portkey-virtual-key, the provider's own model id."
)


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField(required=False)
    total_tokens = serializers.IntegerField()


class ChatRequestSerializer(serializers.Serializer):
    model = serializers.CharField(help_text=MODEL_HELP)
    messages = serializers.ListField(child=serializers.DictField())
    stream = serializers.BooleanField(required=False, default=False)
    stream_options = serializers.DictField(required=False, help_text="e.g. include_usage.")
    max_tokens = serializers.IntegerField(required=False)
    temperature = serializers.FloatField(required=False)
    tools = serializers.ListField(child=serializers.DictField(), required=False)


class ChatChoiceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    message = serializers.DictField(help_text="role, content, tool_calls.")
    finish_reason = serializers.CharField(allow_null=True)


class ChatCompletionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "chat.completion".')
    created = serializers.IntegerField()
    model = serializers.CharField()
    choices = ChatChoiceSerializer(many=True)
    usage = UsageSerializer(required=False)


class CompletionRequestSerializer(serializers.Serializer):
    model = serializers.CharField(help_text=MODEL_HELP)
    prompt = serializers.JSONField(help_text="A string, a list of strings, or token lists.")
    stream = serializers.BooleanField(required=False, default=False)
    max_tokens = serializers.IntegerField(required=False)


class CompletionChoiceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    text = serializers.CharField()
    finish_reason = serializers.CharField(allow_null=True)


class CompletionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "text_completion".')
    created = serializers.IntegerField()
    model = serializers.CharField()
    choices = CompletionChoiceSerializer(many=True)
    usage = UsageSerializer(required=False)


class EmbeddingRequestSerializer(serializers.Serializer):
    model = serializers.CharField(help_text=MODEL_HELP)
    input = serializers.JSONField(help_text="A string, a list of strings, or token lists.")
    encoding_format = serializers.ChoiceField(choices=["float", "base64"], required=False)
    dimensions = serializers.IntegerField(required=False)


class EmbeddingSerializer(serializers.Serializer):
    object = serializers.CharField(help_text='Always "embedding".')
    index = serializers.IntegerField()
    embedding = serializers.JSONField(help_text="Floats, or a base64 string of float32s.")


class EmbeddingListSerializer(serializers.Serializer):
    object = serializers.CharField(help_text='Always "list".')
    data = EmbeddingSerializer(many=True)
    model = serializers.CharField()
    usage = UsageSerializer(required=False)


CALL_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(
        ErrorSerializer,
        description="A body that is not a JSON object with model, a bad header, an ambiguous "
        "plain model id, or a route the provider does not offer.",
    ),
    405: OpenApiResponse(ErrorSerializer, description="Only POST is supported."),
    413: OpenApiResponse(ErrorSerializer, description="Over GATEWAY_MAX_REQUEST_BYTES."),
}
STREAM = OpenApiResponse(
    OpenApiTypes.STR,
    description="With stream: true, server-sent events: one `data: <chunk JSON>` per chunk, "
    'then `data: [DONE]`; an error after the first byte is one `data: {"error": {...}}`.',
)


def _call_schema(operation: str, summary: str, request, answer, *, stream: bool):
    responses = {(200, "application/json"): answer}
    if stream:
        responses[(200, "text/event-stream")] = STREAM
    return extend_schema(
        operation_id=operation,
        summary=summary,
        parameters=HEADERS,
        request={"application/json": request},  # no DRF parser: read_json_body reads it
        responses={**responses, **CALL_ERRORS},
    )


chat_schema = _call_schema(
    "chat_completions_create",
    "Create a chat completion",
    ChatRequestSerializer,
    ChatCompletionSerializer,
    stream=True,
)
completions_schema = _call_schema(
    "completions_create",
    "Create a text completion",
    CompletionRequestSerializer,
    CompletionSerializer,
    stream=True,
)
embeddings_schema = _call_schema(
    "embeddings_create",
    "Create embeddings",
    EmbeddingRequestSerializer,
    EmbeddingListSerializer,
    stream=False,
)
