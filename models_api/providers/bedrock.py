"""AWS Bedrock foundation models: SigV4-signed (or Bedrock API key) ListFoundationModels."""

import re
from collections.abc import Mapping

from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
SIGNED_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class SigV4Signer:
    """A requests auth callable: signs each prepared request, so every retry is signed anew."""

    def __init__(self, key_id: str, secret: str, token: str | None, region: str):
        # botocore is imported on first use: it adds ~10 MB to every worker otherwise.
        from botocore.credentials import Credentials

        self.credentials = Credentials(key_id, secret, token)
        self.region = region

    def __call__(self, request):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(method=request.method, url=request.url, data=request.body or b"")
        SigV4Auth(self.credentials, "bedrock", self.region).add_auth(signed)
        for name in SIGNED_HEADERS:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        return request


class BedrockClient(common.Client):
    slug = "bedrock"
    option_keys = frozenset({"aws_region", "aws_access_key_id", "aws_session_token"})

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        errors = super().check_options(options, base_url)
        region = options.get("aws_region")
        if not region:
            errors.append("bedrock needs the aws_region option (e.g. us-east-1).")
        elif not REGION_PATTERN.match(region):
            errors.append(f"aws_region {region!r} is not an AWS region such as 'us-east-1'.")
        if options.get("aws_session_token") and not options.get("aws_access_key_id"):
            errors.append("aws_session_token needs aws_access_key_id as well.")
        return errors

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        # Filters such as byProvider or byOutputModality pass through; the API has no paging.
        params = common.pass_through(query, provider=self.slug)
        data = common.obj(self._get(target, "/foundation-models", params), self.slug)
        items = common.items(data, "modelSummaries", self.slug)
        return ModelList(tuple(self._model(item) for item in items))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetFoundationModel.html
        path = "/foundation-models/" + common.model_path(model_id, self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = common.obj(self._get(target, path, {}), self.slug)
        return self._model(common.obj(data.get("modelDetails"), self.slug))

    def _get(self, target: Target, path: str, params: dict) -> object:
        # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html
        self.require_valid(target)
        region = target.options["aws_region"]
        url = common.base_url(target, f"https://bedrock.{region}.amazonaws.com") + path
        key_id = target.options.get("aws_access_key_id")
        if not key_id:  # a Bedrock API key: https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
            headers = {"Authorization": f"Bearer {target.credential}"}
            return http.get_json(url, provider=self.slug, headers=headers, params=params)
        token = target.options.get("aws_session_token") or None
        signer = SigV4Signer(key_id, target.credential, token, region)
        return http.get_json(
            url,
            provider=self.slug,
            params=params,
            auth=signer,
            secrets=[target.credential, token or ""],
        )

    def _model(self, item: dict) -> Model:
        return Model(
            id=common.text(item, "modelId", self.slug),
            owned_by=common.opt_str(item.get("providerName")) or self.slug,
            name=common.opt_str(item.get("modelName")),
            input_modalities=common.strs(item.get("inputModalities"), lower=True),
            output_modalities=common.strs(item.get("outputModalities"), lower=True),
            # Without ON_DEMAND a model can only be called through provisioned throughput.
            capabilities=common.strs(item.get("inferenceTypesSupported"), lower=True),
        )
