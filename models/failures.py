"""Which database errors mean "unavailable, retry later" rather than a bug in a statement."""

import sqlite3

from playhouse.pool import MaxConnectionsExceeded

from models.base import WriterTurnTimeout

try:
    import psycopg2
except ImportError:  # pragma: no cover - only without the PostgreSQL driver
    psycopg2 = None
try:
    from pymysql import err as pymysql_err
except ImportError:  # pragma: no cover - only without the MySQL driver
    pymysql_err = None

# Every driver reports a locked database and a syntax error as the same DB-API class
# (SQLite: OperationalError; PyMySQL: OperationalError for an unknown column), so the
# verdict comes from the driver's own code.

# SQLite primary result codes: another connection holds the lock past the busy timeout
# (BUSY, LOCKED, PROTOCOL), or the file cannot be opened or read (CANTOPEN, IOERR).
# "no such table", "no such column" and syntax errors are SQLITE_ERROR (1).
SQLITE_UNAVAILABLE = {5, 6, 10, 14, 15}

# PostgreSQL SQLSTATE classes: 08 connection exception, 40 transaction rollback (deadlock,
# serialization failure), 57 operator intervention (statement timeout, server shut down);
# and codes: 53300 too many connections, 55P03 lock not available. Bugs are class 42
# (undefined table or column, syntax), which psycopg2 raises as ProgrammingError.
POSTGRESQL_CLASSES = {"08", "40", "57"}
POSTGRESQL_CODES = {"53300", "55P03"}

# MySQL/MariaDB error numbers. PyMySQL raises OperationalError for most server errors,
# "Unknown column" (1054) included, so only these count.
MYSQL_UNAVAILABLE = {
    1040,  # too many connections
    1053,  # server shutdown in progress
    1205,  # lock wait timeout exceeded
    1213,  # deadlock found when trying to get lock
    1317,  # query execution was interrupted
    1927,  # connection was killed (MariaDB)
    1969,  # max_statement_time exceeded (MariaDB)
    2002,  # cannot connect through the socket
    2003,  # cannot connect to the server
    2006,  # server has gone away
    2013,  # lost connection during query (also PyMySQL's read timeout)
    2055,  # lost connection at some stage
    3024,  # max_execution_time exceeded (MySQL)
    4031,  # disconnected by the server for inactivity (MySQL)
}


def driver_error(error):
    """The driver's own exception behind a peewee one (peewee keeps it as `orig`)."""
    return getattr(error, "orig", None) or error


def _postgresql_unavailable(error):
    if isinstance(error, psycopg2.InterfaceError):
        return True  # the connection is closed
    code = error.pgcode
    if code is None:
        # Raised by libpq itself: the server cannot be reached or the connection broke.
        return isinstance(error, psycopg2.OperationalError)
    return code[:2] in POSTGRESQL_CLASSES or code in POSTGRESQL_CODES


def _mysql_unavailable(error):
    if isinstance(error, pymysql_err.InterfaceError):
        return True  # the connection is closed
    return bool(error.args) and error.args[0] in MYSQL_UNAVAILABLE


def is_unavailable(error):
    """True when a database error says "try again later" (locked, busy, a deadlock, a
    timeout, a connection that cannot be made or was lost, no free connection); False when
    the statement itself is at fault, which retrying cannot fix."""
    if isinstance(error.__cause__, MaxConnectionsExceeded) or isinstance(error, WriterTurnTimeout):
        return True
    original = driver_error(error)
    if isinstance(original, sqlite3.Error):
        return (getattr(original, "sqlite_errorcode", 0) & 0xFF) in SQLITE_UNAVAILABLE
    if psycopg2 is not None and isinstance(original, psycopg2.Error):
        return _postgresql_unavailable(original)
    if pymysql_err is not None and isinstance(original, pymysql_err.MySQLError):
        return _mysql_unavailable(original)
    return False
