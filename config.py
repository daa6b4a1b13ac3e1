"""Service settings: read from the environment once (Config), then validated once at
start-up into the Settings every part of the service reads (load_settings)."""

import ipaddress
import os
import re
import secrets
import stat
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_precision, get_currency_symbol, is_currency

# Where a Flask app keeps the API's state: app.extensions[EXTENSION].
EXTENSION = "community_store_api"
MIN_SECRET_BYTES = 32
# A random key of 32 characters or more has many more distinct characters (32 random hex
# digits: 14 on average, fewer than 8 once in 30 million keys); fewer betrays a typed
# placeholder such as "a" * 32.
MIN_SECRET_DISTINCT = 8

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
        self.CS_DATABASE_PREPARE = env_bool("DATABASE_PREPARE", True)
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
        self.CS_ALLOW_BACKORDERS = env_bool("ALLOW_BACKORDERS", False)
        self.CS_MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 100)
        self.CS_TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
        self.CS_PUBLIC_BASE_URL = env("PUBLIC_BASE_URL") or None
        self.CS_MAX_BODY_SIZE = env_int("MAX_BODY_SIZE", 1024 * 1024)
        # PATCH /stock's own limits: 10,000 lines of 100-character SKUs fit in 4 MiB.
        self.CS_MAX_BULK_BODY_SIZE = env_int("MAX_BULK_BODY_SIZE", 4 * 1024 * 1024)
        self.CS_MAX_BULK_LINES = env_int("MAX_BULK_LINES", 10_000)
        self.CS_API_PREFIX = env("API_PREFIX", "/cs/api/v1")
        self.CS_TOKEN_PATH = env("TOKEN_PATH", "/oauth/2.0/token")
        self.CS_WEBHOOK_ALLOWED_HOSTS = env("WEBHOOK_ALLOWED_HOSTS", "")
        self.CS_WEBHOOK_RETRY_SCHEDULE = env("WEBHOOK_RETRY_SCHEDULE") or None
        self.CS_WEBHOOK_TIMEOUT = env("WEBHOOK_TIMEOUT") or None
        self.CS_WEBHOOK_DISABLE_AFTER = env("WEBHOOK_DISABLE_AFTER") or None
        self.CS_WEBHOOK_POLL_INTERVAL = env("WEBHOOK_POLL_INTERVAL") or None
        self.CS_WEBHOOK_LEASE = env("WEBHOOK_LEASE") or None
        self.CS_EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 30)

    def as_dict(self):
        return {key: value for key, value in vars(self).items() if key.startswith("CS_")}


# --- validated settings ---


class ConfigurationError(RuntimeError):
    """A setting that would make the service misbehave; the service does not start."""


# Retries after a failed webhook attempt, in seconds from its end (events.md §3): 5 s,
# 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then the delivery has failed.
WEBHOOK_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True)
class WebhookSettings:
    """What the API, the CLI and the sender read about webhooks."""

    # Hosts (names or addresses, lower case) that may resolve to private addresses and be
    # reached over plain http: the operator's own receivers.
    allowed_hosts: frozenset = frozenset()
    retry_schedule: tuple = WEBHOOK_RETRY_SCHEDULE
    # Seconds an attempt may take, all of it (connecting, sending, the answer).
    timeout: float = 10.0
    # Seconds of failures with no success after which a subscription is disabled.
    disable_after: float = 3 * 24 * 3600.0
    # Seconds the sender sleeps when it found nothing to do.
    poll_interval: float = 0.25
    # Seconds a sender holds a claimed delivery: well over `timeout`, so a live sender's
    # claim never lapses while its attempt runs.
    lease: float = 60.0


@dataclass(frozen=True)
class Settings:
    api_prefix: str
    token_path: str
    timezone_name: str
    timezone: ZoneInfo
    currency_code: str
    currency_symbol: str
    currency_digits: int
    vat_number: bool
    max_page_size: int
    trust_proxy_headers: bool
    public_base_url: str | None
    token_secret: bytes
    token_lifetime: int
    token_issuer: str
    token_audience: str
    token_max_failures: int
    token_max_address_failures: int
    token_failure_window: int
    # An order may take more stock than there is, leaving negative levels.
    allow_backorders: bool = False
    webhooks: WebhookSettings = WebhookSettings()
    # Days the change feed keeps its events (`cs events prune`).
    event_retention_days: int = 30
    # The most lines of one PATCH /stock (or CSV import).
    max_bulk_lines: int = 10_000


