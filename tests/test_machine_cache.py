"""The machine cache: Django's cache API on one SQLite file, exact across threads and processes."""

import multiprocessing
import stat
import threading
import time

import pytest

from gateway_project.machine_cache import MachineCache


@pytest.fixture
def store(tmp_path):
    return MachineCache(str(tmp_path / "cache" / "store.sqlite3"), {})


def test_values_round_trip_and_integers_stay_integers(store):
    store.set("page", {"data": [1, 2]}, 30)
    store.set("count", 41, 30)
    store.set("flag", True, 30)
    assert store.get("page") == {"data": [1, 2]}
    assert store.incr("count") == 42
    assert store.get("count") == 42
    assert store.get("flag") is True  # a bool is pickled, not stored as the integer 1
    assert store.get("absent", "default") == "default"
    assert store.has_key("page") and not store.has_key("absent")


def test_get_many_reads_present_unexpired_keys_in_one_statement(store):
    store.set("a", 1, 30)
    store.set("b", {"x": 2}, 30)
    store.set("gone", 3, 0.01)
    time.sleep(0.05)
    statements = []
    store._db().set_trace_callback(statements.append)
    assert store.get_many(["a", "b", "gone", "absent"]) == {"a": 1, "b": {"x": 2}}
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert store.get_many([]) == {}


def test_expired_entries_are_absent_and_add_replaces_them(store):
    store.set("short", "old", 0.05)
    assert store.add("short", "taken", 30) is False  # present: add leaves it
    time.sleep(0.1)
    assert store.get("short") is None
    assert not store.has_key("short")
    assert store.add("short", "new", 30) is True  # expired: add stores
    assert store.get("short") == "new"
    assert store.touch("short", 0.05) is True
    time.sleep(0.1)
    assert store.get("short") is None


def test_no_timeout_means_forever_and_delete_and_clear(store):
    store.set("forever", "x", None)
    assert store.get("forever") == "x"
    assert store.delete("forever") is True
    assert store.delete("forever") is False
    store.set("a", 1, 30)
    store.clear()
    assert store.get("a") is None


def test_incr_of_a_missing_or_non_integer_value_is_a_value_error(store):
    with pytest.raises(ValueError):
        store.incr("missing")
    store.set("text", "seven", 30)
    with pytest.raises(ValueError):
        store.incr("text")
    assert store.get("text") == "seven"


def test_the_folder_and_file_are_the_gateways_alone(store, tmp_path):
    store.set("x", 1, 30)
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "cache" / "store.sqlite3").stat().st_mode) == 0o600


def test_without_max_bytes_a_sweep_drops_only_expired_rows(store):
    for n in range(50):
        store.set(f"keep-{n}", "v" * 1000, 60)
    store.set("gone", "v", 0.01)
    time.sleep(0.05)
    store.sweep()
    assert all(store.get(f"keep-{n}") for n in range(50))
    assert store._db().execute("SELECT count(*) FROM cache").fetchone()[0] == 50


def test_with_max_bytes_a_sweep_drops_the_entries_expiring_soonest(tmp_path):
    store = MachineCache(str(tmp_path / "answers.sqlite3"), {"OPTIONS": {"MAX_BYTES": 20_000}})
    for n in range(10):
        store.set(f"page-{n}", b"x" * 4_000, 100 + n)  # page-0 expires first
    store.sweep()
    kept = [n for n in range(10) if store.get(f"page-{n}") is not None]
    assert kept == list(range(10 - len(kept), 10))  # the latest to expire survive
    assert 3 <= len(kept) <= 4  # under 20 KB, with a tenth to spare


def test_a_sweep_runs_by_itself_as_entries_are_written(tmp_path, monkeypatch):
    monkeypatch.setattr("gateway_project.machine_cache.SWEEP_EVERY", 10)
    store = MachineCache(str(tmp_path / "answers.sqlite3"), {"OPTIONS": {"MAX_BYTES": 10_000}})
    for n in range(100):
        store.set(f"page-{n}", b"x" * 1_000, 300)
    rows, size = store._db().execute("SELECT count(*), total(size) FROM cache").fetchone()
    assert rows < 30 and size < 30_000


def test_every_thread_sees_one_store_and_increments_are_exact(store):
    store.add("hits", 0, 60)
    seen, errors = [], []

    def work():
        try:
            for _ in range(100):
                seen.append(store.incr("hits"))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(seen) == list(range(1, 801))  # no increment lost, none repeated


def _increment(path: str, params: dict, key: str, count: int, out) -> None:
    store = MachineCache(path, params)
    out.put([store.incr(key) for _ in range(count)])


def _add_once(path: str, out) -> None:
    out.put(MachineCache(path, {}).add("winner", 1, 60))


@pytest.mark.parametrize(
    ("params", "key", "start", "timeout"),
    [({}, "hits", 0, 60), ({"OPTIONS": {"COUNTERS": ["gen:a"]}}, "gen:a", 1000, None)],
    ids=["sqlite-row", "shared-memory-counter"],
)
def test_processes_share_the_store_and_increments_are_exact(tmp_path, params, key, start, timeout):
    path = str(tmp_path / "shared.sqlite3")
    MachineCache(path, params).add(key, start, timeout)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=_increment, args=(path, params, key, 200, out)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    seen = [n for _ in workers for n in out.get(timeout=60)]
    for worker in workers:
        worker.join(30)
    assert sorted(seen) == list(range(start + 1, start + 801))
    assert MachineCache(path, params).get(key) == start + 800


