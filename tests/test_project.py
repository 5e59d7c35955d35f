"""The project's promises about itself: settings fail clearly, README and CI agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "SECRET_KEY": "s" * 60,
    "GATEWAY_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE=",
    "DATABASE_URL": "sqlite:///:memory:",
    "GATEWAY_ENV_FILE": "",  # no local .env: these tests need the environment alone
}


def start(**overrides) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process, with no .env, and the given environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "SECRET_"))}
    env.update(GOOD, DJANGO_SETTINGS_MODULE="gateway_project.settings")
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None}
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_good_settings_start():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SECRET_KEY", None, "Setting SECRET_KEY is missing"),
        ("GATEWAY_ENCRYPTION_KEYS", None, "Setting GATEWAY_ENCRYPTION_KEYS is missing"),
        ("GATEWAY_ENCRYPTION_KEYS", "not-a-fernet-key", "GATEWAY_ENCRYPTION_KEYS is malformed"),
        ("GATEWAY_UPSTREAM_TIMEOUT", "ten", "GATEWAY_UPSTREAM_TIMEOUT is malformed"),
        ("GATEWAY_UPSTREAM_TIMEOUT", "0", "GATEWAY_UPSTREAM_TIMEOUT must be greater than zero"),
        ("GATEWAY_REQUIRE_API_KEY", "maybe", "GATEWAY_REQUIRE_API_KEY"),
        ("GATEWAY_MODELS_CACHE_TTL", "5m", "GATEWAY_MODELS_CACHE_TTL is malformed"),
    ],
)
def test_missing_or_malformed_settings_fail_at_start_naming_the_setting(name, value, fragment):
    result = start(**{name: value})
    assert result.returncode != 0
    assert fragment in result.stderr
    assert "started" not in result.stdout


def test_readme_opens_with_the_commands_ci_uses():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci and "make test" in ci
    assert 'DATABASE_URL="$PG_URL" CACHE_URL="$REDIS_URL" make test' in ci
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run:", "test:", "lint:", "bench:"):
        assert f"\n{target}" in makefile
