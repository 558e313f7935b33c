"""`civicgrid serve --with-worker`: gunicorn and the background worker start together and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import civicgrid

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process handling as on the servers")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in out.splitlines() if line.strip()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_with_worker_runs_both_and_stops_both(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        CIVICGRID_HOME=str(tmp_path),
        DATABASE_URL="",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DEBUG="0",
        SECRET_KEY="a-secret-key-for-the-serve-test-" + "s" * 30,
        CIVICGRID_TOKEN_KEYS="k1:a-token-key-for-the-serve-test-" + "t" * 30,
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(Path(civicgrid.__file__).parents[1]),  # this checkout's code, whatever the cwd
        CIVICGRID_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "civicgrid"]
    subprocess.run([*command, "migrate", "-v", "0"], env=env, check=True, cwd=tmp_path, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [
            *command,
            "serve",
            "--with-worker",
            "--no-collectstatic",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        children = _children(server.pid)
        assert any("worker" in c and "gunicorn" not in c for c in children.values()), children
        assert any("gunicorn" in c for c in children.values()), children
        if os.path.isdir("/dev/shm"):  # the workers' heartbeat files in memory, not on disk
            assert any("--worker-tmp-dir /dev/shm" in c for c in children.values()), children
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        time.sleep(0.5)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if server.poll() is None:
            server.kill()


def test_metrics_count_the_requests_of_every_gunicorn_worker(tmp_path: Path):
    """Two workers share their request counts (prometheus_client's multiprocess mode): whichever
    worker answers /metrics reports all requests, and a new server starts from zero."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "PROMETHEUS"))}
    env.update(
        CIVICGRID_HOME=str(tmp_path),
        DATABASE_URL="",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        CIVICGRID_LOG_LEVEL="WARNING",
        SECRET_KEY="a-secret-key-for-the-serve-test-" + "s" * 30,
        CIVICGRID_TOKEN_KEYS="k1:a-token-key-for-the-serve-test-" + "t" * 30,
    )
    civicgrid = [sys.executable, "-m", "civicgrid"]
    subprocess.run([*civicgrid, "migrate", "-v", "0"], env=env, check=True, cwd=tmp_path, timeout=300)
    for _ in range(2):
        port = _free_port()
        server = subprocess.Popen(
            [*civicgrid, "serve", "--no-collectstatic", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            answered, deadline = 0, time.monotonic() + 60
            while answered < 40:
                try:
                    # A long timeout: a request given up while a worker boots would still be counted.
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=30) as r:
                        answered += r.status == 200
                except OSError:
                    assert answered == 0 and time.monotonic() < deadline, "the server did not answer"
                    time.sleep(0.2)
            counts = []
            for _ in range(4):  # several scrapes: both workers answer some of them
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
                line = next(
                    line
                    for line in text.splitlines()
                    if line.startswith(
                        'civicgrid_http_requests_total{method="GET",status="200",view="api/health"}'
                    )
                )
                counts.append(float(line.rsplit(" ", 1)[1]))
            assert counts == [answered] * 4
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
