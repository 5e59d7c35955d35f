"""Hold a sync's write transaction open from outside, so a test can kill the process inside it.

SQLite: a reader that keeps its transaction open stops any writer from committing (the writer
waits for every shared lock to go). PostgreSQL: an uncommitted row with the same unique key as
one the sync will insert makes that INSERT wait, after the rows before it are written.
"""

import fcntl
import os
import signal
import sqlite3
import struct

import psycopg

from tests.scale.cluster import Child
from tests.scale.stack import PostgresStore, SqliteStore

# SQLite's unix locks are fcntl byte-range locks; a writer that wants to commit (or spill its
# cache) takes this byte and keeps it while it waits for the readers. https://sqlite.org/lockingv3.html
PENDING_BYTE = 0x40000000
FLOCK = "hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid
COUNT = "SELECT count(*) FROM models_api_catalogentry WHERE virtual_key_id = %s"


class SqliteFreeze:
    def __init__(self, store: SqliteStore):
        self.store = store
        # Held open until release(): closing any descriptor of the file would drop every fcntl
        # lock this process holds on it, the reader's included.
        self.fd = os.open(store.path, os.O_RDWR)
        self.reader = sqlite3.connect(store.path, timeout=5, isolation_level=None)

    def hold_row(self, virtual_key_id: int, model_id: str) -> None:
        """Nothing to do before the sync on SQLite: the hold starts in first_committed."""

    def first_committed(self, first: tuple[int, int], second: tuple[int, int]) -> bool:
        """True once the first key's count is reached, keeping that read transaction open."""
        self.reader.execute("BEGIN")
        first_count, second_count = (
            self.reader.execute(COUNT.replace("%s", "?"), [key]).fetchone()[0]
            for key, _ in (first, second)
        )
        assert second_count == second[1], "the second key committed first: enlarge its list"
        if first_count == first[1]:
            return True  # this transaction's shared lock now holds the next commit back
        self.reader.execute("COMMIT")
        return False

    def writer_waiting(self, sync: Child) -> bool:
        """The sync holds SQLite's PENDING lock: its writes are done and it waits on the reader.

        Asked of the kernel (F_GETLK): a second connection in this process would share this
        process's read lock and never see the PENDING lock.
        """
        assert sync.popen.poll() is None, sync.output()[-3000:]
        query = struct.pack(FLOCK, fcntl.F_WRLCK, os.SEEK_SET, PENDING_BYTE, 1, 0)
        kind, _, _, _, pid = struct.unpack(FLOCK, fcntl.fcntl(self.fd, fcntl.F_GETLK, query))
        return kind != fcntl.F_UNLCK and pid == sync.pid

    def release(self) -> None:
        self.reader.close()
        os.close(self.fd)


class PostgresFreeze:
    def __init__(self, store: PostgresStore):
        self.store = store
        self.holder = psycopg.connect(store.url)  # one open transaction until release()

    def hold_row(self, virtual_key_id: int, model_id: str) -> None:
        """Insert (not commit) a copy of one of the key's entries under `model_id`."""
        self.holder.execute(
            "CREATE TEMP TABLE held AS SELECT * FROM models_api_catalogentry "
            "WHERE virtual_key_id = %s LIMIT 1",
            [virtual_key_id],
        )
        self.holder.execute("UPDATE held SET id = -1, model_id = %s", [model_id])
        self.holder.execute("INSERT INTO models_api_catalogentry SELECT * FROM held")

    def first_committed(self, first: tuple[int, int], second: tuple[int, int]) -> bool:
        counts = [self.store.rows(COUNT, [key])[0][0] for key, _ in (first, second)]
        assert counts[1] == second[1]
        return counts[0] == first[1]

    def writer_waiting(self, sync: Child) -> bool:
        """The sync's INSERT waits on the held row, after the batches before it were written."""
        assert sync.popen.poll() is None, sync.output()[-3000:]
        return waiting_inserts(self.store) >= 1

    def release(self) -> None:
        self.holder.rollback()
        self.holder.close()


def waiting_inserts(store: PostgresStore) -> int:
    """Sessions on this database whose INSERT into the catalog waits for a lock."""
    return store.rows(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND query LIKE 'INSERT INTO \"models_api_catalogentry\"%%'",
        [store.name],
    )[0][0]


class PostgresGate:
    """Holds back every write to the catalog until `count` syncs wait to insert, then lets all
    go at once: they have all read the key's (same) entries, so each tries the same inserts."""

    def __init__(self, store: PostgresStore):
        self.store = store
        self.holder = psycopg.connect(store.url)
        # SHARE mode lets the syncs read but not insert.
        self.holder.execute("LOCK TABLE models_api_catalogentry IN SHARE MODE")

    def all_waiting(self, count: int) -> bool:
        return waiting_inserts(self.store) >= count

    def release(self) -> None:
        self.holder.rollback()
        self.holder.close()


class SqliteGate:
    """SQLite runs one writer at a time whatever is held; the syncs race as they come."""

    def __init__(self, store: SqliteStore):
        pass

    def all_waiting(self, count: int) -> bool:
        return True

    def release(self) -> None:
        pass


def gate_for(store):
    return SqliteGate(store) if isinstance(store, SqliteStore) else PostgresGate(store)


def freeze_for(store):
    return SqliteFreeze(store) if isinstance(store, SqliteStore) else PostgresFreeze(store)


def kill(sync: Child) -> None:
    sync.signal_group(signal.SIGKILL)
    sync.wait_exit(seconds=10)
