"""Let orders and order items keep explicit ids up to 10^15 - 1 (manage.md §0: PUT)."""

from models.widening import widen

COLUMNS = (
    ("order", "id"),
    ("order_item", "id"),
    ("order_item", "order_id"),
    ("order_item_option", "item_id"),
    ("order_attribute", "order_id"),
    ("order_status_history", "order_id"),
)
SEQUENCES = (("order", "id"), ("order_item", "id"))


def up(migrator, db):
    widen(db, COLUMNS, SEQUENCES)


def down(migrator, db):
    widen(db, COLUMNS, SEQUENCES, wide=False)
