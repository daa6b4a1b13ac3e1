"""Failed client authentications at the token endpoint, shared by every worker and server."""

from peewee import CharField, Model

from models.base import UTCDateTimeField


def up(migrator, db):
    class TokenFailure(Model):
        client_id = CharField(max_length=64, null=True)
        address = CharField(max_length=64)
        failed_at = UTCDateTimeField(index=True)

        class Meta:
            database = db
            table_name = "token_failure"
            indexes = ((("address", "failed_at"), False),)

    db.create_tables([TokenFailure])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("token_failure"))
