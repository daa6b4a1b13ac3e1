"""Widen id columns to 64 bits on PostgreSQL and MySQL/MariaDB, for the schema migrations.

The first schema gave ids 32-bit columns there (serial, INT); SQLite's integer keys are
64-bit already. Every column holding one of the ids widens with it."""

from peewee import MySQLDatabase, PostgresqlDatabase

FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IN ({tables})
  AND k.REFERENCED_COLUMN_NAME = 'id'
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME
"""


def _postgresql(db, columns, sequences, kind):
    for table, column in columns:
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind}')
    for table, column in sequences:
        (sequence,) = db.execute_sql(
            "SELECT pg_get_serial_sequence(%s, %s)", (f'"{table}"', column)
        ).fetchone()
        # Its largest value follows the type, so explicit ids can move it past them.
        db.execute_sql(f"ALTER SEQUENCE {sequence} AS {kind}")


def _mysql(db, columns, sequences, kind):
    # MariaDB changes no column a foreign key uses, checks off or not: take the keys off,
    # widen both ends, and put the same keys back.
    tables = ", ".join(f"'{table}'" for table, _ in sequences)
    keys = db.execute_sql(FOREIGN_KEYS.format(tables=tables)).fetchall()
    for table, name, *_ in keys:
        db.execute_sql(f"ALTER TABLE `{table}` DROP FOREIGN KEY `{name}`")
    for table, column in columns:
        extra = " AUTO_INCREMENT" if (table, column) in sequences else ""
        null = (
            "NULL"
            if (table, column) not in sequences and _nullable(db, table, column)
            else "NOT NULL"
        )
        db.execute_sql(f"ALTER TABLE `{table}` MODIFY `{column}` {kind} {null}{extra}")
    for table, name, column, referenced, on_delete, on_update in keys:
        db.execute_sql(
            f"ALTER TABLE `{table}` ADD CONSTRAINT `{name}` FOREIGN KEY (`{column}`) "
            f"REFERENCES `{referenced}` (`id`) ON DELETE {on_delete} ON UPDATE {on_update}"
        )


def _nullable(db, table, column):
    (nullable,) = db.execute_sql(
        "SELECT IS_NULLABLE FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s",
        (table, column),
    ).fetchone()
    return nullable == "YES"


def widen(db, columns, sequences, wide=True):
    """Make `columns` ((table, column) pairs) 64-bit (`wide`) or 32-bit again; `sequences`
    are the (table, "id") pairs among them that are generated keys."""
    if isinstance(db, PostgresqlDatabase):
        _postgresql(db, columns, sequences, "BIGINT" if wide else "INTEGER")
    elif isinstance(db, MySQLDatabase):
        _mysql(db, columns, sequences, "BIGINT" if wide else "INT")
