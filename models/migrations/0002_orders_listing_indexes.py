"""Indexes for the order listing: hidden-order counts, status pages and deep pages."""

from playhouse.migrate import make_index_name

# Every listing counts the orders still waiting for an off-site payment (`paid_at IS NULL
# AND external_payment_requested_at IS NOT NULL`): with the equality column first, every
# database seeks straight to those few rows. The one-column `paid_at` index is its prefix.
PAYMENT = ("paid_at", "external_payment_requested_at")
# What most listings filter on, the payment state (hidden or not, paid, refunded, cancelled)
# and the placement time: carried by the two indexes below, so that counting and skipping
# orders reads only the index, never the wide order rows.
STATE = ("external_payment_requested_at", "paid_at", "refunded_at", "cancelled_at", "placed_at")
# Pages of one status, newest first ("new paid orders" is an integration's first question).
# Replaces the one-column `status_id` index, its prefix.
STATUS_PAGE = ("status_id", "id", *STATE)
# Deep pages of the whole list.
PAGE = ("id", *STATE)


def _name(columns):
    return make_index_name("order", columns)


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("order", PAYMENT, False),
        migrator.drop_index("order", "order_paid_at"),
        migrator.add_index("order", STATUS_PAGE, False),
        migrator.drop_index("order", "order_status_id"),
        migrator.add_index("order", PAGE, False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("order", _name(PAGE)),
        migrator.add_index("order", ("status_id",), False),
        migrator.drop_index("order", _name(STATUS_PAGE)),
        migrator.add_index("order", ("paid_at",), False),
        migrator.drop_index("order", _name(PAYMENT)),
    )
