"""The database proxy, the base model and the field types every model shares."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qsl, unquote, urlsplit

from peewee import BigIntegerField, CharField, DatabaseProxy, DateTimeField, Model
from playhouse.pool import PooledMySQLDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()

# Quantities and money are stored as integers in ten-thousandths: exact on every database,
# SQLite included, and exact in SQL arithmetic (`stock = stock + ?`).
SCALE = 10_000
QUANT = Decimal("0.0001")
# The largest stock level or adjustment the API accepts, in stored units.
MAX_UNITS = 999_999_999_999


def to_units(value):
    """Convert a Decimal (or int) to stored ten-thousandths, refusing extra precision."""
    quantized = Decimal(value).quantize(QUANT)
    if quantized != value:
        raise ValueError("more than 4 decimal places")
    return int(quantized * SCALE)


def from_units(units):
    return (Decimal(units) / SCALE).quantize(QUANT)


class Fixed4Field(BigIntegerField):
    """A Decimal with exactly four decimal places, stored as a scaled integer."""

    def db_value(self, value):
        if value is None or isinstance(value, int) and not isinstance(value, bool):
            # Plain ints reach here from SQL expressions already in units.
            return value
        return to_units(value)

    def python_value(self, value):
        return None if value is None else from_units(value)


class UTCDateTimeField(DateTimeField):
    """A point in time, stored as naive UTC with microseconds on every database."""

    def db_value(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        if isinstance(value, datetime.datetime):
            # One fixed-width text form for every database keeps SQLite's string
            # comparisons chronological; the servers cast it to their own type.
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return super().db_value(value)


class SkuField(CharField):
    """A stock-keeping unit: case-sensitive on every database."""

    field_type = "SKU"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def get_modifiers(self):
        return None


def sync_id_sequence(model):
    """After inserting explicit ids, move PostgreSQL's id sequence past them (the other
    databases do this by themselves)."""
    database = model._meta.database
    if isinstance(database.obj, PooledPostgresqlDatabase):
        table = model._meta.table_name
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}


def make_database(url, pool_size=10, timeout=5):
    """Build a pooled peewee database from a DATABASE_URL; nothing is connected yet."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    options = dict(parse_qsl(parts.query))
    if scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc:
            raise ValueError("a sqlite DATABASE_URL looks like sqlite:///relative/path.db")
        return PooledSqliteDatabase(
            path or ":memory:",
            pragmas={**SQLITE_PRAGMAS, "busy_timeout": timeout * 1000},
            timeout=timeout,
            max_connections=pool_size,
            stale_timeout=3600,
            field_types={"SKU": "VARCHAR(100)"},
        )
    server = {
        "database": unquote(parts.path.lstrip("/")),
        "host": parts.hostname or "127.0.0.1",
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    if parts.port:
        server["port"] = parts.port
    server = {key: value for key, value in server.items() if value is not None}
    pool = {"max_connections": pool_size, "stale_timeout": 300, "timeout": timeout}
    if scheme in ("postgres", "postgresql"):
        return PooledPostgresqlDatabase(
            server.pop("database"),
            connect_timeout=timeout,
            options=f"-c statement_timeout={timeout * 1000 * 6} -c timezone=UTC",
            field_types={"SKU": "VARCHAR(100)"},
            **pool,
            **server,
            **options,
        )
    if scheme in ("mysql", "mariadb"):
        return PooledMySQLDatabase(
            server.pop("database"),
            charset="utf8mb4",
            connect_timeout=timeout,
            read_timeout=timeout * 6,
            write_timeout=timeout * 6,
            init_command=(
                "SET sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,"
                "ONLY_FULL_GROUP_BY', time_zone='+00:00'"
            ),
            field_types={
                "SKU": "VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                "DATETIME": "DATETIME(6)",
            },
            **pool,
            **server,
            **options,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme {parts.scheme!r}")
