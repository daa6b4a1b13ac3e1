"""Shapes of the token endpoint."""

from marshmallow import Schema, fields


class TokenRequestSchema(Schema):
    grant_type = fields.String(required=True, metadata={"example": "client_credentials"})
    client_id = fields.String(
        metadata={"description": "Or send client_id:client_secret with HTTP Basic."}
    )
    client_secret = fields.String()
    scope = fields.String(
        metadata={
            "description": "Space-separated scopes; none means all the client's scopes.",
            "example": "cs:orders:read cs:orders:write",
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
