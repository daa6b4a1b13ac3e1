"""The docs page: Swagger UI served with its own assets, rendered by a real headless Chromium."""

import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

from api.docs import swagger_ui_version
from tests.databases import IN_CI
from tests.servers import Gunicorn, migrated_sqlite_env

PAGE = "/cs/api/v1/docs"
# Swagger UI 5 is the line that renders OpenAPI 3.1 documents.
OLDEST_SWAGGER_UI = (5, 0)


def local_urls(html):
    return re.findall(r'(?:src|href|data-[a-z0-9-]+-url)="([^"]+)"', html)


def test_page_needs_no_token_and_loads_only_its_own_assets(client):
    reply = client.get(PAGE)
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    assert reply.headers["X-Request-ID"]
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    html = reply.get_data(as_text=True)
    assert "<title>Community Store API</title>" in html
    assert "<script>" not in html  # no inline script: the policy forbids them
    urls = local_urls(html)
    assert len(urls) == 6
    types = {}
    for url in urls:
        assert url.startswith("/cs/api/v1/"), url
        with client.get(url) as fetched:
            assert fetched.status_code == 200, url
            assert fetched.headers["X-Request-ID"]
            types[url.rsplit(".", 1)[1]] = fetched.mimetype
    assert types["css"] == "text/css"
    assert types["js"] == "text/javascript"
    assert types["json"] == "application/json"


def test_assets_are_a_current_swagger_ui_cached_for_long(client):
    version = swagger_ui_version()
    assert tuple(int(part) for part in version.split(".")[:2]) >= OLDEST_SWAGGER_UI
    with client.get(f"/cs/api/v1/docs/assets/{version}/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert b"SwaggerUIBundle" in bundle.data
        assert bundle.headers["Cache-Control"] == "public, max-age=31536000"


@pytest.mark.parametrize(
    "path",
    [
        "/cs/api/v1/docs/assets/{version}/index.html",
        "/cs/api/v1/docs/assets/{version}/../../../app.py",
        "/cs/api/v1/docs/assets/0.0.1/swagger-ui.css",
        "/cs/api/v1/docs/assets/{version}",
        "/cs/api/v1/docs/other",
    ],
)
def test_anything_else_under_docs_is_the_api_json_404(client, path):
    reply = client.get(path.format(version=swagger_ui_version()))
    assert reply.status_code == 404
    assert reply.get_json() == {"error": True, "errors": ["Not Found"]}


def test_page_follows_the_mount_point(make_app):
    client = make_app(CS_API_PREFIX="/shop/api").test_client()
    html = client.get("/shop/api/docs", environ_overrides={"SCRIPT_NAME": "/store"}).get_data(
        as_text=True
    )
    urls = local_urls(html)
    assert urls and all(url.startswith("/store/shop/api/") for url in urls)


# --- in a real browser ---

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Everything but this machine is unreachable: the page must not need the Internet.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Virtual time runs only while the page is idle: the spec is fetched and rendered first.
    "--virtual-time-budget=20000",
]


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "Chromium is not installed (Debian packages `chromium` and `chromium-driver`)"
    if IN_CI:
        pytest.fail(message + ": CI=true runs every end-to-end test", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn with the project's config on a migrated SQLite store of its own (the page
    does not depend on the database)."""
    folder = tmp_path_factory.mktemp("docs")
    env = migrated_sqlite_env(folder)
    server = Gunicorn(
        env, workers=1, extra_args=("-c", "gunicorn.conf.py"), log_path=folder / "gunicorn.log"
    )
    with server:
        yield server


def run_chromium(chromium, profile, *args):
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode()


def test_chromium_renders_every_documented_operation(served, tmp_path):
    chromium = chromium_path()
    url = served.url + PAGE
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    document = served_document(served)
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert rendered == set(document["paths"])
    assert "/cs/api/v1/orders" in rendered and "/oauth/2.0/token" in rendered
    assert "Community Store API" in dom
    assert 'class="btn authorize' in dom  # the OAuth2 client-credentials dialog
    assert "Failed to load API definition" not in dom
    # CS_DOCS_SCREENSHOT=docs/docs-page.png refreshes the README's picture.
    target = os.environ.get("CS_DOCS_SCREENSHOT")
    if target:
        run_chromium(
            chromium,
            tmp_path / "profile2",
            "--window-size=1280,1500",
            f"--screenshot={os.path.abspath(target)}",
            url,
        )
        with open(target, "rb") as picture:
            assert picture.read(8) == b"\x89PNG\r\n\x1a\n"


def served_document(server):
    with urllib.request.urlopen(server.url + "/cs/api/v1/openapi.json", timeout=10) as reply:
        return json.load(reply)
