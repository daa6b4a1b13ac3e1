"""The database proxy, the base model and the field types every model shares."""

import datetime
import functools
import os
import select
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from urllib.parse import parse_qsl, unquote, urlsplit

from peewee import (
    BigIntegerField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    Model,
    OperationalError,
    SqliteDatabase,
    __exception_wrapper__,
)
from playhouse.pool import PooledMySQLDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

try:
    import fcntl
except ImportError:  # Windows: SQLite's own lock alone orders the writers there
    fcntl = None


class BoundDatabase(DatabaseProxy):
    """The models' database: the one bound to the current context (a request or command of
    one app), else the process-wide default set by `initialize`.

    Several apps with different store databases can share a process: each binds its own
    database for the request it serves, and a thread (or task) only ever sees its own
    binding, so threaded workers serving two apps at once never cross."""

    __slots__ = ("_default", "_bound")
    _ATTRIBUTES = frozenset(("_default", "_bound", *DatabaseProxy.__slots__))

    def __init__(self):
        self._bound = ContextVar("store_database", default=None)
        self._default = None
        super().__init__()

    @property
    def obj(self):
        bound = self._bound.get()
        return self._default if bound is None else bound

    @obj.setter
    def obj(self, database):
        self._default = database

    def __setattr__(self, name, value):
        if name not in self._ATTRIBUTES:
            raise AttributeError("Cannot set attribute on proxy.")
        object.__setattr__(self, name, value)

    def bind(self, database):
        """Use `database` in the current context until bound again (None: the default)."""
        self._bound.set(database)

    @contextmanager
    def bound(self, database):
        """Use `database` in the current context for the duration of a `with` block."""
        token = self._bound.set(database)
        try:
            yield database
        finally:
            self._bound.reset(token)


db = BoundDatabase()

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
    """A Decimal with at most four decimal places, stored as a scaled integer.

    Every value given to it is an ordinary number (`2` is two, not two ten-thousandths);
    a float is taken as the decimal it prints as."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, float):
            value = Decimal(repr(value))
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

    def python_value(self, value):
        # SQLite hands back the text written above: that one form is parsed in C, where
        # peewee would try its strptime formats in turn (the other forms still do).
        if type(value) is str and len(value) == 26 and value[10] == " ":
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


class SkuField(CharField):
    """A stock-keeping unit, compared exactly (case, accents, trailing spaces) everywhere."""

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


def locking_atomic():
    """A write transaction for read-then-write: SQLite takes its write lock at BEGIN
    (IMMEDIATE), so two writers never both read the old state; on the servers, lock the
    rows read with `for_update_if_supported`."""
    database = db.obj
    if isinstance(database, StoreSqliteDatabase):
        return _WriterTurn(database)
    if isinstance(database, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def locks_at_begin():
    """Whether locking_atomic's transactions hold the database's write lock from their
    start (SQLite), so that what they read stays as read until they commit."""
    return isinstance(db.obj, SqliteDatabase)


class WriterTurnTimeout(OperationalError):
    """A writer waited DATABASE_TIMEOUT for its turn: what SQLite says when its own lock
    stays busy that long, and so a 503 (models.failures)."""

    def __init__(self):
        super().__init__("database is locked")


class _WriterTurn:
    """SQLite's write transaction, begun once the other writers of this process, then of
    every process on this database file, are done with theirs. Waiting for SQLite's lock
    means sleeping in its busy handler (1, 2, 5, 10 ... 100 ms between tries) while the
    holder may sit preempted, then finish long before the sleeper wakes; waiting on a lock
    of the process wakes the next writer the moment the last one commits, and the file
    lock beside the database (StoreSqliteDatabase.writer_file) is tried every millisecond
    at most. Writers that take neither (another program, the sqlite3 shell) still meet at
    SQLite's own lock, which alone keeps writes apart: these only decide who goes next."""

    __slots__ = ("_atomic", "_database", "_outermost")

    def __init__(self, database):
        self._database = database
        self._atomic = None
        self._outermost = False

    def __enter__(self):
        database = self._database
        deadline = time.monotonic() + database.writer_timeout
        if not database.writer_lock.acquire(timeout=database.writer_timeout):
            raise WriterTurnTimeout()
        try:
            # Re-entered (a savepoint inside the transaction): the file lock is held.
            self._outermost = database.writer_depth == 0
            if self._outermost and not database.writer_file.acquire(deadline):
                raise WriterTurnTimeout()
            database.writer_depth += 1
        except BaseException:
            database.writer_lock.release()
            raise
        try:
            self._atomic = database.atomic("IMMEDIATE")
            return self._atomic.__enter__()
        except BaseException:
            self._release()
            raise

    def __exit__(self, *exc_info):
        try:
            return self._atomic.__exit__(*exc_info)
        finally:
            self._release()

    def _release(self):
        database = self._database
        database.writer_depth -= 1
        try:
            if self._outermost:
                database.writer_file.release()
        finally:
            database.writer_lock.release()


