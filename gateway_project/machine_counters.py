"""Counters shared by every process on the machine, in one memory-mapped file.

The machine cache keeps the keys its OPTIONS["COUNTERS"] names (the generations that every
request reads: keys/generations.py) here instead of in SQLite. A read is a load from shared
memory, 0.3 us, where a query took 12 us here: the largest single cost of a cached answer
(benchmarks/README.md). A slot holds a positive integer, kept until deleted; 0 means absent.
Writes take a thread lock and the file's lock; reads take none: each value is one aligned
8-byte word, stored whole.
"""

import fcntl
import mmap
import os
import struct
import threading
from pathlib import Path

SLOTS = 64
_WORD = struct.Struct("=q")
_SIZE = SLOTS * _WORD.size
_MAX = 2**63 - 1


class Counters:
    def __init__(self, path: Path, names):
        names = list(names)
        if len(names) > SLOTS:
            raise ValueError(f"at most {SLOTS} counters, not {len(names)}")
        self.path = path
        self.offsets = {name: index * _WORD.size for index, name in enumerate(names)}
        self._lock = threading.Lock()
        self._memory: mmap.mmap | None = None
        self._fd = -1

    def _mapped(self) -> mmap.mmap:
        # A shared mapping outlives fork: a forked worker reads the same memory.
        if self._memory is None:
            with self._lock:
                if self._memory is None:
                    self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        if os.fstat(fd).st_size < _SIZE:
                            os.ftruncate(fd, _SIZE)  # zeros: every counter absent
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                    self._fd, self._memory = fd, mmap.mmap(fd, _SIZE)
        return self._memory

    def get(self, name: str) -> int | None:
        return _WORD.unpack_from(self._mapped(), self.offsets[name])[0] or None

    def set(self, name: str, value: int) -> None:
        value = _checked(value)
        self._write(name, lambda _: value)

    def add(self, name: str, value: int) -> bool:
        """Store `value` unless the counter is present; True when stored."""
        value = _checked(value)
        old, _ = self._write(name, lambda current: current or value)
        return old == 0

    def incr(self, name: str, delta: int) -> int:
        def bumped(current: int) -> int:
            if not current:
                raise ValueError(f"Key '{name}' not found.")
            return _checked(current + delta)

        return self._write(name, bumped)[1]

    def delete(self, name: str) -> bool:
        old, _ = self._write(name, lambda _: 0)
        return old != 0

    def clear(self) -> None:
        for name in self.offsets:
            self.delete(name)

    def _write(self, name: str, change) -> tuple[int, int]:
        """(old, new) of the counter, `change(old)` written under both locks."""
        memory, offset = self._mapped(), self.offsets[name]
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # other processes; the thread lock: this one
            try:
                old = _WORD.unpack_from(memory, offset)[0]
                new = change(old)
                if new != old:
                    _WORD.pack_into(memory, offset, new)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return old, new


def _checked(value) -> int:
    if type(value) is not int or not 0 < value <= _MAX:
        raise ValueError(f"a machine counter holds a positive 64-bit integer, not {value!r}")
    return value
