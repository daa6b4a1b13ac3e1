"""Let products and variations keep explicit ids up to 10^15 - 1 (manage.md §0: PUT)."""

from models.widening import widen

COLUMNS = (
    ("product", "id"),
    ("variation", "id"),
    ("product_image", "product_id"),
    ("product_group_link", "product_id"),
    ("product_category", "product_id"),
    ("product_option", "product_id"),
    ("variation", "product_id"),
    ("variation_choice", "variation_id"),
    ("order_item", "product_id"),
    ("order_item", "variation_id"),
)
SEQUENCES = (("product", "id"), ("variation", "id"))


def up(migrator, db):
    widen(db, COLUMNS, SEQUENCES)


def down(migrator, db):
    widen(db, COLUMNS, SEQUENCES, wide=False)
