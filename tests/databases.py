"""Test databases: a SQLite file, and throwaway databases on the PostgreSQL and MariaDB
servers, each created for the test session and dropped after it."""

import os
import tempfile
import uuid

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
BACKENDS = [
    name.strip()
    for name in os.environ.get("TEST_DATABASES", "sqlite,postgresql,mariadb").split(",")
    if name.strip()
]


def unreachable(backend, error):
    message = f"{backend} test server unreachable: {error}"
    if IN_CI:
        pytest.fail(message + " (CI=true: every database must be tested)", pytrace=False)
    pytest.skip(message)


class SqliteServer:
    name = "sqlite"

    def create(self):
        self.dir = tempfile.mkdtemp(prefix="cs-test-")
        return f"sqlite:///{self.dir}/store.db"

    def drop(self):
        for leftover in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, leftover))
        os.rmdir(self.dir)


class PostgresServer:
    name = "postgresql"

    def _admin(self):
        import psycopg2

        conn = psycopg2.connect(POSTGRES_SERVER + "/postgres", connect_timeout=3)
        conn.autocommit = True
        return conn

    def create(self):
        self.dbname = f"cs_test_{uuid.uuid4().hex[:12]}"
        import psycopg2

        try:
            conn = self._admin()
        except psycopg2.OperationalError as error:
            unreachable("PostgreSQL", error)
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.dbname}"')
        conn.close()
        return f"{POSTGRES_SERVER}/{self.dbname}"

    def drop(self):
        conn = self._admin()
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        conn.close()


class MariadbServer:
    name = "mariadb"

    def _admin(self):
        from urllib.parse import urlsplit

        import pymysql

        parts = urlsplit(MYSQL_SERVER)
        return pymysql.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            connect_timeout=3,
            autocommit=True,
        )

    def create(self):
        self.dbname = f"cs_test_{uuid.uuid4().hex[:12]}"
        import pymysql

        try:
            conn = self._admin()
        except pymysql.err.OperationalError as error:
            unreachable("MariaDB", error)
        with conn.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE `{self.dbname}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        conn.close()
        return f"{MYSQL_SERVER}/{self.dbname}"

    def drop(self):
        conn = self._admin()
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.dbname}`")
        conn.close()


SERVERS = {"sqlite": SqliteServer, "postgresql": PostgresServer, "mariadb": MariadbServer}
