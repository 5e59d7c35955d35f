"""POST /v1/chat/completions: OpenAI's chat completions, on every provider the gateway routes to."""

from models_api.api.call_schema import chat_schema
from models_api.api.calls import ModelCallView, model_call


class ChatCompletionsView(ModelCallView):
    capability = "chat"

    @chat_schema
    def post(self, request):
        return model_call(request, capability=self.capability)
