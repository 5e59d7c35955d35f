"""POST /v1/chat/completions: OpenAI's chat completions, on every provider the gateway routes to."""

from drf_spectacular.utils import extend_schema_view

from models_api.api.call_schema import chat_schema
from models_api.api.calls import ModelCallView


@extend_schema_view(post=chat_schema)
class ChatCompletionsView(ModelCallView):
    capability = "chat"
