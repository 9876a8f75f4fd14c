"""Structured logs: one JSON object per line, tagged with the request id or the task id.

RequestIdMiddleware (first in MIDDLEWARE) takes a sane incoming X-Request-ID or makes one,
keeps it in a context variable for the whole request, answers it in the X-Request-ID
header and writes one access line per request. ContextFilter copies the request id, and
inside a Celery task the task id, onto every record; JsonFormatter writes them out.

This module imports no Django settings, so gunicorn.conf.py can use it before Django starts.
"""

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# What a proxy or load balancer may send: a UUID, a hex or base64url token, a trace id.
# Anything else (too long, spaces, quotes, newlines) is replaced, so a client cannot write
# arbitrary text into our logs or headers.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{7,127}")

access_logger = logging.getLogger("kos.request")


def request_id_from(header: str | None) -> str:
    """The incoming id when it looks sane, else a new random one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return request_id_var.get()


class RequestIdMiddleware:
    """Give every request an id, answer it in X-Request-ID, log one line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = getattr(request, "resolver_match", None)
            if match is not None and not getattr(match.func, "access_log", True):
                return response
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def no_access_log(view):
    """Mark a view whose requests must leave no access line (the anonymous pulse: even the
    time of an answer is not kept, docs/pulse.md). Put it above the other decorators."""
    view.access_log = False
    return view


def _current_task_id() -> str | None:
    try:
        from celery import current_task
    except ImportError:  # gunicorn's master may log before the project is importable
        return None
    task = current_task
    request = getattr(task, "request", None) if task else None
    return getattr(request, "id", None)


class ContextFilter(logging.Filter):
    """Put request_id and task_id on every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs a 4xx/5xx response ("Not Found: ...") after the middleware has
            # returned, so the context is gone; the record carries the request itself.
            record.request_id = request_id_var.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        if not hasattr(record, "task_id"):
            # Celery's worker logs "received" outside the task, with the task in `data`.
            data = getattr(record, "data", None)
            record.task_id = _current_task_id() or (
                data.get("id") if isinstance(data, dict) else None
            )
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Django's request logger passes the request object itself; it is not data for a log line.
_SKIPPED_EXTRA = {"request"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, task_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "task_id": getattr(record, "task_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and key not in _SKIPPED_EXTRA:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        if record.stack_info:
            entry["stack"] = record.stack_info
        # default=str: an extra that is not JSON (a status code enum, a path) still logs.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's console: readable, with the request or task id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{name}={value}"
            for name in ("request_id", "task_id")
            if (value := getattr(record, name, None))
        ]
        return f"{line} [{' '.join(ids)}]" if ids else line


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING dict for settings (and gunicorn): JSON or text on stderr, with ids."""
    formatter = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"()": TextFormatter, "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default config gives "django" its own console handler too; without
            # this, its records would print twice in DEBUG, once in plain text.
            "django": {"handlers": [], "level": "INFO"},
            "django.db.backends": {"level": "INFO"},
            # WeasyPrint logs 7 progress steps per PDF at INFO; keep its warnings only.
            "weasyprint": {"level": "WARNING"},
            # RequestIdMiddleware writes the access line with the request id; runserver's
            # own line would only repeat it.
            "django.server": {"level": "WARNING"},
            # gunicorn's loggers have their own handlers; send them through ours instead.
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