class _WriterFile:
    """An exclusive lock on `<database file>-writer` (flock), taken by the writers of every
    process in turn; none for an in-memory database. Opened once per process: a forked
    worker must not share its parent's open file, whose lock would be theirs together."""

    def __init__(self, path):
        self.path = None if fcntl is None or path in ("", ":memory:") else f"{path}-writer"
        self._fd = None
        self._pid = None

    def _file(self):
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, deadline):
        """Take the lock, trying until `deadline` (time.monotonic()); whether it was."""
        if self.path is None:
            return True
        try:
            fd = self._file()
        except OSError:
            # A read-only directory, say: SQLite's own lock still keeps writers apart.
            self.path = None
            return True
        delay = 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.001)

    def release(self):
        if self.path is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def for_update_if_supported(query):
    """`query` with FOR UPDATE where the database has it (SQLite locks at BEGIN instead)."""
    return query.for_update() if db.obj.for_update else query


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
MYSQL_SQL_MODE = "STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY"
# Byte-exact on MySQL and MariaDB alike: their utf8mb4_bin collations are case-sensitive but
# ignore trailing spaces ('abc' = 'abc '), and the exact (NO PAD) collation has a different
# name on each. PyMySQL returns bytes, which the field decodes.
MYSQL_SKU_TYPE = "VARBINARY(100)"


class StoreSqliteDatabase(PooledSqliteDatabase):
    """The store's SQLite database: pooled, with a lock its writers take turns on in this
    process (see locking_atomic)."""

    def __init__(self, *args, timeout=5, **kwargs):
        super().__init__(*args, timeout=timeout, **kwargs)
        # Re-entrant: a savepoint inside a write transaction takes it again.
        self.writer_lock = threading.RLock()
        self.writer_depth = 0
        self.writer_file = _WriterFile(self.database)
        self.writer_timeout = timeout if timeout and timeout > 0 else 0.001


def _sqlite(parts, pool_size, timeout):
    if parts.netloc:
        raise ValueError("a sqlite DATABASE_URL looks like sqlite:///relative/path.db")
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    return StoreSqliteDatabase(
        path or ":memory:",
        # Pragmas run on every new connection, so every pooled connection has them.
        pragmas={**SQLITE_PRAGMAS, "busy_timeout": timeout * 1000},
        max_connections=pool_size,
        stale_timeout=3600,
        timeout=timeout,
        # The pool hands a connection to one thread at a time, but not always the thread
        # that opened it (threaded workers): without this sqlite3 refuses it and the pool
        # throws it away unclosed.
        check_same_thread=False,
        field_types={"SKU": "VARCHAR(100)", "LONGTEXT": "TEXT"},
    )


def _server(parts):
    server = {
        "database": unquote(parts.path.lstrip("/")),
        "host": parts.hostname or "127.0.0.1",
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "port": parts.port,
    }
    if not server["database"]:
        raise ValueError(f"DATABASE_URL names no database: {parts.scheme}://host:port/<name>")
    return {key: value for key, value in server.items() if value is not None}


# The flag of a MySQL/MariaDB server's status word (sent with every reply) that says a
# transaction is open: SERVER_STATUS_IN_TRANS.
MYSQL_IN_TRANSACTION = 0x0001


def hung_up(fileno):
    """Whether an idle connection's socket has anything to read. Between two statements
    the server has nothing to say: a socket that is readable (or closed) means the server
    hung up (its session terminated, a restart) or said something unasked, and either way
    the connection is not handed out again. Looking costs no round trip, where the pool's
    own check (a `SELECT 1` or a ping) costs one on every request."""
    poller = select.poll()
    try:
        poller.register(fileno, select.POLLIN | select.POLLPRI)
    except (OSError, ValueError):
        return True
    return bool(poller.poll(0))


class StoreMySQLDatabase(PooledMySQLDatabase):
    """The store's MySQL/MariaDB database: pooled, its connections checked without round
    trips when the pool hands them out and takes them back."""

    def _is_closed(self, conn):
        sock = getattr(conn, "_sock", None)  # PyMySQL's socket, None once closed
        if sock is None:
            return True
        return hung_up(sock.fileno())

    def _can_reuse(self, conn):
        # peewee rolls back on every check-in (PyMySQL cannot say whether a transaction is
        # open); the status word of the server's last reply can.
        status = conn.server_status
        if status is not None and not status & MYSQL_IN_TRANSACTION:
            return True
        return super()._can_reuse(conn)


