"""Structured logs: one JSON object per line on stderr (or plain text), set up once at start.

`log_level` applies to didmeta's own loggers (`didmeta.*`); other libraries' loggers (grpc,
SQLAlchemy, the backend drivers) log at `library_log_level`, WARNING unless asked, so that DEBUG
shows didmeta's lines and not grpc's event loop chatter.

Every record's message and traceback text are capped (`max_chars`): a driver error carries its SQL
statement and parameters, which for a large request would otherwise be a megabyte-long log line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeAlias

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
DEFAULT_MAX_LOG_CHARS = 8000
DIDMETA_LOGGER = "didmeta"


def cap(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text) - limit} more characters]"


class _CappedMessages(logging.Filter):
    """Renders each record's message once and caps it (SQL statements, echoed values)."""

    def __init__(self, max_chars: int) -> None:
        super().__init__()
        self.max_chars = max_chars

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.max_chars:
            record.msg, record.args = cap(message, self.max_chars), None
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra={...}` fields of a record."""
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED}


class JsonFormatter(logging.Formatter):
    def __init__(self, max_chars: int = DEFAULT_MAX_LOG_CHARS) -> None:
        super().__init__()
        self.max_chars = max_chars

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = cap(self.formatException(record.exc_info), self.max_chars)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...`: the same fields as the JSON lines."""

    def __init__(self, max_chars: int = DEFAULT_MAX_LOG_CHARS) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.max_chars = max_chars

    def formatException(self, ei: _ExcInfo) -> str:
        return cap(super().formatException(ei), self.max_chars)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if not extras:
            return line
        fields = " ".join(f"{k}={_text(v)}" for k, v in extras.items())
        head, newline, rest = line.partition("\n")  # a traceback stays below the first line
        return f"{head} {fields}{newline}{rest}"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def configure_logging(
    level: str, fmt: str, library_level: str = "WARNING", max_chars: int = DEFAULT_MAX_LOG_CHARS
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(max_chars) if fmt == "json" else TextFormatter(max_chars))
    handler.addFilter(_CappedMessages(max_chars))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(library_level.upper())
    logging.getLogger(DIDMETA_LOGGER).setLevel(level.upper())
