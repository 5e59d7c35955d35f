"""The settings file read besides the environment: `.env` in the project folder by default.

GATEWAY_ENV_FILE names another file (relative paths: to the project folder), or, set empty,
none: the test suite sets it so, so that the `.env` a local `make run` writes (plain-HTTP
cookies, its own secrets) never changes the settings the tests check.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

DEFAULT = ".env"


def env_file(value: str, base_dir: Path) -> Path | None:
    """The file GATEWAY_ENV_FILE's value names, None when it is empty."""
    return base_dir / value.strip() if value.strip() else None


def read_env_file(base_dir: Path) -> None:
    """Add the file's settings to the environment; a variable already set wins over the file."""
    # django-environ reads a variable set empty as unset only when the default is None.
    value = environ.Env().str("GATEWAY_ENV_FILE", default=DEFAULT)
    path = env_file(value, base_dir)
    if path is None:
        return
    if value != DEFAULT and not path.is_file():
        raise ImproperlyConfigured(f"Setting GATEWAY_ENV_FILE names {path}, which is not a file.")
    environ.Env.read_env(path)
