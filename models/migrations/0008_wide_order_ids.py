"""Let orders and order items keep explicit ids up to 10^15 - 1 (manage.md §0: PUT)."""

from peewee import MySQLDatabase, PostgresqlDatabase

# The first schema gave ids 32-bit columns on PostgreSQL (serial) and MySQL/MariaDB (INT):
# an order recorded under a larger id would fail there and nowhere else. SQLite's integer
# keys are 64-bit already. Every column holding one of these ids widens with it.
COLUMNS = (
    ("order", "id"),
    ("order_item", "id"),
    ("order_item", "order_id"),
    ("order_item_option", "item_id"),
    ("order_attribute", "order_id"),
    ("order_status_history", "order_id"),
)
SEQUENCES = (("order", "id"), ("order_item", "id"))


def _postgresql(db, kind):
    for table, column in COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind}')
    for table, column in SEQUENCES:
        (sequence,) = db.execute_sql(
            "SELECT pg_get_serial_sequence(%s, %s)", (f'"{table}"', column)
        ).fetchone()
        # Its largest value follows the type, so explicit ids can move it past them.
        db.execute_sql(f"ALTER SEQUENCE {sequence} AS {kind}")


FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IN ('order', 'order_item')
  AND k.REFERENCED_COLUMN_NAME = 'id'
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME
"""


def _mysql(db, kind):
    # MariaDB changes no column a foreign key uses, checks off or not: take the keys off,
    # widen both ends, and put the same keys back.
    keys = db.execute_sql(FOREIGN_KEYS).fetchall()
    for table, name, *_ in keys:
        db.execute_sql(f"ALTER TABLE `{table}` DROP FOREIGN KEY `{name}`")
    for table, column in COLUMNS:
        extra = " AUTO_INCREMENT" if column == "id" else ""
        db.execute_sql(f"ALTER TABLE `{table}` MODIFY `{column}` {kind} NOT NULL{extra}")
    for table, name, column, referenced, on_delete, on_update in keys:
        db.execute_sql(
            f"ALTER TABLE `{table}` ADD CONSTRAINT `{name}` FOREIGN KEY (`{column}`) "
            f"REFERENCES `{referenced}` (`id`) ON DELETE {on_delete} ON UPDATE {on_update}"
        )


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _postgresql(db, "BIGINT")
    elif isinstance(db, MySQLDatabase):
        _mysql(db, "BIGINT")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _postgresql(db, "INTEGER")
    elif isinstance(db, MySQLDatabase):
        _mysql(db, "INT")
