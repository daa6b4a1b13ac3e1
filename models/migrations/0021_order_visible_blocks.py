"""How many visible orders each block of 1,024 order ids holds, kept by the database itself.

A deep page of the default listing skipped every visible order before it, one index entry
at a time (page 2,500 of 100,000 orders: 50,000 entries, more than three times page 1's
whole cost). With these counts the listing sums blocks instead, newest first, to find the
block its page starts in, and walks at most that block's entries (store.orders.listing
.visible_window). A block is `id / 1024`; "visible" is the default listing's test.

Triggers move the counts with every order inserted, deleted or made visible or hidden, by
any path (the API, the Python API, `cs demo`, an import, plain SQL), in the same
transaction, as `order_tally`'s do (0017, 0018): on PostgreSQL deferred to the commit, so
the block's row lock is held only for the commit; on MySQL/MariaDB taken with the order's
write, after the tally's (the same order on every path). A TRUNCATE of the orders on
PostgreSQL empties the counts. The counts are made under a write lock on the orders, so no
order written meanwhile is missed or counted twice.
"""

from peewee import MySQLDatabase, PostgresqlDatabase

BLOCK = 1024
TABLE = "order_visible_block"
VISIBLE = "({row}.external_payment_requested_at IS NULL OR {row}.paid_at IS NOT NULL)"
CREATE_TABLE = f"CREATE TABLE {TABLE} (block BIGINT PRIMARY KEY, orders BIGINT NOT NULL)"


def _fill(div, table='"order"'):
    visible = VISIBLE.format(row=table)
    return (
        f"INSERT INTO {TABLE} (block, orders) SELECT id {div} {BLOCK}, COUNT(*) "
        f"FROM {table} WHERE {visible} GROUP BY id {div} {BLOCK}"
    )


def _changes(div, old="OLD", new="NEW"):
    """(when the old row leaves its block's count, when the new row enters its block's):
    on an update, only if its visibility or its block changes."""
    was, now = VISIBLE.format(row=old), VISIBLE.format(row=new)
    same = f"{was} AND {now} AND {old}.id {div} {BLOCK} = {new}.id {div} {BLOCK}"
    return f"{was} AND NOT ({same})", f"{now} AND NOT ({same})"


def _sqlite():
    leaves, enters = _changes("/")
    add = (
        f"INSERT INTO {TABLE} (block, orders) VALUES (NEW.id / {BLOCK}, 1) "
        "ON CONFLICT (block) DO UPDATE SET orders = orders + 1"
    )
    remove = f"UPDATE {TABLE} SET orders = orders - 1 WHERE block = OLD.id / {BLOCK}"
    return (
        CREATE_TABLE,
        _fill("/"),
        f'CREATE TRIGGER {TABLE}_insert AFTER INSERT ON "order" '
        f"WHEN {VISIBLE.format(row='NEW')} BEGIN {add}; END",
        f'CREATE TRIGGER {TABLE}_delete AFTER DELETE ON "order" '
        f"WHEN {VISIBLE.format(row='OLD')} BEGIN {remove}; END",
        f"CREATE TRIGGER {TABLE}_leave AFTER UPDATE OF id, external_payment_requested_at, "
        f'paid_at ON "order" WHEN {leaves} BEGIN {remove}; END',
        f"CREATE TRIGGER {TABLE}_enter AFTER UPDATE OF id, external_payment_requested_at, "
        f'paid_at ON "order" WHEN {enters} BEGIN {add}; END',
    )


def _postgresql():
    leaves, enters = _changes("/")
    add = (
        f"INSERT INTO {TABLE} (block, orders) VALUES (NEW.id / {BLOCK}, 1) "
        f"ON CONFLICT (block) DO UPDATE SET orders = {TABLE}.orders + 1"
    )
    remove = f"UPDATE {TABLE} SET orders = orders - 1 WHERE block = OLD.id / {BLOCK}"
    return (
        'LOCK TABLE "order" IN SHARE MODE',
        CREATE_TABLE,
        _fill("/"),
        f"""CREATE FUNCTION cs_{TABLE}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {TABLE};
    ELSIF TG_OP = 'DELETE' THEN
        {remove};
    ELSIF TG_OP = 'INSERT' THEN
        {add};
    ELSE
        IF {leaves} THEN
            {remove};
        END IF;
        IF {enters} THEN
            {add};
        END IF;
    END IF;
    RETURN NULL;
END $$""",
        # Tested as each row is written (the function runs at the commit): it is queued
        # only when a count moves.
        f'CREATE CONSTRAINT TRIGGER {TABLE}_insert AFTER INSERT ON "order" DEFERRABLE '
        f"INITIALLY DEFERRED FOR EACH ROW WHEN {VISIBLE.format(row='NEW')} "
        f"EXECUTE FUNCTION cs_{TABLE}()",
        f'CREATE CONSTRAINT TRIGGER {TABLE}_delete AFTER DELETE ON "order" DEFERRABLE '
        f"INITIALLY DEFERRED FOR EACH ROW WHEN {VISIBLE.format(row='OLD')} "
        f"EXECUTE FUNCTION cs_{TABLE}()",
        f"CREATE CONSTRAINT TRIGGER {TABLE}_update AFTER UPDATE OF id, "
        f'external_payment_requested_at, paid_at ON "order" DEFERRABLE INITIALLY DEFERRED '
        f"FOR EACH ROW WHEN (({leaves}) OR ({enters})) EXECUTE FUNCTION cs_{TABLE}()",
        f'CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON "order" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION cs_{TABLE}()",
    )


def _mysql():
    leaves, enters = _changes("DIV")
    add = (
        f"INSERT INTO {TABLE} (block, orders) VALUES (NEW.id DIV {BLOCK}, 1) "
        "ON DUPLICATE KEY UPDATE orders = orders + 1"
    )
    remove = f"UPDATE {TABLE} SET orders = orders - 1 WHERE block = OLD.id DIV {BLOCK}"
    return (
        CREATE_TABLE,
        f"LOCK TABLES `order` WRITE, {TABLE} WRITE",
        _fill("DIV", "`order`"),
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON `order` FOR EACH ROW BEGIN "
        f"IF {VISIBLE.format(row='NEW')} THEN {add}; END IF; END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON `order` FOR EACH ROW BEGIN "
        f"IF {VISIBLE.format(row='OLD')} THEN {remove}; END IF; END",
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE ON `order` FOR EACH ROW BEGIN "
        f"IF {leaves} THEN {remove}; END IF; IF {enters} THEN {add}; END IF; END",
    )


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for statement in _postgresql():
            db.execute_sql(statement)
    elif isinstance(db, MySQLDatabase):
        try:
            for statement in _mysql():
                db.execute_sql(statement)
        finally:
            db.execute_sql("UNLOCK TABLES")
    else:
        for statement in _sqlite():
            db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for name in ("truncate", "update", "delete", "insert"):
            db.execute_sql(f'DROP TRIGGER {TABLE}_{name} ON "order"')
        db.execute_sql(f"DROP FUNCTION cs_{TABLE}()")
    else:
        names = (
            ("update", "delete", "insert")
            if isinstance(db, MySQLDatabase)
            else ("enter", "leave", "delete", "insert")
        )
        for name in names:
            db.execute_sql(f"DROP TRIGGER {TABLE}_{name}")
    db.execute_sql(f"DROP TABLE {TABLE}")
