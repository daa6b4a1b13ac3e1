"""Which of this store's records were copied from which source store (import.md §2)."""

from peewee import BigIntegerField, CharField

from models.base import BaseModel


class ImportRecord(BaseModel):
    """One record copied by `cs import v1`: a re-run may replace it, and only it."""

    # The source's base URL as given to the import, without a trailing slash.
    source = CharField(max_length=255)
    # "product" or "order".
    kind = CharField(max_length=20)
    source_id = BigIntegerField()
    target_id = BigIntegerField()

    class Meta:
        table_name = "import_record"
        indexes = (
            (("source", "kind", "source_id"), True),
            # A record of this store came from one source at most.
            (("kind", "target_id"), True),
        )
