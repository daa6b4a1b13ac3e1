"""gunicorn settings for serving the API: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import datetime
import json
import logging
import os
import sys

from gunicorn import glogging

# The project's own modules (config.py, wsgi.py, gunicorn_worker.py) sit beside this file;
# gunicorn may be started from any directory, with or without --chdir.
PROJECT_DIR = os.path.dirname(os.path.abspath(__file__))
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)

from config import env_bool, env_int  # noqa: E402  (needs the path above)
from gunicorn_worker import DEFAULT_THREADS  # noqa: E402

APP_LOGGER = "community_store_api"


def _cpu_count():
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Loopback by default: the service is meant to sit behind nginx on the same machine.
# gunicorn's own PORT handling would bind 0.0.0.0, so PORT is read here instead.
bind = os.environ.get("BIND") or f"127.0.0.1:{env_int('PORT', 8000)}"
# wsgi.py is found whatever directory gunicorn was started from (--chdir still wins).
chdir = PROJECT_DIR
workers = env_int("WEB_CONCURRENCY", 2 * _cpu_count() + 1)
# Threaded workers: a client that is slow to send its request holds one thread, not a
# whole process, so a few of them cannot stall the others or the health checks. gunicorn's
# error answers (414, 431, 400, ...) come in the API's JSON error shape.
worker_class = "gunicorn_worker.ThreadWorker"
threads = env_int("THREADS", DEFAULT_THREADS)
# On SQLite a worker answers requests one at a time, in arrival order (gunicorn_worker.py);
# REQUEST_TURNS says so for any database (1) or none (0).
if "REQUEST_TURNS" in os.environ:
    os.environ["REQUEST_TURNS"] = "1" if env_bool("REQUEST_TURNS") else "0"
# A worker that stops answering the master for this long is killed and restarted; a client
# silent this long in the middle of its request is disconnected.
timeout = env_int("TIMEOUT", 30)
# On SIGTERM, workers finish the requests they are serving for up to this long.
graceful_timeout = env_int("GRACEFUL_TIMEOUT", 30)
keepalive = env_int("KEEPALIVE", 5)
# The longest request line and header line, equal to nginx's (deploy/nginx.conf,
# large_client_header_buffers 4 8k): 8,190 bytes, gunicorn's maximum. The API's `id` filter
# (at most 250 ids) fits the line with room to spare. gunicorn counts a header line's CRLF
# and nginx may add a little (a space after the colon, `, <address>` to X-Forwarded-For),
# hence the margin.
limit_request_line = 8190
limit_request_field_size = 8190 + 2 + 64
# Workers recycle themselves after this many requests (0: never); jitter spreads restarts.
max_requests = env_int("MAX_REQUESTS", 0)
max_requests_jitter = env_int("MAX_REQUESTS_JITTER", 0)
# The application is imported by each worker, never before the fork: a database
# connection opened by the master would be shared by every worker.
preload_app = False
# The heartbeat file lives in memory where possible (a disk-backed /tmp can stall it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "community-store-api"
# gunicornc's control socket only where asked for: its default path is one per user, which
# a second instance on the same machine would take over.
if os.environ.get("CONTROL_SOCKET"):
    control_socket = os.environ["CONTROL_SOCKET"]
else:
    control_socket_disable = True

# gunicorn derives the URL scheme from X-Forwarded-Proto when the peer is trusted; the
# service trusts forwarded headers only when told to, so gunicorn follows the same switch.
if "FORWARDED_ALLOW_IPS" not in os.environ and not env_bool("TRUST_PROXY_HEADERS"):
    forwarded_allow_ips = ""

accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info")
# Who called (the proxy's client address), what, the answer, how long, the request id the
# caller can quote and the integration that made the call.
access_log_format = (
    '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(B)s %(M)sms '
    'request_id=%({x-request-id}o)s client_id=%({x-client-id}o)s "%(a)s"'
)
LOG_JSON = env_bool("LOG_JSON")


def _iso_now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: access records keep their fields, others their message."""

    def format(self, record):
        access = getattr(record, "cs_access", None)
        if access is not None:
            return json.dumps(access, separators=(",", ":"))
        line = {
            "time": _iso_now(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"))


# The token endpoint reads no query parameters; any sent there may be a client secret, so
# its query string never reaches the logs.
TOKEN_PATH = os.environ.get("TOKEN_PATH") or "/oauth/2.0/token"
REDACTED = "[redacted]"


def _redact_token_query(atoms, environ):
    if not atoms["q"] or not (atoms["U"] or "").rstrip("/").endswith(TOKEN_PATH):
        return atoms
    uri = environ["RAW_URI"].partition("?")[0]
    atoms["r"] = f"{atoms['m']} {uri}?{REDACTED} {atoms['H']}"
    atoms["q"] = atoms["{query_string}e"] = REDACTED
    atoms["{raw_uri}e"] = f"{uri}?{REDACTED}"
    return atoms


def _header(atoms, key):
    value = atoms.get(key)
    return None if value in (None, "-", "") else value


class ServiceLogger(glogging.Logger):
    """gunicorn's logger, which also carries the API's own log lines, as text or JSON."""

    def setup(self, cfg):
        super().setup(cfg)
        if LOG_JSON:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())
        # The API logs its warnings and errors (with request ids) next to gunicorn's.
        app_log = logging.getLogger(APP_LOGGER)
        app_log.handlers = list(self.error_log.handlers)
        app_log.setLevel(self.loglevel)
        app_log.propagate = False

    def atoms(self, resp, req, environ, request_time):
        return _redact_token_query(super().atoms(resp, req, environ, request_time), environ)

    def access(self, resp, req, environ, request_time):
        if not LOG_JSON:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        duration = request_time.total_seconds() * 1000
        record = {
            "time": _iso_now(),
            "type": "access",
            "remote_addr": atoms["h"],
            "forwarded_for": _header(atoms, "{x-forwarded-for}i"),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "duration_ms": round(duration, 3),
            "request_id": _header(atoms, "{x-request-id}o"),
            "client_id": _header(atoms, "{x-client-id}o"),
            "user_agent": _header(atoms, "{user-agent}i"),
        }
        self.access_log.info("access", extra={"cs_access": record})
        return None


logger_class = ServiceLogger
