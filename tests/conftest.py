"""Fixtures: a fresh store per test on each database, the app, a client, real tokens."""

import base64
import os

import pytest
from flask import Flask

from app import create_app
from models import ALL_MODELS
from models.base import db
from models.events import seed_event_marks
from models.schema import upgrade
from models.statuses import seed_default_statuses
from tests import factories
from tests.databases import BACKENDS, SERVERS

pytest_plugins = ["tests.servers"]

TEST_SECRET = base64.urlsafe_b64encode(os.urandom(48)).decode()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request):
    """A migrated, empty database on one backend, for the whole session."""
    server = SERVERS[request.param]()
    url = server.create()
    app = create_app({"CS_DATABASE_URL": url, "CS_TOKEN_SECRET": TEST_SECRET})
    with app.app_context():
        app.extensions["community_store_api"].database.connect()
        upgrade()
        app.extensions["community_store_api"].database.close_all()
    yield url
    server.drop()


def _empty_store(database):
    """Delete every row, children first, and seed the default statuses again."""
    with database.connection_context(), database.atomic():
        for model in reversed(ALL_MODELS):
            model.delete().execute()
        seed_default_statuses()
        seed_event_marks()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database with extra settings; pools closed afterwards."""
    apps = []

    def build(**settings):
        config = {
            "TESTING": True,
            "CS_DATABASE_URL": database_url,
            "CS_TOKEN_SECRET": TEST_SECRET,
            "CS_STORE_TIMEZONE": "America/Phoenix",
        }
        config.update(settings)
        app = create_app(config, instance_path=str(tmp_path / "instance"))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["community_store_api"].database.close_all()


@pytest.fixture
def app(make_app):
    app = make_app()
    database = app.extensions["community_store_api"].database
    db.initialize(database)
    _empty_store(database)
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def backend(database_url):
    return database_url.split(":", 1)[0].replace("mysql", "mariadb")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_client(app):
    """An integration with all five scopes: (client_id, secret)."""
    return factories.api_client()


@pytest.fixture
def token(client):
    """token(*scopes) -> an access token minted through the real token endpoint."""

    def mint(*scopes):
        client_id, secret = factories.api_client(scopes=scopes or None)
        response = client.post(
            "/oauth/2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return mint


@pytest.fixture
def auth(token):
    """auth(*scopes) -> headers carrying a fresh bearer token."""

    def headers(*scopes):
        return {"Authorization": f"Bearer {token(*scopes)}"}

    return headers


@pytest.fixture
def host_flask():
    """A bare Flask app for embedding tests."""
    return Flask("host")
