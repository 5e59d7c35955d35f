"""A database and cache shared by several gateway processes, and the processes started on them."""

import shutil
import sqlite3
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
import redis

from tests.scale.cluster import Child, Gateway, base_env, manage

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 3  # the test suite's own Redis runs use db 1
MIGRATE = ("migrate", "--noinput", "--verbosity", "0")


class SqliteStore:
    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"

    def rows(self, sql: str, params=()) -> list[tuple]:
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()


class PostgresStore:
    def __init__(self, name: str):
        self.name = name
        self.url = f"{PG_SERVER}/{name}"

    def rows(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def pg_admin(sql: str) -> None:
    """A statement that cannot run in a transaction (CREATE/DROP DATABASE), on the server."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


class Stack:
    """One database and one cache; every process started here is stopped by close()."""

    def __init__(self, *, store, cache_url: str, workdir: Path, **settings: str):
        self.store = store
        self.cache_url = cache_url
        self.workdir = workdir
        # One set of secrets for all processes: they must decrypt each other's credentials.
        self.env = base_env(DATABASE_URL=store.url, CACHE_URL=cache_url, **settings)
        self.children: list[Child] = []

    def manage(self, *args: str, timeout: float = 120, **settings: str):
        return manage({**self.env, **settings}, *args, timeout=timeout)

    def check(self, *args: str, **settings: str) -> str:
        """Run a command that must succeed; its stdout."""
        done = self.manage(*args, **settings)
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def start(self, command: list[str], *, name: str, **settings: str) -> Child:
        log = self.workdir / f"{name}-{len(self.children)}.log"
        child = Child(command, env={**self.env, **settings}, log=log)
        self.children.append(child)
        return child

    def gateways(self, count: int, *, workers: int = 1, threads: int = 4) -> list[Gateway]:
        started = []
        for _ in range(count):
            log = self.workdir / f"gateway-{len(self.children)}.log"  # unique per process
            started.append(Gateway(env=self.env, log=log, workers=workers, threads=threads))
            self.children.append(started[-1])
        return [gateway.wait_ready() for gateway in started]  # they boot in parallel

    def api_key(self, name: str, *options: str) -> tuple[str, str]:
        """(display prefix, raw key) of a new key created with `create_api_key`."""
        raw = self.check("create_api_key", "--name", name, *options).strip().splitlines()[-1]
        return raw[:12], raw

    def close(self) -> None:
        for child in reversed(self.children):
            child.stop()


def sqlite_template(workdir: Path) -> Path:
    path = workdir / "template.sqlite3"
    done = manage(base_env(DATABASE_URL=f"sqlite:///{path}"), *MIGRATE)
    assert done.returncode == 0, done.stderr
    return path


@contextmanager
def sqlite_stack(template: Path, workdir: Path, **settings: str):
    """A copy of the migrated SQLite file, and the default machine cache in its own folder."""
    path = workdir / "gateway.sqlite3"
    shutil.copyfile(template, path)
    stack = Stack(
        store=SqliteStore(path),
        cache_url="",  # the default, whatever this suite runs on
        workdir=workdir,
        GATEWAY_CACHE_DIR=str(workdir / "cache"),
    )
    stack.env.update(settings)
    try:
        yield stack
    finally:
        stack.close()


@contextmanager
def postgres_template():
    name = f"gateway_scale_tpl_{uuid.uuid4().hex[:8]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        done = manage(base_env(DATABASE_URL=f"{PG_SERVER}/{name}"), *MIGRATE)
        assert done.returncode == 0, done.stderr
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_stack(template: str, workdir: Path, **settings: str):
    """A fresh PostgreSQL database cloned from the migrated template, and Redis db 3."""
    suffix = uuid.uuid4().hex[:8]
    name = f"gateway_scale_{suffix}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    prefix = f"scale-{suffix}"  # this test's keys only: Redis may be shared with other runs
    cache_url = f"rediscache://127.0.0.1:6379/{REDIS_DB}?key_prefix={prefix}"
    stack = Stack(store=PostgresStore(name), cache_url=cache_url, workdir=workdir)
    stack.env.update(settings)
    try:
        yield stack
    finally:
        stack.close()
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=5)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()
