"""Pytest plugin: a real Celery worker process that works on the test database.

Loaded through `pytest_plugins` in conftest.py. A test asks for `celery_worker_process`
and carries `@pytest.mark.worker` and `@pytest.mark.django_db(transaction=True)`: the
worker is another process, so it sees only rows that the test has committed.

Needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL). Without them the test is
skipped, or fails under CI, where they must be there. Every other test runs its tasks
inline even when a broker is configured.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.app.backends import by_url
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection

from kos_portal.celery import app

BASE_DIR = Path(settings.BASE_DIR)
READY_TIMEOUT = 30  # seconds for a started worker to answer a ping
STOP_TIMEOUT = 15  # seconds for a warm shutdown before SIGKILL


def pytest_collection_modifyitems(items):
    # A test that starts a worker is a worker test, so `-m "not worker"` leaves it out.
    for item in items:
        if "celery_worker_process" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.worker)


@pytest.fixture(autouse=True)
def _tasks_inline_unless_a_worker_runs(request, settings):
    # With a broker configured (CI), .delay() would publish to Redis and nothing would run
    # it. Only tests that start a worker use the broker; the rest run tasks inline, as on a
    # machine with no broker at all.
    if "celery_worker_process" not in request.fixturenames:
        settings.CELERY_TASK_ALWAYS_EAGER = True


class WorkerProcess:
    """`celery -A kos_portal worker` in its own process group, started and stopped by a test."""

    def __init__(self, *, env: dict[str, str], log_path: Path, result_backend: str) -> None:
        self.env = env
        self.log_path = log_path
        self.hostname = f"kos-test-{uuid.uuid4().hex[:8]}@%h"
        self.process: subprocess.Popen | None = None
        backend_cls, url = by_url(result_backend, app.loader)
        self._backend = backend_cls(app=app, url=url)

    def start(self) -> None:
        """Start the worker and return once it answers a ping."""
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kos_portal",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-l",
            "info",
            "-n",
            self.hostname,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        # A worker that has just started misses broadcasts, so ask until it answers.
        name = self.hostname.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"Celery worker exited with {self.process.returncode}:\n{self.log()}")
            if app.control.ping(destination=[name], timeout=0.5):
                return
        self.kill()
        pytest.fail(f"Celery worker did not answer a ping in {READY_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        """Warm shutdown (SIGTERM): running tasks finish first. SIGKILL if it takes too long."""
        if not self.running:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        self._kill_group()  # nothing of the worker may outlive it

    def kill(self) -> None:
        """SIGKILL the worker and its pool, as if the machine died; nothing gets acked."""
        if self.process is None:
            return
        self._kill_group()
        self.process.wait()

    def kill_pool_child(self) -> None:
        """SIGKILL only the pool process, as the OOM killer would; the main process survives."""
        for pid in self.pool_pids():
            os.kill(pid, signal.SIGKILL)

    def restart(self) -> None:
        """Stop (warm) and start again; waits until the new worker answers."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pool_pids(self) -> list[int]:
        """Pids of the worker's pool processes (children of the main process)."""
        if not self.running:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def result(self, async_result, timeout: float = 30):
        """Wait for a task queued by the test and return its value (raises what it raised)."""
        return AsyncResult(async_result.id, app=app, backend=self._backend).get(timeout=timeout)

    def log(self) -> str:
        """Everything the worker printed so far."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _database_url(settings_dict: dict) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{auth}{settings_dict['HOST']}{port}/{settings_dict['NAME']}"


@pytest.fixture
def _worker_services() -> None:
    missing = []
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not settings.CELERY_BROKER_URL:
        missing.append("a Redis broker (set CELERY_BROKER_URL)")
    if missing:
        reason = "a real Celery worker needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide them")
        pytest.skip(reason)


@pytest.fixture
def celery_worker_process(_worker_services, transactional_db, tmp_path):
    """A running Celery worker on the test database and the same broker; stopped after the test."""
    broker_url = settings.CELERY_BROKER_URL
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),  # test_<name>, not <name>
        "CELERY_BROKER_URL": broker_url,
        # Results go back through Redis so a test can read them; the app itself stores none.
        "CELERY_RESULT_BACKEND": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    # A task whose delay/apply_async an earlier test left patched (a mock.patch that did
    # not undo itself) would never reach the worker: say so now, not after a timeout.
    patched = sorted(
        name for name, task in app.tasks.items() if {"delay", "apply_async"} & set(vars(task))
    )
    if patched:
        pytest.fail(f"an earlier test left these tasks' delay/apply_async patched: {patched}")
    app.control.purge()  # tasks left queued by earlier tests must not run here
    worker = WorkerProcess(
        env=env, log_path=tmp_path / "celery-worker.log", result_backend=broker_url
    )
    worker.start()
    yield worker
    worker.stop()


CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextlib.contextmanager
def broker_unreachable(url: str = CLOSED_BROKER):
    """This process (the web side) publishes to `url`, a broker that is down; a worker
    already started keeps its own broker. Tasks are published, not run inline."""
    from kos_portal.tasks import broker_backoff_reset

    def use(changes: dict) -> None:
        # broker_write_url: publishers' URL, read before broker_url, which the
        # CELERY_BROKER_URL environment variable would override.
        for key in ("broker_write_url", "task_always_eager"):
            app.conf.changes.pop(key, None)  # back to reading the Django settings
        app.conf.update(changes)
        app._pool = None  # publishers pick a connection pool for the current URL
        app.amqp._producer_pool = None
        broker_backoff_reset()

    use({"broker_write_url": url, "task_always_eager": False})
    try:
        yield
    finally:
        use({})
