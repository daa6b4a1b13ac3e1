"""Writing JSON fast with orjson: every body the API sends goes through here."""

import orjson
from flask import Response


def json_response(payload, status=200, headers=None):
    return Response(orjson.dumps(payload), status, headers, mimetype="application/json")


def data_response(data, meta=None):
    """The success envelope: {"data": ...} plus "meta" for paginated lists."""
    payload = {"data": data}
    if meta is not None:
        payload["meta"] = meta
    return json_response(payload)
