"""Keep order items' SKUs exactly as given on MySQL/MariaDB too, like every other SKU."""

from peewee import MySQLDatabase

from models.base import MYSQL_SKU_TYPE

# An order item keeps the SKU it was ordered under. The first schema made it a text column
# in the database's collation, which on MySQL/MariaDB (utf8mb4_unicode_ci) calls 'abc',
# 'ABC', 'abc ' and 'ábc' equal: any lookup or join of order items by SKU would match lines
# of other SKUs there and nowhere else. The other databases already compare it exactly.


def up(migrator, db):
    if isinstance(db, MySQLDatabase):
        # The utf8mb4 bytes are kept as they are: the SKUs read back unchanged.
        db.execute_sql(f"ALTER TABLE order_item MODIFY sku {MYSQL_SKU_TYPE} NULL")


def down(migrator, db):
    if isinstance(db, MySQLDatabase):
        db.execute_sql("ALTER TABLE order_item MODIFY sku VARCHAR(100) NULL")
