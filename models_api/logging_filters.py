"""Log filters: refused requests (Django's SuspiciousOperation family) as short, bounded lines."""

import logging
import threading
import time

MAX_MESSAGE = 300  # characters: the message quotes caller-controlled text (a Host header)


class RefusedRequestLines(logging.Filter):
    """One WARNING line per refused request, at most `per_minute` a minute per kind.

    Django logs each SuspiciousOperation (a bad Host header, too many fields, a body over
    its limit) at ERROR with a full traceback, though the caller got a correct 400 and the
    server is fine. Anyone can send them, so a flood is cut to `per_minute` lines; the first
    line of the next minute says how many were left out.
    """

    def __init__(self, name: str = "", per_minute: int = 10):
        super().__init__(name)
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._minute: dict[str, int] = {}  # logger name -> the minute being counted
        self._counts: dict[str, int] = {}
        self._left_out: dict[str, int] = {}  # lines left out in that logger's previous minute

    def filter(self, record: logging.LogRecord) -> bool:
        minute = int(time.monotonic() // 60)
        with self._lock:
            if self._minute.get(record.name) != minute:
                over = self._counts.get(record.name, 0) - self.per_minute
                self._left_out[record.name] = max(0, over)
                self._minute[record.name], self._counts[record.name] = minute, 0
            self._counts[record.name] += 1
            count = self._counts[record.name]
            left_out = self._left_out.pop(record.name, 0) if count == 1 else 0
        if count > self.per_minute:
            return False
        message = _one_line(record.getMessage(), MAX_MESSAGE)
        request = getattr(record, "request", None)
        if request is not None:
            message += f" ({request.method} {_one_line(request.path, 100)})"
        if left_out:
            message += f" [{left_out} more like this left out in the previous minute]"
        if count == self.per_minute:
            message += f" [limit of {self.per_minute} a minute reached: further ones are counted]"
        record.msg, record.args = message, ()
        record.exc_info = record.exc_text = record.stack_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _one_line(text: str, limit: int) -> str:
    """ASCII on one line whatever the caller sent, at most `limit` characters."""
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."
