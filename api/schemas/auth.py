"""Shapes of the token endpoint."""

from marshmallow import Schema, fields

from api.schemas.common import WHITESPACE
from models.clients import ALL_SCOPES

# Known scopes separated by whitespace, or nothing at all (then: all the client's scopes).
_SCOPE = f"({'|'.join(ALL_SCOPES)})"
_SPACE = f"[{WHITESPACE}]"
SCOPE_PATTERN = f"^{_SPACE}*({_SCOPE}({_SPACE}+{_SCOPE})*{_SPACE}*)?$"


class TokenRequestSchema(Schema):
    """The token request's parameters, whichever way they come: form fields, multipart
    fields or a JSON object (whose values other than strings are ignored)."""

    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials"]})
    client_id = fields.String(
        metadata={
            "description": "Required unless sent with HTTP Basic (client_id:client_secret).",
            "example": "2f1c0b6e9a8d4c7b",
        }
    )
    client_secret = fields.String()
    scope = fields.String(
        metadata={
            "description": "Space-separated scopes; none means all the client's scopes. A "
            "known scope the client may not have is dropped.",
            "example": "cs:orders:read cs:orders:write",
            "pattern": SCOPE_PATTERN,
        }
    )


class TokenSchema(Schema):
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"example": 3600})
    access_token = fields.String(required=True)
    scope = fields.String(required=True)


class TokenErrorSchema(Schema):
    error = fields.String(required=True, metadata={"example": "invalid_client"})
    error_description = fields.String(required=True)
    hint = fields.String(metadata={"description": "A hint how to fix it, when there is one."})
    message = fields.String(required=True, metadata={"description": "Same as error_description."})
