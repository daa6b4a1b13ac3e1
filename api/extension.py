"""The Community Store API as a Flask extension: `init_app(app)` mounts everything."""

import logging
import os
import threading
from contextlib import contextmanager

from flask_smorest import Api
from peewee import InterfaceError, OperationalError

from api import (
    bulk_stock,
    converters,
    docs,
    events,
    fallback,
    health,
    openapi,
    orders,
    products,
    statuses,
    stock,
    webhooks,
)
from api import store_config as config_views
from api.auth import issuer
from api.fast_lane import FastLane
from api.schemas.common import ApiErrorSchema, StrictBoolean, StrictNumber
from commands import cli
from config import EXTENSION, Config, load_settings
from models.base import db, make_database
from models.schema import ensure_current
from store.config import __version__
from store.fields import documenting

RESOURCE_BLUEPRINTS = [
    config_views.blp,
    statuses.blp,
    orders.blp,
    products.blp,
    stock.blp,
    webhooks.blp,
    events.blp,
    bulk_stock.blp,
]

log = logging.getLogger("community_store_api")


class ApiState:
    """Everything the API keeps per Flask app, under app.extensions[EXTENSION]."""

    def __init__(self, settings, database):
        self.settings = settings
        self.database = database
        self._schema_checked = False
        self._lock = threading.Lock()

    @contextmanager
    def session(self):
        """Use the store's database in this thread for a `with` block, with a connection:
        how a host app (or a script) calls the store's operations outside our routes.

            with app.extensions["community_store_api"].session():
                order = store.orders.get_order(5, state.settings)
        """
        with db.bound(self.database), self.database.connection_context():
            yield self

    def check_schema(self):
        """Check the schema version once, on the first connection that succeeds."""
        if self._schema_checked:
            return
        with self._lock:
            if not self._schema_checked:
                ensure_current(self.database)
                self._schema_checked = True


class LocalApi(Api):
    """flask-smorest's Api without its app-wide error handler (a host app keeps its own),
    documenting our error shapes; api.docs serves the document and the docs page."""

    ERROR_SCHEMA = ApiErrorSchema
    # Each operation lists its own error responses (api.openapi), so no catch-all.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass

    def _register_pagination_header(self):
        # Our pagination is in the body's `meta`, not in flask-smorest's header.
        pass


def _defaults(app, overrides):
    for key, value in Config().as_dict().items():
        app.config.setdefault(key, value)
    for key, value in overrides.items():
        if value is not None:
            app.config[key] = value
    if not app.config["CS_DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["CS_DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "store.db")
    app.config.setdefault("CS_API_TITLE", "Community Store API")
    app.config.setdefault("CS_API_VERSION", __version__)
    # 3.1: its schemas are JSON Schema, so `null` is a type like any other.
    app.config.setdefault("CS_OPENAPI_VERSION", "3.1.0")
    # No flask-smorest doc blueprint: api.docs serves the document under our hooks.
    app.config["CS_OPENAPI_URL_PREFIX"] = None


def _open_api(app, settings):
    api = LocalApi(
        config_prefix="CS_",
        spec_kwargs={
            "servers": [{"url": "/"}],
            "info": {"description": openapi.DESCRIPTION},
            "extra_plugins": [openapi.ObjectRulesPlugin()],
        },
    )
    api.init_app(app)
    converters.register(app)
    api.register_field(StrictNumber, "number", None)
    api.register_field(StrictBoolean, "boolean", None)
    api.ma_plugin.converter.add_attribute_function(openapi.field_type_mapping)
    api.ma_plugin.converter.add_parameter_attribute_function(openapi.empty_means_absent)
    openapi.register_converters(api)
    api.register_blueprint(issuer.blp, url_prefix=settings.token_path)
    # Body schemas are described for this store: money has its currency's digits.
    with documenting(settings):
        openapi.register_components(api.spec, settings.token_path)
        for blueprint in RESOURCE_BLUEPRINTS:
            api.register_blueprint(blueprint, url_prefix=settings.api_prefix)
    app.register_blueprint(docs.blp, url_prefix=settings.api_prefix)
    return api


def check_schema_at_start(app):
    """Refuse to serve an outdated schema (SchemaOutdated propagates); when the database
    is unreachable, start anyway: requests get 503 and the check runs once it is back."""
    state = app.extensions[EXTENSION]
    try:
        with state.database.connection_context():
            state.check_schema()
    except (OperationalError, InterfaceError) as error:
        log.warning("database unreachable at start-up, serving 503 until it is back: %s", error)


def init_app(
    app,
    *,
    api_prefix=None,
    token_path=None,
    database_url=None,
    health_checks=True,
    fast_lane=False,
):
    """Mount the API, the token endpoint and (by default) /healthz and /readyz on a Flask app.

    `fast_lane`: answer the hottest plain reads in front of Flask (api.fast_lane), where
    the app's own app-wide hooks do not see them; `create_app` does. Nothing here connects
    to the database: see `check_schema_at_start` and the `cs db` commands.
    """
    _defaults(
        app,
        {"CS_API_PREFIX": api_prefix, "CS_TOKEN_PATH": token_path, "CS_DATABASE_URL": database_url},
    )
    settings = load_settings(app.config, app.instance_path)
    database = make_database(
        app.config["CS_DATABASE_URL"],
        pool_size=app.config["CS_DATABASE_POOL_SIZE"],
        timeout=app.config["CS_DATABASE_TIMEOUT"],
        prepare=app.config["CS_DATABASE_PREPARE"],
    )
    # The process-wide default, for code that binds no database of its own (one app per
    # process, the usual case); requests and commands bind their app's database.
    db.initialize(database)
    state = ApiState(settings, database)
    app.extensions[EXTENSION] = state
    state.api = _open_api(app, settings)
    if health_checks:
        app.register_blueprint(health.blp)
    fallback.register(app, settings.api_prefix, settings.token_path, health_checks)
    app.cli.add_command(cli)
    if fast_lane:
        app.wsgi_app = FastLane(app.wsgi_app, state, app.config["CS_MAX_BODY_SIZE"])
    return state
