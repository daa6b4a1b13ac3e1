"""Orders as CSV for operators (import.md §3): one row per order item, streamed in batches
so that memory stays flat whatever the number of orders."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from models.orders import Order, OrderItem
from models.statuses import FulfilmentStatus
from store.csv_io import number_cell, text_cell, writer
from store.errors import Invalid
from store.render import UTC, day_bounds

ORDER_COLUMNS = (
    "order_id",
    "date_placed",
    "email",
    "billing_first_name",
    "billing_last_name",
    "payment_status",
    "fulfilment_handle",
    "sku",
    "name",
    "quantity",
    "unit_price",
    "order_total",
)
# Orders per statement: a batch and its items are all an export holds at once.
BATCH = 500
ORDER_FIELDS = (
    Order.id,
    Order.placed_at,
    Order.customer_email,
    Order.billing_first_name,
    Order.billing_last_name,
    Order.paid_at,
    Order.cancelled_at,
    Order.refunded_at,
    Order.external_payment_requested_at,
    FulfilmentStatus.handle,
    Order.total,
)


def payment_status(paid_at, cancelled_at, refunded_at, external_requested_at):
    """The one payment status of an order, as the listing's paymentStatus filter defines
    them; where several match, the first of incomplete (hidden: awaiting an external
    payment), refunded, cancelled, paid, unpaid."""
    if external_requested_at is not None and paid_at is None:
        return "incomplete"
    if refunded_at is not None:
        return "refunded"
    if cancelled_at is not None:
        return "cancelled"
    return "paid" if paid_at is not None else "unpaid"


def _batches(start, end):
    """Batches of order rows placed in [start, end), oldest first, keyset paginated on
    (placed_at, id) so that each batch is one short indexed read."""
    after = None
    while True:
        query = (
            Order.select(*ORDER_FIELDS)
            .join(FulfilmentStatus)
            .where(Order.placed_at >= start, Order.placed_at < end)
        )
        if after is not None:
            placed, order_id = after
            # The bound first, so that each batch starts its index range where the last ended.
            query = query.where(
                Order.placed_at >= placed, (Order.placed_at > placed) | (Order.id > order_id)
            )
        rows = list(query.order_by(Order.placed_at, Order.id).limit(BATCH).tuples())
        if not rows:
            return
        after = rows[-1][1], rows[-1][0]
        yield rows


def _items(order_ids):
    """{order id: [(sku, name, quantity, price)]} in each order's item order."""
    items = {}
    query = (
        OrderItem.select(
            OrderItem.order, OrderItem.sku, OrderItem.name, OrderItem.quantity, OrderItem.price
        )
        .where(OrderItem.order.in_(order_ids))
        .order_by(OrderItem.order, OrderItem.sort_order, OrderItem.id)
        .tuples()
    )
    for order_id, *item in query:
        items.setdefault(order_id, []).append(item)
    return items


class OrderExporter:
    """Writes orders as CSV in the store's time zone and currency."""

    def __init__(self, settings):
        self.zone = settings.timezone
        self.cent = Decimal(1).scaleb(-settings.currency_digits)

    def local(self, moment):
        if self.zone is not UTC:
            moment = moment.replace(tzinfo=datetime.UTC).astimezone(self.zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def money(self, value):
        """Money in the currency's digits (`4.50`), rounded half-up as the API rounds it."""
        if value is None:
            return ""
        return format(value.quantize(self.cent, rounding=ROUND_HALF_UP), "f")

    def rows(self, order, items):
        order_id, placed, email, first, last, paid, cancelled, refunded, external = order[:9]
        handle, total = order[9:]
        head = (
            order_id,
            self.local(placed),
            text_cell(email),
            text_cell(first),
            text_cell(last),
            payment_status(paid, cancelled, refunded, external),
            text_cell(handle),
        )
        # An order without items still gets its row, with empty item cells.
        for sku, name, quantity, price in items or [(None, None, None, None)]:
            item = (text_cell(sku), text_cell(name), number_cell(quantity), self.money(price))
            yield (*head, *item, self.money(total))


def export_orders(out, from_date, to_date, settings):
    """Write the items of every order (hidden ones too) placed from `from_date` to
    `to_date` (days in the store time zone, inclusive) as CSV to `out`; the orders written."""
    if from_date > to_date:
        message = "--from must not be after --to"
        raise Invalid(message, {"from": [message]})
    start = day_bounds(from_date, settings.timezone)[0]
    end = day_bounds(to_date, settings.timezone)[1]
    exporter, rows, count = OrderExporter(settings), writer(out), 0
    rows.writerow(ORDER_COLUMNS)
    for batch in _batches(start, end):
        items = _items([order[0] for order in batch])
        for order in batch:
            rows.writerows(exporter.rows(order, items.get(order[0])))
        count += len(batch)
    return count
