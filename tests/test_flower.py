"""Flower, as the README starts it: ``celery -A workers.app flower`` on loopback with basic
auth, against the Redis broker, sees a real worker (its API answers for it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.services import redis_namespace, redis_url, wait_for

pytestmark = pytest.mark.redis
AUTH = ("ops", "flower-test-password")


@pytest.fixture
def namespace():
    yield from redis_namespace("test-flower")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_flower_starts_and_sees_the_worker(tmp_path: Path, namespace):
    env = {
        **os.environ,
        "TRACKER_BROKER_URL": redis_url(),
        "TRACKER_NAMESPACE": namespace,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}",
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    hostname = f"{namespace}@localhost"
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("worker", "flower")}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tracker", "worker", "--concurrency=1", f"--hostname={hostname}"],
        env=env,
        stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )
    command = ["celery", "-A", "workers.app", "flower", "--address=127.0.0.1", f"--port={port}"]
    flower = subprocess.Popen(
        [sys.executable, "-m", *command, f"--basic-auth={AUTH[0]}:{AUTH[1]}"],
        env=env,
        stdout=logs["flower"],
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy() -> bool:
            assert flower.poll() is None, (tmp_path / "flower.log").read_text()
            try:
                return httpx.get(f"{base}/healthcheck", auth=AUTH, timeout=2).text == "OK"
            except httpx.TransportError:
                return False

        wait_for(healthy, 60, "Flower to answer its health check")
        assert httpx.get(f"{base}/api/workers", timeout=10).status_code == 401  # basic auth

        def sees_worker() -> bool:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            answer = httpx.get(f"{base}/api/workers", params={"refresh": 1}, auth=AUTH, timeout=20)
            return answer.status_code == 200 and hostname in answer.json()

        wait_for(sees_worker, 60, "Flower to list the worker")
        workers = httpx.get(f"{base}/api/workers", auth=AUTH, timeout=20).json()
        queues = [queue["name"] for queue in workers[hostname]["active_queues"]]
        assert queues == [namespace]
    finally:
        _stop(flower)
        _stop(worker)
        for log in logs.values():
            log.close()
