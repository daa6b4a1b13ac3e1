"""Store data models; `ALL_MODELS` lists them in creation order."""

from models.base import db
from models.catalog import (
    Brand,
    Category,
    Product,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    Sku,
    Variation,
    VariationChoice,
)
from models.clients import ApiClient
from models.events import Event, EventMark
from models.idempotency import IdempotencyKey
from models.imports import ImportRecord
from models.orders import (
    Order,
    OrderAttribute,
    OrderDocument,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)
from models.statuses import FulfilmentStatus
from models.token_failures import TokenFailure
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

ALL_MODELS = [
    FulfilmentStatus,
    ApiClient,
    TokenFailure,
    Sku,
    Brand,
    Product,
    ProductImage,
    ProductGroup,
    ProductGroupLink,
    Category,
    ProductCategory,
    ProductOption,
    ProductOptionChoice,
    Variation,
    VariationChoice,
    Order,
    OrderItem,
    OrderItemOption,
    OrderAttribute,
    OrderStatusHistory,
    IdempotencyKey,
    Event,
    EventMark,
    WebhookSubscription,
    WebhookDelivery,
    WebhookAttempt,
    ImportRecord,
    OrderDocument,
]

__all__ = ["ALL_MODELS", "db"] + [model.__name__ for model in ALL_MODELS]