class StorePostgresqlDatabase(PooledPostgresqlDatabase):
    """The store's PostgreSQL database: pooled, and with server-side prepared statements
    for the compiled queries (see models.compiled), unless told not to.

    PostgreSQL plans every statement it receives; on the hot paths, planning a simple
    lookup costs several times running it. A compiled query is prepared once per
    connection (`PREPARE`) and from then on run by name (`EXECUTE`), so its plan is kept."""

    def __init__(self, *args, prepare=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepares = prepare

    def _is_closed(self, conn):
        # peewee's check, but for its `SELECT 1` on every check-out of an idle connection.
        if conn.closed:
            return True
        adapter = self._adapter
        status = adapter.txn_status(conn)
        if status == adapter.txn_unknown:
            return True
        if status != adapter.txn_idle:
            try:
                adapter.rollback(conn)
            except Exception:
                return True
        return hung_up(conn.fileno())

    def _connect(self):
        # The pool's _connect hands out a pooled connection or makes a new one.
        conn = super()._connect()
        if not hasattr(conn, "prepared"):
            conn.prepared = set()
        return conn

    def execute_prepared(self, name, prepare, execute, sql, params):
        """Run `sql` as `execute` (an EXECUTE of the statement `name`), preparing it first
        with `prepare` on a connection that has not prepared it yet. Logged (and counted)
        as `sql`, one statement: the PREPARE belongs to the first EXECUTE."""
        self._log_query(sql, params)
        start = time.perf_counter() if self.query_hooks else None
        try:
            with __exception_wrapper__:
                cursor = self.cursor()
                prepared = cursor.connection.prepared
                if name not in prepared:
                    cursor.execute(prepare)
                    # Not undone by a rollback: it lasts as long as its session.
                    prepared.add(name)
                cursor.execute(execute, params)
        except Exception as exc:
            if start is not None:
                self._notify_hooks(sql, params, start, exc)
            raise
        if start is not None:
            self._notify_hooks(sql, params, start, None)
        return cursor


@functools.cache
def _psycopg2_connection():
    """psycopg2's connection class, with room for the names it has prepared."""
    import psycopg2.extensions

    class Connection(psycopg2.extensions.connection):
        pass

    return Connection


def _postgresql(parts, options, pool_size, timeout, statement_timeout, prepare):
    # random_page_cost: PostgreSQL's default (4) prices an index lookup as a read from a
    # spinning disk, and so joins a page's options to their choices by scanning every
    # choice; a store's working set is in memory or on SSD (1.1: ten times faster plans).
    settings = (
        f"-c statement_timeout={statement_timeout * 1000} -c timezone=UTC -c random_page_cost=1.1"
    )
    connect = {
        **_server(parts),
        "connect_timeout": timeout,
        # A server that vanished without closing the connection (host down, network cut)
        # is noticed within DATABASE_TIMEOUT instead of the kernel's many minutes.
        "keepalives": 1,
        "keepalives_idle": timeout,
        "keepalives_interval": 1,
        "keepalives_count": 3,
        "tcp_user_timeout": timeout * 1000,
        **options,
        # The URL's own `options` (e.g. a search_path) come after ours and win.
        "options": f"{settings} {options.get('options', '')}".strip(),
    }
    return StorePostgresqlDatabase(
        connect.pop("database"),
        prepare=prepare,
        connection_factory=_psycopg2_connection(),
        max_connections=pool_size,
        stale_timeout=300,
        timeout=timeout,
        field_types={"SKU": "VARCHAR(100)", "LONGTEXT": "TEXT"},
        **connect,
    )


def _mysql(parts, options, pool_size, timeout, statement_timeout):
    connect = {
        **_server(parts),
        "charset": "utf8mb4",
        "connect_timeout": timeout,
        # PyMySQL's limit on waiting for the server, its greeting included, so a server
        # that accepts connections and never answers fails too; a second longer than the
        # server's own lock limit below, whose clean error should come first. (None is
        # PyMySQL's "no limit".)
        "read_timeout": statement_timeout + 1 if statement_timeout else None,
        "write_timeout": statement_timeout + 1 if statement_timeout else None,
        # Runs on every new connection, so every pooled connection has it.
        "init_command": f"SET sql_mode='{MYSQL_SQL_MODE}', time_zone='+00:00'"
        + (f", innodb_lock_wait_timeout={statement_timeout}" if statement_timeout else ""),
        # PyMySQL wants numbers as numbers (ports, timeouts), the URL gives strings.
        **{key: int(value) if value.isdigit() else value for key, value in options.items()},
    }
    return StoreMySQLDatabase(
        connect.pop("database"),
        max_connections=pool_size,
        stale_timeout=300,
        timeout=timeout,
        field_types={"SKU": MYSQL_SKU_TYPE, "DATETIME": "DATETIME(6)"},
        **connect,
    )


def make_database(url, pool_size=10, timeout=5, statement_timeout=None, prepare=True):
    """Build a pooled peewee database from a DATABASE_URL; nothing is connected yet.

    `timeout` (DATABASE_TIMEOUT) bounds every wait on the database: connecting, a pooled
    connection, SQLite's locks, and one statement on the servers, unless `statement_timeout`
    says otherwise (0: no limit, for schema migrations). Query parameters of the URL
    go to the driver (`?sslmode=require`, `?host=/var/run/postgresql`,
    `?unix_socket=/run/mysqld/mysqld.sock`) and win over the defaults chosen here.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    options = dict(parse_qsl(parts.query))
    if statement_timeout is None:
        statement_timeout = timeout
    if scheme == "sqlite":
        return _sqlite(parts, pool_size, timeout)
    if scheme in ("postgres", "postgresql"):
        return _postgresql(parts, options, pool_size, timeout, statement_timeout, prepare)
    if scheme in ("mysql", "mariadb"):
        return _mysql(parts, options, pool_size, timeout, statement_timeout)
    raise ValueError(f"unsupported DATABASE_URL scheme {parts.scheme!r}")
