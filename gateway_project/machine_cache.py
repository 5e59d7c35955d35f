"""A Django cache in one SQLite file: one store shared by every process on the machine."""

import fcntl
import math
import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from gateway_project.machine_counters import Counters

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires REAL NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_expires ON cache (expires);
"""
UPSERT = (
    "INSERT INTO cache (key, value, expires, size) VALUES (?, ?, ?, ?) ON CONFLICT (key) "
    "DO UPDATE SET value = excluded.value, expires = excluded.expires, size = excluded.size"
)
SWEEP_EVERY = 256  # writes per connection between two sweeps of expired rows
INT64 = range(-(2**63), 2**63)
# A connection that a forked child inherited is never used nor closed there: closing it
# could release the parent's locks (SQLite: "do not carry a connection across fork()").
_inherited: list[sqlite3.Connection] = []


class MachineCache(BaseCache):
    """Django's cache API over one SQLite file in WAL mode (LOCATION: the file's path).

    Every process and thread that opens the file sees the same entries at once. Each write is
    one statement, atomic under SQLite's write lock, so `add` and `incr` are exact across
    processes, as on Redis. With OPTIONS["MAX_BYTES"], a sweep (every SWEEP_EVERY writes of a
    connection) drops expired rows and then the rows expiring soonest until the values fit;
    without it nothing is ever evicted and a sweep drops expired rows only. Values are pickled,
    as Django's other backends do, so the folder must be writable by the gateway alone:
    the folder is created 0700 and each file 0600. The keys OPTIONS["COUNTERS"] names hold
    positive integers, never expiring, in shared memory (gateway_project/machine_counters.py).
    """

    def __init__(self, location, params):
        super().__init__(params)
        self.path = Path(location)
        options = params.get("OPTIONS", {})
        self.max_bytes = options.get("MAX_BYTES")
        self.busy_seconds = options.get("BUSY_SECONDS", 10.0)
        self.counters = Counters(Path(f"{location}.counters"), options.get("COUNTERS", ()))
        self._local = threading.local()

    # Connections: one per thread and process, opened on first use.

    def _db(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            if getattr(local, "db", None) is not None:
                _inherited.append(local.db)
            local.db, local.pid, local.writes = self._connect(), os.getpid(), 0
        return local.db

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # One connection at a time sets a file up (creates it, switches it to WAL, makes the
            # table): every worker thread's first request after a start does it at once.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.path.exists():
                # Created 0600 here, once. Never open and close the file of a database in use:
                # closing any descriptor drops the process's POSIX locks on it, SQLite's too.
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            db = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            os.close(lock)  # and with it the lock
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        return db

    def _wrote(self) -> None:
        self._local.writes += 1
        if self._local.writes % SWEEP_EVERY == 0:
            self.sweep()

    # Values: integers as SQLite integers (so incr is one UPDATE), anything else pickled.

    @staticmethod
    def _encode(value) -> tuple[object, int]:
        if type(value) is int and value in INT64:
            return value, 8
        blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        return blob, len(blob)

    @staticmethod
    def _decode(stored):
        return stored if type(stored) is int else pickle.loads(stored)  # noqa: S301

    def _expiry(self, timeout) -> float:
        expires = self.get_backend_timeout(timeout)
        return math.inf if expires is None else expires

    # Django's cache API.

    def validate_key(self, key):
        """SQLite takes any text as a key: no pass over each key for memcached's rules."""

    def _counter(self, key, version, timeout=None) -> bool:
        """Whether `key` is one of the counters; they keep no timeout but forever."""
        if version is not None or key not in self.counters.offsets:
            return False
        if timeout is not None:
            raise ValueError(f"{key!r} is a machine counter: it is kept forever (timeout None)")
        return True

    def get(self, key, default=None, version=None):
        if self._counter(key, version):
            value = self.counters.get(key)
            return default if value is None else value
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._db()
            .execute("SELECT value FROM cache WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return default if row is None else self._decode(row[0])

    def get_many(self, keys, version=None):
        """One statement for all of `keys` (Django's default makes one query per key)."""
        found = {}
        made = {}
        for key in keys:
            if self._counter(key, version):
                if (value := self.counters.get(key)) is not None:
                    found[key] = value
            else:
                made[self.make_and_validate_key(key, version=version)] = key
        if not made:
            return found
        marks = ",".join("?" * len(made))
        rows = self._db().execute(
            f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires > ?",  # noqa: S608
            (*made, time.time()),
        )
        return found | {made[key]: self._decode(value) for key, value in rows}

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self._counter(key, version, timeout):
            self.counters.set(key, value)
            return
        key = self.make_and_validate_key(key, version=version)
        stored, size = self._encode(value)
        self._db().execute(UPSERT, (key, stored, self._expiry(timeout), size))
        self._wrote()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Store only if absent or expired; True when stored. One statement: exact under races."""
        if self._counter(key, version, timeout):
            return self.counters.add(key, value)
        key = self.make_and_validate_key(key, version=version)
        stored, size = self._encode(value)
        cursor = self._db().execute(
            f"{UPSERT} WHERE cache.expires <= ?",
            (key, stored, self._expiry(timeout), size, time.time()),
        )
        self._wrote()
        return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        if self._counter(key, version):
            return self.counters.incr(key, delta)
        key = self.make_and_validate_key(key, version=version)
        rows = (
            self._db()
            .execute(
                "UPDATE cache SET value = value + ? WHERE key = ? AND expires > ? "
                "AND typeof(value) = 'integer' RETURNING value",
                (delta, key, time.time()),
            )
            .fetchall()  # to the end: the statement, and its write lock, finish here
        )
        if not rows:
            raise ValueError(f"Key '{key}' not found, or not an integer.")
        self._wrote()
        return rows[0][0]

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        if self._counter(key, version, timeout):
            return self.counters.get(key) is not None
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute(
            "UPDATE cache SET expires = ? WHERE key = ? AND expires > ?",
            (self._expiry(timeout), key, time.time()),
        )
        return cursor.rowcount == 1

    def delete(self, key, version=None):
        if self._counter(key, version):
            return self.counters.delete(key)
        key = self.make_and_validate_key(key, version=version)
        return self._db().execute("DELETE FROM cache WHERE key = ?", (key,)).rowcount == 1

    def has_key(self, key, version=None):
        if self._counter(key, version):
            return self.counters.get(key) is not None
        key = self.make_and_validate_key(key, version=version)
        query = "SELECT 1 FROM cache WHERE key = ? AND expires > ?"
        return self._db().execute(query, (key, time.time())).fetchone() is not None

    def clear(self):
        self._db().execute("DELETE FROM cache")
        self.counters.clear()

    def close(self, **kwargs):
        """Connections stay open between requests, as the local-memory cache's memory does."""

    def sweep(self) -> None:
        """Drop expired rows; with MAX_BYTES, then the soonest-expiring rows until under it."""
        db = self._db()
        db.execute("DELETE FROM cache WHERE expires <= ?", (time.time(),))
        if not self.max_bytes:
            return
        excess = db.execute("SELECT total(size) FROM cache").fetchone()[0] - self.max_bytes
        if excess <= 0:
            return
        # The expiry time up to which dropping rows frees enough, and room for what comes next.
        cutoff = db.execute(
            "SELECT expires FROM (SELECT expires, sum(size) OVER (ORDER BY expires) AS freed "
            "FROM cache) WHERE freed >= ? LIMIT 1",
            (excess + self.max_bytes // 10,),
        ).fetchone()
        if cutoff is None:
            db.execute("DELETE FROM cache")
        else:
            db.execute("DELETE FROM cache WHERE expires <= ?", cutoff)
