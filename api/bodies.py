"""Reading the JSON bodies of the manage routes: `{"data": {...}}`, strict (manage.md §0).

Only the envelope is checked here; what `data` holds is the store's to check, so that the
Python API gives the same errors."""

import orjson
from flask import request

from api.errors import ApiError


def json_body():
    """The request body parsed as JSON whatever the Content-Type (None when empty); 400
    when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Bad Request", {"body": ["The body is not valid JSON."]}) from None


def envelope_data():
    """The `data` of a strict `{"data": {...}}` body (`[]` counts as `{}`); 400 naming the
    problem when the body is not such an object or has other keys."""
    body = json_body()
    if isinstance(body, list) and not body:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, "Bad Request", {"body": ["Must be a JSON object."]})
    unknown = sorted(key for key in body if key != "data")
    if unknown:
        fields = {key: ["Unknown field."] for key in unknown}
        raise ApiError(400, f"Invalid {unknown[0]}: Unknown field.", fields)
    if "data" not in body:
        raise ApiError(400, "Bad Request", {"data": ["Missing data for required field."]})
    return body["data"]


def body_data():
    """The `data` object of the request's JSON body (`[]` counts as `{}`), or {} when there
    is none: which keys a body holds, before it is read for real."""
    body = json_body()
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}
