"""Which records `cs import v1` copied from which source store (import.md §2)."""

from peewee import BigIntegerField, CharField, Model


def up(migrator, db):
    class ImportRecord(Model):
        source = CharField(max_length=255)
        kind = CharField(max_length=20)
        source_id = BigIntegerField()
        target_id = BigIntegerField()

        class Meta:
            database = db
            table_name = "import_record"
            indexes = (
                (("source", "kind", "source_id"), True),
                (("kind", "target_id"), True),
            )

    db.create_tables([ImportRecord])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("import_record"))
