"""The OpenAPI document's shared parts: security scheme, error responses and headers."""

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls

from api import converters
from api.schemas.auth import TokenErrorSchema
from api.schemas.common import ApiErrorSchema
from models.clients import SCOPES
from store.fields import MOMENT_COMPONENT, moment_json_schema
from store.orders.bodies import OrderChangeBody
from store.products.bodies import ProductChangeBody, VariationChangeBody

SECURITY_SCHEME = "oauth2"
IDEMPOTENCY_KEY = "Idempotency-Key"
DESCRIPTION = """\
A RESTful JSON API over an online store's orders, fulfilment, products and stock,
wire-compatible with the Community Store API.

Get an access token from the token endpoint with the OAuth2 client-credentials grant, then
send it as `Authorization: Bearer <token>`; each operation names the scope it needs.
Errors come in one of two shapes: the API error shape (`ApiError`) and, from the token
endpoint and the bearer-token checks, the OAuth error shape (`TokenError`). Every response
carries `X-Request-ID`, which the logs carry too.
"""

# Headers a response always carries say so (`required`): Idempotent-Replayed only on replays.
HEADERS = {
    "RequestId": {
        "description": "The caller's own X-Request-ID when it sent a sane one, else a new id.",
        "required": True,
        "schema": {"type": "string"},
    },
    "Allow": {
        "description": "The methods this path serves.",
        "required": True,
        "schema": {"type": "string"},
    },
    "RetryAfter": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer"},
    },
    "WwwAuthenticate": {
        "description": "The bearer-token challenge (RFC 6750).",
        "required": True,
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "A strong entity tag naming the record's stored state: the same for "
        "both views and every token; it changes with every change to the record (a "
        "product's stock included).",
        "schema": {"type": "string", "example": '"3f2c9a0e5b7d41c68e2f0a9b1c3d5e7f"'},
    },
    "IdempotentReplayed": {
        "description": "`true` when this is the first response to an earlier request with "
        "the same Idempotency-Key, given again.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
HEADER_COMPONENTS = {
    "Allow": "Allow",
    "Retry-After": "RetryAfter",
    "WWW-Authenticate": "WwwAuthenticate",
}

# name: (description, schema, headers besides X-Request-ID)
API = ApiErrorSchema
OAUTH = TokenErrorSchema
RESPONSES = {
    "BadRequest": ("Bad input: the message names the problem", API, ()),
    "NotFound": ("No such record, or no route at this path", API, ()),
    "MethodNotAllowed": ("The path does not serve this method", API, ("Allow",)),
    "PayloadTooLarge": ("The request body is larger than MAX_BODY_SIZE", API, ()),
    "Conflict": ("The store's state refuses the request (or its Idempotency-Key is busy)", API, ()),
    "KeyReused": ("The Idempotency-Key was used for another request", API, ()),
    "InternalError": ("Unexpected failure (details are logged under the request id)", API, ()),
    "Unavailable": ("The database is unreachable or its schema outdated", API, ("Retry-After",)),
    "InvalidToken": (
        "No access token, or one that is malformed, expired or revoked (invalid_token)",
        OAUTH,
        ("WWW-Authenticate",),
    ),
    "InsufficientScope": (
        "The access token lacks the operation's scope (insufficient_scope)",
        OAUTH,
        ("WWW-Authenticate",),
    ),
    "OAuthPayloadTooLarge": ("The request body is larger than MAX_BODY_SIZE", OAUTH, ()),
    "OAuthInternalError": ("Unexpected failure (server_error)", OAUTH, ()),
    "OAuthUnavailable": (
        "The database is unreachable (temporarily_unavailable)",
        OAUTH,
        ("Retry-After",),
    ),
}

API_ERRORS = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    500: "InternalError",
    503: "Unavailable",
}
OAUTH_ERRORS = {500: "OAuthInternalError", 503: "OAuthUnavailable"}
SECURED_ERRORS = {401: "InvalidToken", 403: "InsufficientScope"}


