"""`cs orders export`: one CSV row per order item, days in the store time zone, streamed."""

import csv
import datetime
import io
import tracemalloc
from decimal import Decimal

import pytest

from models.base import db
from store.orders.export import ORDER_COLUMNS, export_orders
from tests import factories

MUG = {"name": "Mug", "sku": "MUG", "quantity": Decimal(2), "price": Decimal("4.5")}
POSTER = {"name": "=HYPERLINK()", "sku": "-P", "quantity": Decimal("1.5"), "price": Decimal(10)}
# The tests' store time zone, America/Phoenix, is UTC-7 all year.
PHOENIX = datetime.timedelta(hours=7)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["cs", *args])
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    return run


def placed(day, time):
    """A wall-clock time in the store zone as the stored UTC instant."""
    return datetime.datetime.combine(datetime.date.fromisoformat(day), time) + PHOENIX


def rows(output):
    return list(csv.reader(io.StringIO(output)))


def test_columns_and_forms(cli, app):
    paid = factories.order(
        items=[MUG, POSTER],
        placed_at=placed("2024-03-01", datetime.time(0, 0)),
        paid_at=placed("2024-03-01", datetime.time(0, 1)),
        customer_email="@joe@example.com",
        billing_first_name="+Joe",
        billing_last_name="Smith",
        status_handle="shipped",
        shipping_total=Decimal("5.005"),
    )
    output = cli("orders", "export", "--from", "2024-03-01", "--to", "2024-03-01")
    assert output.startswith(",".join(ORDER_COLUMNS) + "\n")
    assert rows(output)[1:] == [
        [str(paid.id), "2024-03-01 00:00:00", "'@joe@example.com", "'+Joe", "Smith", "paid",
         "shipped", "MUG", "Mug", "2", "4.50", "29.01"],
        [str(paid.id), "2024-03-01 00:00:00", "'@joe@example.com", "'+Joe", "Smith", "paid",
         "shipped", "'-P", "'=HYPERLINK()", "1.5", "10.00", "29.01"],
    ]  # fmt: skip


def test_payment_statuses_and_hidden_orders(cli, app):
    at = placed("2024-03-01", datetime.time(12))
    kinds = {
        "unpaid": {},
        "paid": {"paid_at": at},
        "refunded": {"paid_at": at, "refunded_at": at, "cancelled_at": at},
        "cancelled": {"cancelled_at": at},
        # Awaiting an external payment: hidden from listings, exported all the same.
        "incomplete": {"external_payment_requested_at": at, "cancelled_at": at},
    }
    made = {kind: factories.order(items=[MUG], placed_at=at, **f) for kind, f in kinds.items()}
    output = cli("orders", "export", "--from", "2024-03-01", "--to", "2024-03-01")
    found = {int(row[0]): row[5] for row in rows(output)[1:]}
    assert found == {order.id: kind for kind, order in made.items()}


def test_days_are_the_store_zone_s_and_inclusive(cli, app):
    times = {
        "before": placed("2024-02-29", datetime.time(23, 59, 59, 999999)),
        "first": placed("2024-03-01", datetime.time(0, 0)),
        "last": placed("2024-03-02", datetime.time(23, 59, 59, 999999)),
        "after": placed("2024-03-03", datetime.time(0, 0)),
    }
    made = {name: factories.order(items=[MUG], placed_at=at) for name, at in times.items()}
    output = cli("orders", "export", "--from", "2024-03-01", "--to", "2024-03-02")
    assert [int(row[0]) for row in rows(output)[1:]] == [made["first"].id, made["last"].id]
    assert rows(output)[2][1] == "2024-03-02 23:59:59"


def test_an_order_without_items_keeps_its_row(cli, app):
    (order_id,) = factories.bare_orders(1, placed_at=placed("2024-03-01", datetime.time(9)))
    output = cli("orders", "export", "--from", "2024-03-01", "--to", "2024-03-01")
    assert rows(output)[1][0] == str(order_id)
    assert rows(output)[1][7:11] == ["", "", "", ""]


def test_out_file_and_bad_days(cli, app, tmp_path):
    factories.order(items=[MUG], placed_at=placed("2024-03-01", datetime.time(9)))
    out = tmp_path / "orders.csv"
    cli("orders", "export", "--from", "2024-03-01", "--to", "2024-03-01", "--out", str(out))
    assert out.read_bytes().startswith(b"order_id,date_placed,")
    assert out.read_bytes().count(b"\r\n") == 2
    assert len(rows(out.read_text())) == 2
    assert "--from must not be after --to" in cli(
        "orders", "export", "--from", "2024-03-02", "--to", "2024-03-01", ok=False
    )
    bad_day = cli("orders", "export", "--from", "03/01/2024", "--to", "2024-03-01", ok=False)
    assert "Invalid value for '--from'" in bad_day


class Sink(io.TextIOBase):
    """A text stream that keeps nothing, so that only the export's own memory counts."""

    def write(self, text):
        return len(text)


def many_orders(count):
    """`count` orders a minute apart from 2024-01-01 12:00 UTC, one item each: two
    INSERT ... SELECT statements over a counter (SQLite)."""
    status_id = factories.status("incomplete").id
    db.execute_sql(
        "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
        'INSERT INTO "order" (placed_at, updated_at, status_id, shipping_total, tax_total, '
        "discount_total, total, customer_email) "
        "SELECT strftime('%Y-%m-%d %H:%M:%S.000000', '2024-01-01 12:00', x || ' minutes'), "
        "'2024-01-01 12:00:00.000000', ?, 0, 0, 0, 40000, 'joe' || x || '@example.com' FROM n",
        (count - 1, status_id),
    )
    db.execute_sql(
        "INSERT INTO order_item (order_id, name, sku, quantity, price, sort_order) "
        "SELECT id, 'Mug', 'MUG', 10000, 40000, 0 FROM \"order\""
    )


def test_memory_stays_flat_from_a_thousand_orders_to_a_hundred_thousand(app, backend):
    if backend != "sqlite":
        pytest.skip("measured on SQLite")
    many_orders(100_000)
    settings = app.extensions["community_store_api"].settings
    first_day = datetime.date(2024, 1, 1)  # 12:00 UTC to 23:59 Phoenix: 1,140 orders

    def peak(to_date):
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        count = export_orders(Sink(), first_day, to_date, settings)
        return count, tracemalloc.get_traced_memory()[1] - base

    tracemalloc.start()
    try:
        peak(first_day)
        small_count, small = peak(first_day)
        large_count, large = peak(datetime.date(2024, 12, 31))
    finally:
        tracemalloc.stop()
    assert small_count == 1_140 and large_count == 100_000
    assert large <= 1.5 * small, (small, large)