def test_add_is_won_by_exactly_one_process(tmp_path):
    path = str(tmp_path / "shared.sqlite3")
    MachineCache(path, {}).set("ready", 1, 60)  # the file exists before they race
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_add_once, args=(path, out)) for _ in range(4)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert sorted(results) == [False, False, False, True]


def test_a_forked_child_opens_its_own_connection(store):
    store.set("before", "fork", 60)  # the parent's connection is open
    parent_db = store._db()
    context = multiprocessing.get_context("fork")
    out = context.Queue()

    def child():
        out.put((store.get("before"), store._db() is not parent_db))
        store.set("child", 1, 60)

    process = context.Process(target=child)
    process.start()
    assert out.get(timeout=30) == ("fork", True)
    process.join(30)
    assert process.exitcode == 0
    assert store.get("child") == 1


def _first_use(path: str, start, out) -> None:
    """Four threads of a process count, as a worker's threads do after a start."""
    start.wait(30)
    store, counted = MachineCache(path, {}), []

    def count():
        try:
            counted.append(store.incr("hits"))
        except ValueError:  # the first, as keys/throttling.py does it
            counted.append(1 if store.add("hits", 1, 60) else store.incr("hits"))
        except Exception as exc:  # noqa: BLE001  (sent to the test)
            counted.append(repr(exc))

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    out.put(counted)


def test_processes_and_threads_opening_a_new_file_together_count_exactly(tmp_path):
    # After a start every worker's threads create the stores at once. A descriptor on the
    # database opened and closed beside SQLite's own dropped its locks: duplicated and lost
    # increments in a few attempts of a hundred, and "database disk image is malformed".
    context = multiprocessing.get_context("fork")
    total = 4 * 4
    for attempt in range(100):
        path = str(tmp_path / f"new-{attempt}.sqlite3")
        start, out = context.Barrier(4), context.Queue()
        workers = [context.Process(target=_first_use, args=(path, start, out)) for _ in range(4)]
        for worker in workers:
            worker.start()
        counted = [n for _ in workers for n in out.get(timeout=60)]
        for worker in workers:
            worker.join(30)
        assert sorted(counted, key=str) == sorted(range(1, total + 1), key=str), counted[:20]
        assert MachineCache(path, {}).get("hits") == total


COUNTING = {"OPTIONS": {"COUNTERS": ["gen:a", "gen:b"]}}


def test_counter_keys_live_in_shared_memory_with_the_cache_api(tmp_path):
    store = MachineCache(str(tmp_path / "c.sqlite3"), COUNTING)
    statements = []
    store._db().set_trace_callback(statements.append)
    assert store.get("gen:a") is None and store.get("gen:a", 7) == 7
    with pytest.raises(ValueError, match="not found"):
        store.incr("gen:a")
    assert store.add("gen:a", 41, None) is True
    assert store.add("gen:a", 99, None) is False  # present: add leaves it
    assert store.incr("gen:a") == 42 and store.incr("gen:a", 3) == 45
    assert store.get("gen:a") == 45 and store.has_key("gen:a") and not store.has_key("gen:b")
    store.set("other", "row", 30)
    statements.clear()
    assert store.get_many(["gen:a", "gen:b", "other"]) == {"gen:a": 45, "other": "row"}
    assert len(statements) == 1 and "other" in statements[0]  # the counter needed no query
    statements.clear()
    assert store.get_many(["gen:a", "gen:b"]) == {"gen:a": 45}
    assert statements == []
    assert store.delete("gen:a") is True and store.get("gen:a") is None
    store.set("gen:b", 5, None)
    store.clear()
    assert store.get("gen:b") is None and store.get("other") is None
    assert stat.S_IMODE((tmp_path / "c.sqlite3.counters").stat().st_mode) == 0o600


def test_a_counter_is_kept_forever_and_holds_a_positive_integer(tmp_path):
    store = MachineCache(str(tmp_path / "c.sqlite3"), COUNTING)
    with pytest.raises(ValueError, match="forever"):
        store.set("gen:a", 1, 30)
    with pytest.raises(ValueError, match="forever"):
        store.add("gen:a", 1)  # the cache's default timeout is not forever
    for wrong in (0, -1, "1", 1.5, 2**63):
        with pytest.raises(ValueError, match="positive 64-bit integer"):
            store.set("gen:a", wrong, None)
    store.set("gen:a", 2**63 - 1, None)
    with pytest.raises(ValueError):
        store.incr("gen:a")
    assert store.get("gen:a") == 2**63 - 1


def test_a_forked_child_and_its_parent_see_each_others_counters(tmp_path):
    store = MachineCache(str(tmp_path / "c.sqlite3"), COUNTING)
    store.add("gen:a", 10, None)  # mapped before the fork
    context = multiprocessing.get_context("fork")
    out = context.Queue()

    def child():
        out.put(store.get("gen:a"))
        store.incr("gen:a")

    worker = context.Process(target=child)
    worker.start()
    assert out.get(timeout=30) == 10
    worker.join(30)
    assert worker.exitcode == 0
    assert store.get("gen:a") == 11
