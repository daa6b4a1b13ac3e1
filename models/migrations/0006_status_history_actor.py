"""Who changed an order's status, as an actor string (`client:<id>`, `cli`, `app:<label>`)."""

from peewee import CharField

ACTOR = CharField(max_length=255, null=True)


def up(migrator, db):
    migrator.migrate(migrator.add_column("order_status_history", "actor", ACTOR))
    # Rows written by API calls name their client: carry that over. One statement per
    # client (integrations are few), in SQL every database reads alike.
    clients = db.execute_sql(
        "SELECT DISTINCT client_id FROM order_status_history WHERE client_id IS NOT NULL"
    ).fetchall()
    for (client_id,) in clients:
        db.execute_sql(
            f"UPDATE order_status_history SET actor = {db.param} WHERE client_id = {db.param}",
            (f"client:{client_id}", client_id),
        )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("order_status_history", "actor"))
