"""Throwaway store databases for the benchmarks: a SQLite file, or a database of its own on
the PostgreSQL or MariaDB server (BENCH_POSTGRES_URL, BENCH_MARIADB_URL), dropped after."""

import os
import uuid
from pathlib import Path

from bench.run import RESULTS

SERVERS = {
    "postgresql": os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
    "mariadb": os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306"),
}


class Database:
    """A new store database for the run (`name`: what it is for), dropped afterwards."""

    def __init__(self, kind, name):
        self.kind = kind
        if kind == "sqlite":
            self.path = RESULTS / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{self.path}"
            return
        self.name = f"cs_bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        self._admin(f"CREATE DATABASE {self._quoted()}")
        self.url = f"{SERVERS[kind]}/{self.name}"

    def _quoted(self):
        return f'"{self.name}"' if self.kind == "postgresql" else f"`{self.name}`"

    def _admin(self, sql):
        if self.kind == "postgresql":
            import psycopg2

            conn = psycopg2.connect(SERVERS["postgresql"] + "/postgres")
            conn.autocommit = True
        else:
            import pymysql

            conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.close()

    def drop(self):
        if self.kind == "postgresql":
            self._admin(f"DROP DATABASE IF EXISTS {self._quoted()} WITH (FORCE)")
        elif self.kind == "mariadb":
            self._admin(f"DROP DATABASE IF EXISTS {self._quoted()}")
