"""DELETE /products/{id} (manage.md §3): the product goes with its variations, options and
SKUs; orders keep their items; If-Match and idempotent retries are honoured."""

from decimal import Decimal

from models.catalog import ProductOption, Sku, Variation, VariationChoice
from models.orders import OrderItem
from tests import factories

URL = "/cs/api/v1/products"
MANAGE = ("cs:products:manage", "cs:products:read")


def test_a_product_goes_with_its_variations_options_and_skus(client, auth):
    headers = auth(*MANAGE)
    shirt = factories.rich_product(size=2, sku="SHIRT")
    kept = factories.rich_product(size=2, sku="KEPT")
    variation = shirt.variations[0]
    order = factories.order(
        items=[{"name": "Shirt S0", "sku": variation.sku, "quantity": 1, "price": Decimal("9.5"),
                "product": shirt, "variation": variation}]
    )  # fmt: skip
    before_order = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    reply = client.delete(f"{URL}/{shirt.id}", headers=headers)
    assert (reply.status_code, reply.data) == (204, b"")
    assert client.get(f"{URL}/{shirt.id}", headers=headers).status_code == 404
    assert client.get(f"/cs/api/v1/variations/{variation.id}", headers=headers).status_code == 404
    codes = ["SHIRT", *(v.sku for v in shirt.variations)]
    assert not Sku.select().where(Sku.code.in_(codes)).exists()
    assert not Variation.select().where(Variation.product == shirt.id).exists()
    assert not ProductOption.select().where(ProductOption.product == shirt.id).exists()
    assert VariationChoice.select().count() == 2 * len(kept.variations)
    # The order is untouched: its item keeps its name, SKU and price.
    after_order = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    assert after_order.data == before_order.data
    item = OrderItem.get(OrderItem.order == order.id)
    assert (item.product_id, item.variation_id, item.sku) == (None, None, variation.sku)
    # The SKUs can be used again.
    data = {"name": "New shirt", "price": 1, "sku": "SHIRT"}
    assert client.post(URL, json={"data": data}, headers=headers).status_code == 201
    assert client.get(f"{URL}/{kept.id}", headers=headers).status_code == 200


def test_deleting_honours_if_match_and_a_missing_product_is_not_found(client, auth):
    headers = auth(*MANAGE)
    product = factories.product()
    tag = client.get(f"{URL}/{product.id}", headers=headers).headers["ETag"]
    factories.variation(product)
    client.patch(f"{URL}/{product.id}", json={"data": {"name": "Changed"}}, headers=headers)
    rows = factories.catalog_rows()
    stale = client.delete(f"{URL}/{product.id}", headers={**headers, "If-Match": tag})
    assert stale.status_code == 412
    assert factories.catalog_rows() == rows
    current = client.get(f"{URL}/{product.id}", headers=headers).headers["ETag"]
    reply = client.delete(f"{URL}/{product.id}", headers={**headers, "If-Match": current})
    assert reply.status_code == 204
    assert client.delete(f"{URL}/{product.id}", headers=headers).status_code == 404


def test_a_retried_delete_gets_the_first_answer(client, auth):
    headers = {**auth(*MANAGE), "Idempotency-Key": "delete-1"}
    product = factories.product()
    first = client.delete(f"{URL}/{product.id}", headers=headers)
    again = client.delete(f"{URL}/{product.id}", headers=headers)
    assert (first.status_code, again.status_code) == (204, 204)
    assert again.headers["Idempotent-Replayed"] == "true"
