"""The API's Blueprint classes: our hooks, our error handlers, our argument parser."""

import inspect
from copy import deepcopy

import flask
import flask_smorest
import orjson
from flask import g
from webargs import core
from webargs.flaskparser import FlaskParser

from api import hooks, openapi
from api.errors import ApiError, OAuthError


def _first_message(messages, path=()):
    """The first (path, message) of a nested marshmallow error dict."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "_schema"):
                return _first_message(value, path)
            return _first_message(value, (*path, str(key)))
    if isinstance(messages, list) and messages:
        return _first_message(messages[0], path)
    return ".".join(path), str(messages)


def _flatten(messages, path=()):
    """marshmallow's nested messages as {"data.fulfilment.handle": ["...", ...]}."""
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            inner = path if key in ("json", "query", "form", "_schema") else (*path, str(key))
            for field, texts in _flatten(value, inner).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    texts = messages if isinstance(messages, list) else [messages]
    return {".".join(path) or "body": [str(text) for text in texts]}


def _strip_locations(messages):
    if isinstance(messages, dict) and len(messages) == 1:
        ((key, value),) = messages.items()
        if key in ("json", "query", "form"):
            return value
    return messages


class ApiParser(FlaskParser):
    """webargs parser that reads JSON whatever the Content-Type and fails with a 400."""

    DEFAULT_VALIDATION_STATUS = 400

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas = {}

    def _get_schema(self, argmap, req):
        # flask-smorest hands over schema classes, which webargs would instantiate on every
        # request (a deep copy of every field); loading keeps no state on the instance.
        if isinstance(argmap, type):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = super()._get_schema(argmap, req)
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        raw = req.get_data(cache=True)
        if not raw.strip():
            return core.missing
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ApiError(400, "Bad Request", {"body": ["The body is not valid JSON."]}) from None

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = _strip_locations(error.messages)
        path, message = _first_message(messages)
        if g.get("cs_oauth_route"):
            raise OAuthError(400, "invalid_request", f"{path}: {message}" if path else message)
        fields = _flatten(messages)
        if path in ("", "data"):
            raise ApiError(400, "Bad Request", fields)
        raise ApiError(400, f"Invalid {path}: {message}", fields)


class ExactRoutes:
    """Routes that match the path only as sent: werkzeug would otherwise answer a path with
    doubled slashes (`/cs/api/v1//orders`) with a redirect to the merged one, in HTML and
    built from the client's Host header; our fallback answers it instead (a 404)."""

    def add_url_rule(
        self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options
    ):
        options.setdefault("merge_slashes", False)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


class Blueprint(ExactRoutes, flask.Blueprint):
    """A plain Flask blueprint of ours (docs, health checks)."""


class ApiBlueprint(ExactRoutes, flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def __init__(
        self,
        *args,
        database=True,
        error_shape="api",
        body_size_setting=hooks.BODY_SIZE_SETTING,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        hooks.install(
            self,
            database=database,
            oauth=error_shape == "oauth",
            body_size_setting=body_size_setting,
        )
        # The shape this blueprint's errors come in ("api" or "oauth"), for the docs.
        self.error_shape = error_shape
        self._prepare_doc_cbks.append(self._keep_documented_parameters)
        self._prepare_doc_cbks.append(self._prepare_error_doc)

    def _keep_documented_parameters(self, doc, doc_info, **kwargs):
        """flask-smorest merges the manual doc last, and its `parameters` (the
        Idempotency-Key's) replace the operation's: put the operation's own first in it."""
        manual = doc_info.get("manual_doc", {})
        if manual.get("parameters") and doc.get("parameters"):
            named = {(parameter["in"], parameter["name"]) for parameter in manual["parameters"]}
            own = [p for p in doc["parameters"] if (p.get("in"), p.get("name")) not in named]
            manual["parameters"] = [*own, *manual["parameters"]]
        return doc

    def _prepare_error_doc(self, doc, doc_info, **kwargs):
        """Document every operation's error responses, in the shape its route speaks."""
        manual = doc_info.get("manual_doc", {})
        # The manual doc (security, the Idempotency-Key parameter) joins `doc` only later.
        idempotent = any(
            parameter.get("name") == openapi.IDEMPOTENCY_KEY
            for parameter in manual.get("parameters", [])
        )
        return openapi.add_error_responses(
            doc,
            secured="security" in manual,
            oauth=self.error_shape == "oauth",
            idempotent=idempotent,
        )

    def document_response(self, schema, status=200, **kwargs):
        """Document the success response of a view that builds it itself.

        Views return their JSON already serialized (with orjson, from the store's
        documents): dumping a page through marshmallow would cost more than the rest of the
        request. The schema is the document's description, checked against real responses
        by the tests."""
        return self.alt_response(status, schema=schema, success=True, **kwargs)

    def document_parameter(self, parameter):
        """Document a parameter (an OpenAPI Parameter object) that the view reads itself."""

        def decorator(view):
            apidoc = deepcopy(getattr(view, "_apidoc", {}))
            arguments = apidoc.setdefault("arguments", {})
            arguments.setdefault("parameters", []).append(parameter)
            view._apidoc = apidoc
            return view

        return decorator

    def document_body(
        self, schema, content_type="application/json", *more_types, example=None, examples=None
    ):
        """Document a request body that the view reads itself (no parsing here), in one
        content type or several (`more_types`), with an example or named examples."""
        body = {"in": "json", "required": True, "schema": schema, "content_type": content_type}
        if example is not None:
            body["example"] = example
        if examples is not None:
            body["examples"] = examples

        def decorator(view):
            apidoc = deepcopy(getattr(view, "_apidoc", {}))
            arguments = apidoc.setdefault("arguments", {})
            arguments.setdefault("parameters", []).append(dict(body))
            arguments.setdefault("responses", {})[400] = "BAD_REQUEST"
            if more_types:
                # flask-smorest documents one content type; the others join it from here.
                content = {kind: {"schema": schema} for kind in more_types}
                manual = apidoc.setdefault("manual_doc", {})
                manual.setdefault("requestBody", {}).setdefault("content", {}).update(content)
            view._apidoc = apidoc
            return view

        return decorator

    @staticmethod
    def documented_only(view):
        """The view as written, carrying the documentation that flask-smorest's response
        decorators gathered: a view that builds its Response itself needs none of their
        wrappers, which cost a call and a lookup each on every request."""
        bare = inspect.unwrap(view)
        bare._apidoc = view._apidoc
        return bare
