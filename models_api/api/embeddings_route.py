"""POST /v1/embeddings: OpenAI's embeddings, where the provider offers them."""

from models_api.api.call_schema import embeddings_schema
from models_api.api.calls import ModelCallView, model_call


class EmbeddingsView(ModelCallView):
    capability = "embeddings"

    @embeddings_schema
    def post(self, request):
        return model_call(request, capability=self.capability)
