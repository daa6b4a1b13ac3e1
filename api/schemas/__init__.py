"""marshmallow shapes: input validation and the OpenAPI document."""