def _header_ref(name):
    return {"$ref": f"#/components/headers/{name}"}


def register_components(spec, token_url):
    """Add the security scheme, the error responses and the headers they name."""
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "oauth2",
            "description": "OAuth2 client credentials; each operation names its scope.",
            "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": SCOPES}},
        },
    )
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    spec.components.schema(MOMENT_COMPONENT, moment_json_schema())
    # The strict PATCH body of an order, which the lenient one's rules name (api.schemas).
    spec.components.schema("OrderChangeBody", schema=OrderChangeBody)
    spec.components.schema("ProductChangeBody", schema=ProductChangeBody)
    spec.components.schema("VariationChangeBody", schema=VariationChangeBody)
    for name, (description, schema, headers) in RESPONSES.items():
        spec.components.response(
            name,
            {
                "description": description,
                "content": {"application/json": {"schema": schema}},
                "headers": {
                    "X-Request-ID": _header_ref("RequestId"),
                    **{header: _header_ref(HEADER_COMPONENTS[header]) for header in headers},
                },
            },
        )


def add_error_responses(operation, *, secured, oauth, idempotent=False):
    """Document every error an operation can answer with, in the shape it answers in."""
    responses = operation.setdefault("responses", {})
    errors = dict(OAUTH_ERRORS if oauth else API_ERRORS)
    if "requestBody" in operation:
        errors[413] = "OAuthPayloadTooLarge" if oauth else "PayloadTooLarge"
    if secured:
        errors.update(SECURED_ERRORS)
    if idempotent:
        errors.update({409: "Conflict", 422: "KeyReused"})
    for status, name in errors.items():
        # A bare name is flask-smorest's generic response (e.g. BAD_REQUEST): ours is precise.
        if not isinstance(responses.get(status), dict):
            responses[status] = name
    operation["responses"] = responses = dict(sorted(responses.items(), key=lambda i: str(i[0])))
    for response in responses.values():
        # Responses documented by the views themselves carry the request id too.
        if isinstance(response, dict):
            response.setdefault("headers", {})["X-Request-ID"] = _header_ref("RequestId")
    for status, response in responses.items():
        if idempotent and isinstance(response, dict) and str(status).startswith("2"):
            response["headers"]["Idempotent-Replayed"] = _header_ref("IdempotentReplayed")
    return operation


class ObjectRulesPlugin(BasePlugin):
    """Add a schema's OPENAPI_RULES to its component: JSON Schema keywords about the object
    as a whole (two fields that exclude each other, say), which no field can state."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        rules = getattr(resolve_schema_cls(schema), "OPENAPI_RULES", None) if schema else None
        return dict(rules) if rules else None


def empty_means_absent(self, field, ret, **kwargs):
    """apispec parameter attribute function: an empty query parameter (`status=`) means "not
    given" (API.md §1), which OpenAPI says with allowEmptyValue."""
    return {"allowEmptyValue": True} if ret.get("in") == "query" else {}


def register_converters(api):
    """Document the path parameters as the routes match them (api.converters)."""
    for converter in converters.CONVERTERS.values():
        if hasattr(converter, "OPENAPI_SCHEMA"):
            api.register_converter(converter, lambda found: dict(found.OPENAPI_SCHEMA))


def field_type_mapping(self, field, ret, **kwargs):
    """apispec attribute function: custom fields state their JSON type in
    `_jsonschema_type_mapping()`; a field that allows None gets "null" too (OpenAPI 3.1)."""
    mapping = getattr(field, "_jsonschema_type_mapping", None)
    if mapping is None or "type" in ret or "$ref" in ret:
        return {}
    properties = dict(mapping())
    if field.allow_none and "type" in properties:
        kinds = properties["type"]
        properties["type"] = [*(kinds if isinstance(kinds, list) else [kinds]), "null"]
    return properties