def _timezone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"STORE_TIMEZONE {name!r} is not an IANA time zone name (e.g. Europe/Rome)"
        ) from None


def _currency(code):
    if not isinstance(code, str) or not is_currency(code):
        raise ConfigurationError(f"STORE_CURRENCY {code!r} is not an ISO 4217 currency code")
    return code


def _demo_secret(instance_path):
    """Generate the demo signing key once and keep it in the instance folder, so every
    worker process and every restart signs with the same key."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "demo-token-secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        value = secrets.token_urlsafe(48)
        fh.write(value)
    return value


def _token_secret(config, instance_path):
    secret = config.get("CS_TOKEN_SECRET")
    if not secret:
        if not config.get("CS_DEMO_MODE"):
            raise ConfigurationError(
                "TOKEN_SECRET is not set: set it to a random string of at least 32 bytes "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or set DEMO_MODE=1 to let the service generate one for a demo"
            )
        secret = _demo_secret(instance_path)
    raw = secret.encode() if isinstance(secret, str) else secret
    if len(raw) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"TOKEN_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
    _refuse_weak_secret(raw)
    return raw


def _refuse_weak_secret(raw):
    distinct = len(set(raw))
    if distinct < MIN_SECRET_DISTINCT:
        raise ConfigurationError(
            f"TOKEN_SECRET is not random: it has only {distinct} distinct characters "
            f"(at least {MIN_SECRET_DISTINCT} needed); generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def _positive(config, key, setting):
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"{setting} must be a positive integer, got {value!r}")
    return value


def _prefix(value, setting):
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
        raise ConfigurationError(f"{setting} must start with / and not end with /: {value!r}")
    return value


# --- hosts and ports: PUBLIC_BASE_URL here, forwarded headers in api.links ---

DEFAULT_PORTS = {"http": "80", "https": "443"}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A host name (an IPv4 literal is one too), with the optional dot of a fully qualified name.
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_PORT = re.compile(r"[0-9]{1,5}")


def valid_scheme(value):
    """`http` or `https` (any case, given in lower case), else None."""
    value = value.lower()
    return value if value in DEFAULT_PORTS else None


def valid_port(value):
    """A port number 1-65535 as a string without leading zeros, else None."""
    if not _PORT.fullmatch(value) or not 1 <= int(value) <= 65535:
        return None
    return str(int(value))


def valid_hostname(value):
    """A host name, an IPv4 literal or a bracketed IPv6 literal, as given; else None."""
    if value.startswith("[") and value.endswith("]") and "%" not in value:
        try:
            ipaddress.IPv6Address(value[1:-1])
        except ValueError:
            return None
        return value
    return value if len(value) <= 254 and _HOSTNAME.fullmatch(value) else None


def split_host(value):
    """(hostname, port or None) from a `host[:port]` value, or None if either is invalid."""
    hostname, colon, port = value.rpartition(":")
    if not colon or hostname.startswith("[") and not hostname.endswith("]"):
        # No port, or the colon was inside an IPv6 literal.
        hostname, port = value, None
    elif (port := valid_port(port)) is None:
        return None
    hostname = valid_hostname(hostname)
    return (hostname, port) if hostname else None


def _public_base_url(value):
    """PUBLIC_BASE_URL without its trailing slash, or None when it is not set."""
    if not value:
        return None
    problem = _base_url_problem(value)
    if problem:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL {value!r} {problem} (e.g. https://shop.example.com or "
            "https://example.com/store)"
        )
    return value.rstrip("/")


def _base_url_problem(value):
    if not isinstance(value, str):
        return "is not a string"
    parts = urlsplit(value)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return "is not an http(s) URL with a host"
    if split_host(parts.netloc) is None:
        return "must name a host (and port) and nothing else"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "may not have a query string or a fragment"
    if parts.path != quote(parts.path, safe="/%:@!$&'()*+,;=~"):
        return "must have a percent-encoded path"
    return None


def _seconds(config, key, setting, default, minimum=0.0):
    raw = config.get(key)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{setting} must be a number of seconds, got {raw!r}") from None
    if not minimum <= value < 10**9:
        raise ConfigurationError(f"{setting} must be at least {minimum} seconds, got {raw!r}")
    return value


def _schedule(raw):
    if raw is None or raw == "":
        return WEBHOOK_RETRY_SCHEDULE
    values = raw if isinstance(raw, (list, tuple)) else str(raw).replace(",", " ").split()
    try:
        schedule = tuple(float(value) for value in values)
    except (TypeError, ValueError):
        schedule = ()
    if not all(0 <= value < 10**9 for value in schedule):
        schedule = ()
    if not schedule and values:
        raise ConfigurationError(
            f"WEBHOOK_RETRY_SCHEDULE must be seconds separated by commas, got {raw!r}"
        )
    return schedule


def _allowed_hosts(raw):
    words = raw if isinstance(raw, (list, tuple, set, frozenset)) else (raw or "").split(",")
    hosts = set()
    for word in words:
        host = word.strip().lower().strip("[]")
        if host:
            hosts.add(host.rstrip("."))
    return frozenset(hosts)


def load_webhook_settings(config):
    settings = WebhookSettings(
        allowed_hosts=_allowed_hosts(config.get("CS_WEBHOOK_ALLOWED_HOSTS")),
        retry_schedule=_schedule(config.get("CS_WEBHOOK_RETRY_SCHEDULE")),
        timeout=_seconds(config, "CS_WEBHOOK_TIMEOUT", "WEBHOOK_TIMEOUT", 10, 0.1),
        disable_after=_seconds(
            config, "CS_WEBHOOK_DISABLE_AFTER", "WEBHOOK_DISABLE_AFTER", 3 * 24 * 3600
        ),
        poll_interval=_seconds(
            config, "CS_WEBHOOK_POLL_INTERVAL", "WEBHOOK_POLL_INTERVAL", 0.25, 0.01
        ),
        lease=_seconds(config, "CS_WEBHOOK_LEASE", "WEBHOOK_LEASE", 60, 1),
    )
    if settings.lease <= settings.timeout:
        raise ConfigurationError("WEBHOOK_LEASE must be longer than WEBHOOK_TIMEOUT")
    return settings


def load_settings(config, instance_path):
    tz_name = config.get("CS_STORE_TIMEZONE") or "UTC"
    code = _currency(config.get("CS_STORE_CURRENCY") or "USD")
    return Settings(
        api_prefix=_prefix(config["CS_API_PREFIX"], "API_PREFIX"),
        token_path=_prefix(config["CS_TOKEN_PATH"], "TOKEN_PATH"),
        timezone_name=tz_name,
        timezone=_timezone(tz_name),
        currency_code=code,
        currency_symbol=config.get("CS_STORE_CURRENCY_SYMBOL")
        or get_currency_symbol(code, locale="en_US"),
        currency_digits=get_currency_precision(code),
        vat_number=bool(config.get("CS_STORE_VAT_NUMBER")),
        max_page_size=_positive(config, "CS_MAX_PAGE_SIZE", "MAX_PAGE_SIZE"),
        trust_proxy_headers=bool(config.get("CS_TRUST_PROXY_HEADERS")),
        public_base_url=_public_base_url(config.get("CS_PUBLIC_BASE_URL")),
        token_secret=_token_secret(config, instance_path),
        token_lifetime=_positive(config, "CS_TOKEN_LIFETIME", "TOKEN_LIFETIME"),
        token_issuer=config["CS_TOKEN_ISSUER"],
        token_audience=config["CS_TOKEN_AUDIENCE"],
        token_max_failures=_positive(config, "CS_TOKEN_MAX_FAILURES", "TOKEN_MAX_FAILURES"),
        token_max_address_failures=_positive(
            config, "CS_TOKEN_MAX_ADDRESS_FAILURES", "TOKEN_MAX_ADDRESS_FAILURES"
        ),
        token_failure_window=_positive(config, "CS_TOKEN_FAILURE_WINDOW", "TOKEN_FAILURE_WINDOW"),
        allow_backorders=bool(config.get("CS_ALLOW_BACKORDERS")),
        webhooks=load_webhook_settings(config),
        event_retention_days=_positive(config, "CS_EVENT_RETENTION_DAYS", "EVENT_RETENTION_DAYS"),
        max_bulk_lines=_positive(config, "CS_MAX_BULK_LINES", "MAX_BULK_LINES"),
    )
