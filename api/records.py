"""What the GET of one order or product reads and answers, beyond its path: the `view`
argument, If-None-Match (304) and the ETag header; and If-Match, for conditional writes.
With the OpenAPI descriptions of each.

These are read here rather than through webargs schemas: the headers cannot be invalid (a
header naming no tag names nothing), and parsing even a one-field query schema costs a
one-order GET a sixth of its time (as much as the rest of its arguments and tags)."""

from flask import Response, request
from marshmallow import ValidationError
from werkzeug.http import parse_etags

from api.errors import ApiError
from api.hooks import state
from api.jsonio import data_response
from api.links import external_url
from api.schemas.common import full_view
from store.etags import ANY

EXAMPLE_TAG = '"3f2c9a0e5b7d41c68e2f0a9b1c3d5e7f"'
ETAG_HEADER = {"ETag": {"$ref": "#/components/headers/ETag"}}
NOT_MODIFIED = (
    "Not modified: If-None-Match names the record's current state. No body; the ETag again."
)
IF_NONE_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "ETags of copies the client holds: when one names the record's current "
    "state (or `*`), the answer is 304 with no body.",
    "schema": {"type": "string", "example": EXAMPLE_TAG},
}
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag the change was based on (or `*`): when it no longer names the "
    "record's state, the answer is 412 and nothing changes.",
    "schema": {"type": "string", "example": EXAMPLE_TAG},
}


def requested_view():
    """True when the query asks for the full view; a 400 naming a bad `view`, in the shape
    of every other bad query parameter."""
    try:
        return full_view(request.args.get("view", ""))
    except ValidationError as error:
        (message,) = error.messages
        raise ApiError(400, f"Invalid view: {message}", {"view": [message]}) from None


def _tags(header, weak):
    """ANY for `*`, else the quoted tags the header names; `weak` counts W/"x" as "x"."""
    tags = parse_etags(header.strip())
    if tags.star_tag:
        return ANY
    return frozenset(f'"{tag}"' for tag in tags.as_set(include_weak=weak))


def if_none_match():
    """The request's If-None-Match for store.etags.matches (weak comparison), or None when
    it names nothing."""
    header = request.headers.get("If-None-Match")
    return (_tags(header, weak=True) or None) if header else None


def if_match():
    """The request's If-Match for store.etags.require_match, or None when there is none.
    Strong comparison: a weak tag names nothing, so `If-Match: W/"x"` (or a header naming
    nothing) fails the write instead of letting it go ahead unconditionally."""
    header = request.headers.get("If-Match")
    return None if header is None else _tags(header, weak=False)


def tagged_response(document, etag):
    """`{"data": document}` with its ETag, or a bodiless 304 when the document is None
    (the client's copy is current)."""
    if document is None:
        return Response(status=304, headers={"ETag": etag})
    response = data_response(document)
    response.headers["ETag"] = etag
    return response


LOCATION_HEADER = {
    "Location": {
        "description": "The record's absolute URL.",
        "schema": {"type": "string", "format": "uri"},
    }
}


def created_response(document, path):
    """201 with `{"data": document}` and the absolute URL of `path` (under the API prefix,
    e.g. `/orders/12`) in Location."""
    response = data_response(document)
    response.status_code = 201
    response.headers["Location"] = external_url(f"{state().settings.api_prefix}{path}")
    return response
