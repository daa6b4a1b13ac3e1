"""Service settings, each read from the environment once."""

import os

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    """Read a yes/no setting; anything unrecognised is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be a yes/no value, got {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


class Config:
    """Settings for the API; every key is prefixed CS_ inside a Flask app's config."""

    def __init__(self):
        env = os.environ.get
        # None means "a SQLite file in the app's instance folder".
        self.CS_DATABASE_URL = env("DATABASE_URL") or None
        self.CS_DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 10)
        self.CS_DATABASE_TIMEOUT = env_int("DATABASE_TIMEOUT", 5)
        self.CS_DATABASE_RETRY_AFTER = env_int("DATABASE_RETRY_AFTER", 5)
        self.CS_TOKEN_SECRET = env("TOKEN_SECRET") or None
        self.CS_TOKEN_LIFETIME = env_int("TOKEN_LIFETIME", 3600)
        self.CS_TOKEN_ISSUER = env("TOKEN_ISSUER", "community-store-api")
        self.CS_TOKEN_AUDIENCE = env("TOKEN_AUDIENCE", "community-store-api")
        self.CS_TOKEN_MAX_FAILURES = env_int("TOKEN_MAX_FAILURES", 10)
        self.CS_TOKEN_MAX_ADDRESS_FAILURES = env_int("TOKEN_MAX_ADDRESS_FAILURES", 50)
        self.CS_TOKEN_FAILURE_WINDOW = env_int("TOKEN_FAILURE_WINDOW", 300)
        self.CS_DEMO_MODE = env_bool("DEMO_MODE", False)
        self.CS_STORE_TIMEZONE = env("STORE_TIMEZONE", "UTC")
        self.CS_STORE_CURRENCY = env("STORE_CURRENCY", "USD")
        self.CS_STORE_CURRENCY_SYMBOL = env("STORE_CURRENCY_SYMBOL") or None
        self.CS_STORE_VAT_NUMBER = env_bool("STORE_VAT_NUMBER", False)
        self.CS_MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 100)
        self.CS_TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
        self.CS_MAX_BODY_SIZE = env_int("MAX_BODY_SIZE", 1024 * 1024)
        self.CS_API_PREFIX = env("API_PREFIX", "/cs/api/v1")
        self.CS_TOKEN_PATH = env("TOKEN_PATH", "/oauth/2.0/token")

    def as_dict(self):
        return {key: value for key, value in vars(self).items() if key.startswith("CS_")}
