"""The provider tests' fixtures: a strict `responses` mock and retries that do not sleep."""

from tests.providers.conftest import mocked, sleeps  # noqa: F401  (fixtures, by name)
