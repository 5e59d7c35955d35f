"""POST /v1/completions: OpenAI's legacy text completions, where the provider offers them."""

from models_api.api.call_schema import completions_schema
from models_api.api.calls import ModelCallView, model_call


class CompletionsView(ModelCallView):
    capability = "completions"

    @completions_schema
    def post(self, request):
        return model_call(request, capability=self.capability)
