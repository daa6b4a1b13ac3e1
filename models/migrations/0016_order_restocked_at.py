"""Remember when an order's items were put back into stock, so they are put back once."""

from models.base import UTCDateTimeField

RESTOCKED_AT = UTCDateTimeField(null=True)


def up(migrator, db):
    migrator.migrate(migrator.add_column("order", "restocked_at", RESTOCKED_AT))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("order", "restocked_at"))
