"""The OpenAPI document: valid, complete, secured right, and true to the real responses."""

import datetime
import re
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from models.catalog import Variation
from models.clients import ALL_SCOPES
from tests import factories

DOCUMENT = "/cs/api/v1/openapi.json"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Routes anyone may call: the token endpoint, the docs, the health checks, the fallback.
PUBLIC_BLUEPRINTS = {"oauth", "cs_docs", "cs_health", "cs_fallback"}
API_ERRORS = {400, 404, 405, 500, 503}


@pytest.fixture
def document(client):
    reply = client.get(DOCUMENT)
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    return reply.get_json()


def openapi_path(rule):
    """/orders/<cs_order_id:order_id> -> /orders/{order_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def resolve(document, node):
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = document["components"][section][name]
    return node


def api_rules(app):
    """(rule, endpoint's blueprint) of every route of ours, the fallback excluded."""
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if rule.endpoint == "static" or blueprint == "cs_fallback":
            continue
        yield rule, blueprint


def view_functions(app, rule):
    """(method, function) of a route; for a MethodView, each method's own function."""
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    for method in sorted(rule.methods - IGNORED_METHODS):
        yield method, getattr(view_class, method.lower()) if view_class else view


def test_document_is_valid_openapi_served_without_a_token(client, document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Community Store API"
    reply = client.get(DOCUMENT)
    assert reply.headers["X-Request-ID"]


def test_every_route_is_documented_with_its_methods(app, document):
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    routed = set()
    for rule, blueprint in api_rules(app):
        if blueprint in ("cs_docs", "cs_health"):
            continue
        for method in rule.methods - IGNORED_METHODS:
            routed.add((openapi_path(rule), method))
    assert routed == documented
    assert ("/cs/api/v1/orders", "GET") in routed
    assert ("/oauth/2.0/token", "POST") in routed


def test_every_route_requires_a_scope_except_the_public_ones(app):
    checked = 0
    for rule, blueprint in api_rules(app):
        if blueprint in PUBLIC_BLUEPRINTS:
            continue
        for method, function in view_functions(app, rule):
            scopes = getattr(function, "required_scopes", None)
            assert scopes, f"{method} {rule.rule} has no required scope"
            # Any one of them lets a token in: each must be a real scope.
            assert set(scopes) <= set(ALL_SCOPES), (method, rule.rule, scopes)
            assert function.required_scope == scopes[0]
            checked += 1
    assert checked >= 12


def test_public_routes_are_the_documented_ones(app):
    public = {
        openapi_path(rule) for rule, blueprint in api_rules(app) if blueprint in PUBLIC_BLUEPRINTS
    }
    assert public == {
        "/oauth/2.0/token",
        "/cs/api/v1/openapi.json",
        "/cs/api/v1/docs",
        "/cs/api/v1/docs/init.js",
        "/cs/api/v1/docs/assets/{version}/{filename}",
        "/healthz",
        "/readyz",
    }


def test_secured_operations_name_the_scope_the_route_requires(app, document):
    scopes = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert set(scopes["scopes"]) == set(ALL_SCOPES)
    assert scopes["tokenUrl"] == "/oauth/2.0/token"
    for rule, blueprint in api_rules(app):
        if blueprint in ("cs_docs", "cs_health"):
            continue
        for method, function in view_functions(app, rule):
            operation = document["paths"][openapi_path(rule)][method.lower()]
            scopes = getattr(function, "required_scopes", None)
            if scopes is None:
                assert "security" not in operation, (method, rule.rule)
            else:
                # OpenAPI's list of requirements: any one of them will do.
                expected = [{"oauth2": [scope]} for scope in scopes]
                assert operation["security"] == expected, (method, rule.rule)


def _error_schema(document, operation, status):
    response = resolve(document, operation["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    assert "X-Request-ID" in response["headers"]
    return schema["$ref"].rsplit("/", 1)[1]


def test_every_operation_documents_its_errors_in_their_shapes(document):
    for path, method, operation in operations(document):
        oauth = path == "/oauth/2.0/token"
        expected = {status: "ApiError" for status in API_ERRORS}
        if oauth:
            expected = {400: "TokenError", 401: "TokenError", 500: "TokenError", 503: "TokenError"}
        if "security" in operation:
            expected.update({401: "TokenError", 403: "TokenError"})
        if "requestBody" in operation:
            expected[413] = "TokenError" if oauth else "ApiError"
        parameters = [parameter["name"] for parameter in operation.get("parameters", [])]
        if "Idempotency-Key" in parameters:
            expected.update({409: "ApiError", 422: "ApiError"})
        for status, shape in expected.items():
            found = _error_schema(document, operation, status)
            # A conflict may add keys to the API error shape: an order's `shortages`.
            allowed = {shape, "Conflict"} if status == 409 else {shape}
            assert found in allowed, (path, method, status)
    conflict = document["components"]["schemas"]["Conflict"]
    assert set(document["components"]["schemas"]["ApiError"]["properties"]) < set(
        conflict["properties"]
    )
    headers = document["components"]["responses"]
    assert "Retry-After" in headers["Unavailable"]["headers"]
    assert "Allow" in headers["MethodNotAllowed"]["headers"]
    assert "WWW-Authenticate" in headers["InvalidToken"]["headers"]


def test_parameters_and_properties_all_have_types(document):
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []) + document["paths"][path].get(
            "parameters", []
        ):
            assert parameter["schema"].get("type"), (path, method, parameter["name"])

    def walk(node, where):
        if isinstance(node, dict):
            if "properties" in node:
                for name, prop in node["properties"].items():
                    typed = {"type", "$ref", "anyOf", "allOf", "oneOf"} & set(prop)
                    # A value of any JSON type says so in its description.
                    assert typed or "Any JSON" in prop.get("description", ""), (where, name)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(document["components"]["schemas"], "schemas")


def test_response_objects_are_closed_and_say_what_is_required(document):
    """Objects the API answers with list their required keys and allow no others."""
    seen = set()

    def visit(schema):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name in seen:
                return
            seen.add(name)
            schema = document["components"]["schemas"][name]
        if schema.get("type") == "object" and "properties" in schema:
            assert schema.get("additionalProperties") is False, schema
            for key, prop in schema["properties"].items():
                # An optional key says when it is there.
                assert key in schema.get("required", []) or prop.get("description"), (key, schema)
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in schema.get(key, []):
                visit(sub)
        for sub in schema.get("properties", {}).values():
            visit(sub)
        if isinstance(schema.get("items"), dict):
            visit(schema["items"])

    for _, _, operation in operations(document):
        for status, response in operation["responses"].items():
            if status in ("204", "304"):
                assert "content" not in resolve(document, response)
                continue
            content = resolve(document, response)["content"]
            visit(content["application/json"]["schema"])
    assert {"Order", "Product", "StockRecord", "ApiError", "TokenError"} <= seen


# --- real responses against the documented schemas ---


def _store():
    """A store with a bit of everything, so nullable and optional keys get exercised."""
    paid = datetime.datetime(2024, 3, 2, 10, 0)
    full = factories.order(
        items=[
            {
                "name": "Shirt",
                "sku": "SHIRT-1",
                "quantity": Decimal("2"),
                "price": Decimal("12.3456"),
                "options": [("Size", "size", "Large")],
            },
            {"name": "Gift card", "sku": None, "quantity": Decimal("1"), "price": Decimal("5")},
        ],
        attributes=[("gift", "Gift message", {"text": "Hi"}), ("note", "Note", None)],
        status_handle="shipped",
        paid_at=paid,
        payment_reference="REF-1",
        customer_username="joe",
        tracking_id="T1",
        tracking_code="1Z",
        tracking_url="https://track.example/1Z",
    )
    refunded = factories.order(
        paid_at=paid,
        refunded_at=paid,
        refund_reason="Damaged",
        customer_email=None,
        shipping_method=None,
        shipping_first_name=None,
        shipping_last_name=None,
        shipping_address1=None,
        shipping_city=None,
        shipping_state_province=None,
        shipping_country=None,
        shipping_postal_code=None,
        locale=None,
    )
    bare = factories.product(sku=None)
    rich = factories.rich_product()
    variation = Variation.select().where(Variation.product == rich).order_by(Variation.id).first()
    return {
        "order_id": full.id,
        "other_order_id": refunded.id,
        "product_id": rich.id,
        "bare_product_id": bare.id,
        "sku": rich.sku,
        "variation_id": variation.id,
        "variation_sku": variation.sku,
    }


def _validator(document, schema):
    return Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=FormatChecker()
    )


def check(document, path, method, reply):
    """The reply's body validates against the schema documented for its status."""
    operation = document["paths"][path][method]
    documented = operation["responses"]
    assert str(reply.status_code) in documented, (path, method, reply.status_code)
    response = resolve(document, documented[str(reply.status_code)])
    schema = response["content"]["application/json"]["schema"]
    errors = sorted(
        _validator(document, schema).iter_errors(reply.get_json()), key=lambda e: e.path
    )
    assert not errors, f"{method.upper()} {path} {reply.status_code}: " + "; ".join(
        f"{list(error.path)}: {error.message}" for error in errors[:5]
    )
    for header, definition in response.get("headers", {}).items():
        if resolve(document, definition).get("required"):
            assert header in reply.headers, (path, method, reply.status_code, header)


STOCK_BODY = {"data": {"stock_level": 7}}


def _requests(store):
    """(documented path, method, concrete URL, body) of a successful call to each operation."""
    order, product = store["order_id"], store["product_id"]
    variation = store["variation_id"]
    return [
        ("/cs/api/v1/config", "get", "/cs/api/v1/config", None),
        ("/cs/api/v1/fulfilmentstatuses", "get", "/cs/api/v1/fulfilmentstatuses", None),
        ("/cs/api/v1/orders", "get", "/cs/api/v1/orders?paging=1&page=2", None),
        ("/cs/api/v1/orders", "get", "/cs/api/v1/orders?paging=1", None),
        ("/cs/api/v1/orders/{order_id}", "get", f"/cs/api/v1/orders/{order}", None),
        (
            "/cs/api/v1/orders/{order_id}",
            "get",
            f"/cs/api/v1/orders/{store['other_order_id']}",
            None,
        ),
        (
            "/cs/api/v1/orders/{order_id}",
            "patch",
            f"/cs/api/v1/orders/{order}",
            {"data": {"fulfilment": {"handle": "delivered", "tracking_code": None}}},
        ),
        ("/cs/api/v1/products", "get", "/cs/api/v1/products?paging=1", None),
        ("/cs/api/v1/products/{product_id}", "get", f"/cs/api/v1/products/{product}", None),
        (
            "/cs/api/v1/products/{product_id}",
            "get",
            f"/cs/api/v1/products/{store['bare_product_id']}",
            None,
        ),
        ("/cs/api/v1/products/{product_id}", "patch", f"/cs/api/v1/products/{product}", STOCK_BODY),
        # The full views (after the PATCHes, so the status history names a client).
        ("/cs/api/v1/orders", "get", "/cs/api/v1/orders?view=full", None),
        ("/cs/api/v1/orders/{order_id}", "get", f"/cs/api/v1/orders/{order}?view=full", None),
        ("/cs/api/v1/products", "get", "/cs/api/v1/products?view=full", None),
        (
            "/cs/api/v1/products/{product_id}",
            "get",
            f"/cs/api/v1/products/{product}?view=full",
            None,
        ),
        ("/cs/api/v1/skus/{sku}", "get", f"/cs/api/v1/skus/{store['sku']}", None),
        ("/cs/api/v1/skus/{sku}", "patch", f"/cs/api/v1/skus/{store['sku']}", STOCK_BODY),
        ("/cs/api/v1/variations/{variation_id}", "get", f"/cs/api/v1/variations/{variation}", None),
        (
            "/cs/api/v1/variations/{variation_id}",
            "patch",
            f"/cs/api/v1/variations/{variation}",
            STOCK_BODY,
        ),
        (
            "/cs/api/v1/stock",
            "patch",
            "/cs/api/v1/stock",
            {
                "data": [
                    {"sku": store["variation_sku"], "stock_adjustment": 2},
                    {"sku": store["sku"], "stock_unlimited": False},
                ]
            },
        ),
    ]


def test_real_successes_match_the_documented_schemas(client, auth, document):
    store = _store()
    headers = auth(*ALL_SCOPES)
    exercised = set()
    for path, method, url, body in _requests(store):
        reply = client.open(url, method=method.upper(), json=body, headers=headers)
        assert reply.status_code == 200, (method, url, reply.get_json())
        check(document, path, method, reply)
        exercised.add((path, method))
    # Every GET and PATCH of the document was called: a new endpoint needs a case here.
    assert exercised == {
        (path, method) for path, method, _ in operations(document) if method in ("get", "patch")
    }


def test_real_errors_match_the_documented_schemas(app, client, auth, token, document):
    store = _store()
    order = f"/cs/api/v1/orders/{store['order_id']}"
    item = "/cs/api/v1/orders/{order_id}"
    app.config["CS_MAX_BODY_SIZE"] = 512
    reader = auth("cs:orders:read")
    cases = [
        (item, "get", client.get(order)),
        (item, "get", client.get(order, headers={"Authorization": "Bearer nope"})),
        (item, "get", client.get(order, headers=auth("cs:config:read"))),
        (item, "get", client.get("/cs/api/v1/orders/999999999", headers=reader)),
        (item, "patch", client.patch(order, data=b"{", headers=auth("cs:orders:write"))),
        (
            item,
            "patch",
            client.patch(order, data=b"[" + b" " * 600 + b"]", headers=auth("cs:orders:write")),
        ),
        ("/cs/api/v1/orders", "get", client.get("/cs/api/v1/orders?page=0", headers=reader)),
        ("/oauth/2.0/token", "post", client.post("/oauth/2.0/token", data={"grant_type": "x"})),
        (
            "/oauth/2.0/token",
            "post",
            client.post(
                "/oauth/2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "nobody",
                    "client_secret": "x",
                },
            ),
        ),
        (
            "/oauth/2.0/token",
            "post",
            client.post(
                "/oauth/2.0/token",
                data=b"x" * 600,
                content_type="application/x-www-form-urlencoded",
            ),
        ),
    ]
    statuses = set()
    for path, method, reply in cases:
        check(document, path, method, reply)
        statuses.add((path, reply.status_code))
    # 405 is answered by the fallback for a method the path does not serve.
    not_allowed = client.delete(order, headers=reader)
    assert not_allowed.status_code == 405
    check(document, item, "get", not_allowed)
    assert statuses == {
        (item, 401),
        (item, 403),
        (item, 404),
        (item, 400),
        (item, 413),
        ("/cs/api/v1/orders", 400),
        ("/oauth/2.0/token", 400),
        ("/oauth/2.0/token", 401),
        ("/oauth/2.0/token", 413),
    }


@pytest.mark.parametrize("kind", ["order", "product"])
def test_a_real_304_is_documented(client, auth, document, kind):
    store = _store()
    url = f"/cs/api/v1/{kind}s/{store[f'{kind}_id']}"
    headers = {**auth(f"cs:{kind}s:read"), "If-None-Match": "*"}
    reply = client.get(url, headers=headers)
    assert reply.status_code == 304
    operation = document["paths"][f"/cs/api/v1/{kind}s/{{{kind}_id}}"]["get"]
    documented = resolve(document, operation["responses"]["304"])
    assert "content" not in documented
    assert set(documented["headers"]) == {"ETag", "X-Request-ID"}
    assert all(header in reply.headers for header in documented["headers"])
    parameters = {(p["in"], p["name"]): p["schema"] for p in operation["parameters"]}
    assert parameters[("header", "If-None-Match")] == {
        "type": "string",
        "example": '"3f2c9a0e5b7d41c68e2f0a9b1c3d5e7f"',
    }
    assert parameters[("query", "view")] == {"type": "string", "enum": ["full"]}


def test_the_document_follows_the_mount_point(make_app):
    app = make_app(CS_API_PREFIX="/shop/api", CS_TOKEN_PATH="/shop/token")
    client = app.test_client()
    document = client.get("/shop/api/openapi.json").get_json()
    validate(document)
    assert "/shop/api/orders/{order_id}" in document["paths"]
    assert "/shop/token" in document["paths"]
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/shop/token"
    # Served under a script root (a proxy's sub-path), "Try it out" targets that root.
    mounted = client.get("/shop/api/openapi.json", environ_overrides={"SCRIPT_NAME": "/store"})
    assert mounted.get_json()["servers"] == [{"url": "/store", "description": "This service"}]
    flow = mounted.get_json()["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flow["clientCredentials"]["tokenUrl"] == "/store/shop/token"


def test_order_writes_match_the_documented_schemas(client, auth, document):
    """POST, PUT and PATCH of orders: every status they answer with is documented, in the
    shape they answer in, with the headers the document promises."""
    factories.product(sku="MUG", stock_level=Decimal(1), price=Decimal("9.5"))
    headers = auth(*ALL_SCOPES)
    collection, item = "/cs/api/v1/orders", "/cs/api/v1/orders/{order_id}"
    line = {"data": {"items": [{"sku": "MUG", "quantity": 1}]}}
    created = client.post(collection, json=line, headers=headers)
    assert created.status_code == 201, created.get_json()
    check(document, collection, "post", created)
    short = client.post(collection, json=line, headers=headers)
    assert short.status_code == 409
    check(document, collection, "post", short)
    invalid = client.post(collection, json={"data": {"items": []}}, headers=headers)
    check(document, collection, "post", invalid)
    recorded = {"data": {"items": [{"name": "A", "sku": None, "quantity": 1, "price": 2}]}}
    new = client.put(f"{collection}/77", json=recorded, headers=headers)
    assert new.status_code == 201, new.get_json()
    check(document, item, "put", new)
    replaced = client.put(f"{collection}/77", json=recorded, headers=headers)
    assert replaced.status_code == 200
    check(document, item, "put", replaced)
    refund = {"data": {"payment": {"refunded": True}}}
    refused = client.patch(f"{collection}/77", json=refund, headers=headers)
    assert refused.status_code == 409
    check(document, item, "patch", refused)
    paid = client.patch(f"{collection}/77", json={"data": {"payment": {"paid": True}}},
                        headers=headers)  # fmt: skip
    assert paid.status_code == 200
    check(document, item, "patch", paid)


def test_the_bulk_stock_body_and_its_refusal_have_examples(document):
    patch = document["paths"]["/cs/api/v1/stock"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]
    _validator(document, body["schema"]).validate(body["example"])
    refusal = patch["responses"]["400"]["content"]["application/json"]
    _validator(document, refusal["schema"]).validate(refusal["example"])
    assert patch["security"] == [{"oauth2": ["cs:products:write"]}]


def test_the_order_write_bodies_are_documented_with_examples(document):
    post = document["paths"]["/cs/api/v1/orders"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    assert body["example"]["data"]["items"][0] == {"sku": "ABCD-L", "quantity": 2}
    schema = resolve(document, body["schema"])
    assert schema["additionalProperties"] is False and schema["required"] == ["data"]
    new_order = resolve(document, schema["properties"]["data"])
    assert new_order["additionalProperties"] is False
    assert "items" in new_order["required"]
    assert post["security"] == [{"oauth2": ["cs:orders:manage"]}]
    assert set(post["responses"]) >= {"201", "400", "401", "403", "409", "413"}
    assert "Location" in post["responses"]["201"]["headers"]
    put = document["paths"]["/cs/api/v1/orders/{order_id}"]["put"]
    assert {"200", "201", "409"} <= set(put["responses"])
    assert "example" in put["requestBody"]["content"]["application/json"]
    patch = document["paths"]["/cs/api/v1/orders/{order_id}"]["patch"]
    assert set(patch["requestBody"]["content"]["application/json"]["examples"]) == {
        "fulfilment", "refund", "paid"
    }  # fmt: skip
    assert patch["security"] == [
        {"oauth2": ["cs:orders:write"]},
        {"oauth2": ["cs:orders:manage"]},
    ]


def _pattern(document, where):
    """The pattern of a query parameter ("GET /path name") or a component property."""
    if where.startswith("GET "):
        _, path, name = where.split(" ")
        parameters = document["paths"][path]["get"]["parameters"]
        return next(p for p in parameters if p["name"] == name)["schema"]["pattern"]
    component, name = where.split(".")
    return document["components"]["schemas"][component]["properties"][name]["pattern"]


FILTER = "GET /cs/api/v1/products filter"


@pytest.mark.parametrize(
    "where, value",
    [
        (FILTER, "date_added gt '2021-01-01T20:00'"),
        (FILTER, "date_updated le 2024-02-28T23:59:59.5+05:30 and date_added eq 2024-01-01"),
        (FILTER, "date_added ge 2024-01-01T00:00Z"),
        (FILTER, "date_added gt 2021-02-30"),
        (FILTER, "date_added gt '2021-01-01"),
        (FILTER, "date_added after 2021-01-01"),
        (FILTER, "price gt 2021-01-01"),
        (FILTER, " and ".join(["date_added gt 2021-01-01"] * 11)),
        ("FulfilmentPatch.tracking_url", "https://track.example.com/a?b=c#d"),
        ("FulfilmentPatch.tracking_url", "http://user@host:8080"),
        ("FulfilmentPatch.tracking_url", ""),
        ("FulfilmentPatch.tracking_url", "ftp://example.com/a"),
        ("FulfilmentPatch.tracking_url", "https://"),
        ("FulfilmentPatch.tracking_url", "https://example.com/a b"),
        # Python's whitespace, not JSON Schema's \s; a host urlsplit refuses (NFKC "/").
        ("FulfilmentPatch.tracking_url", "https://example.com/a\x85b"),
        ("FulfilmentPatch.tracking_url", "https://example\uff0fcom/"),
        ("FulfilmentPatch.tracking_url", "https://example.com/\uff0f\ufeff"),
        ("FulfilmentPatch.tracking_code", "ABC\x00"),
        ("TokenRequest.scope", "cs:orders:read  cs:config:read"),
        ("TokenRequest.scope", " "),
        ("TokenRequest.scope", "cs:orders:read\x85cs:config:read"),
        ("TokenRequest.scope", "cs:orders:read\ufeffcs:config:read"),
        ("TokenRequest.scope", "cs:orders:admin"),
    ],
)
def test_documented_patterns_agree_with_the_service(client, auth, document, where, value):
    """A value the document's pattern admits is accepted, one it does not is refused."""
    admitted = re.fullmatch(_pattern(document, where), value) is not None
    if where == FILTER:
        reply = client.get("/cs/api/v1/products", query_string={"filter": value}, headers=auth())
    elif where.startswith("FulfilmentPatch."):
        order = factories.order()
        body = {"data": {"fulfilment": {where.split(".")[1]: value}}}
        reply = client.patch(f"/cs/api/v1/orders/{order.id}", json=body, headers=auth())
    else:
        client_id, secret = factories.api_client()
        form = {"grant_type": "client_credentials", "client_id": client_id, "scope": value}
        reply = client.post("/oauth/2.0/token", data={**form, "client_secret": secret})
    assert reply.status_code == (200 if admitted else 400), reply.get_json()
