"""Reading JSON bodies whatever their Content-Type, and writing JSON fast with orjson."""

import orjson
from flask import Response, request

from api.errors import bad_request


def json_response(payload, status=200, headers=None):
    return Response(orjson.dumps(payload), status, headers, mimetype="application/json")


def data_response(data, meta=None):
    """The success envelope: {"data": ...} plus "meta" for paginated lists."""
    payload = {"data": data}
    if meta is not None:
        payload["meta"] = meta
    return json_response(payload)


def read_json_body():
    """Parse the body as JSON whatever the Content-Type: the official client sends none."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        bad_request("Bad Request", {"body": ["A JSON body is required."]})
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        bad_request("Bad Request", {"body": ["The body is not valid JSON."]})


def read_data_object():
    """The `data` object of a PATCH body; PHP's empty map `[]` counts as `{}`."""
    body = read_json_body()
    if not isinstance(body, dict):
        bad_request("Bad Request", {"body": ["The body must be a JSON object."]})
    data = body.get("data")
    if data == []:
        return {}
    if not isinstance(data, dict):
        bad_request("Bad Request", {"data": ["A `data` object is required."]})
    return data
