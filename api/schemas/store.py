"""Shapes of the store configuration and the fulfilment statuses."""

from marshmallow import Schema, fields


class CurrencySchema(Schema):
    code = fields.String(required=True, metadata={"example": "EUR"})
    symbol = fields.String(required=True, metadata={"example": "€"})
    decimal_digits = fields.Integer(required=True, metadata={"example": 2})


class VersionSchema(Schema):
    version = fields.String(required=True, metadata={"example": "1.0.0"})


class SystemSchema(Schema):
    time_zone = fields.String(required=True, metadata={"example": "Europe/Rome"})


class StoreConfigSchema(Schema):
    currency = fields.Nested(CurrencySchema, required=True)
    community_store = fields.Nested(VersionSchema, required=True)
    community_store_api = fields.Nested(VersionSchema, required=True)
    system = fields.Nested(SystemSchema, required=True)


class StoreConfigEnvelope(Schema):
    data = fields.Nested(StoreConfigSchema, required=True)


class FulfilmentStatusSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 1})
    handle = fields.String(required=True, metadata={"example": "incomplete"})
    name = fields.String(required=True, metadata={"example": "Awaiting Processing"})


class FulfilmentStatusListEnvelope(Schema):
    data = fields.List(fields.Nested(FulfilmentStatusSchema), required=True)
