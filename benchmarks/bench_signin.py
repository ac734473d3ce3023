"""A burst of sign-ins against a real server: its memory and the latency of other pages.

    .venv/bin/python benchmarks/bench_signin.py [--burst 40] [--unthrottled]

Serves the app as a user does (`tracker serve` on 127.0.0.1, a free port, in a subprocess, on a
SQLite database in a temporary folder with the Trenin forecasts and one analyst), then:

1. loads ``/api/forecasts`` 30 times, one at a time: the page's p50 / p95 at rest;
2. fires ``--burst`` concurrent wrong sign-ins for the analyst while loading the same page 30
   times, sampling the server's memory (RSS, psutil) every 20 ms: the page's p50 / p95 during the
   burst, the server's RSS before and at its peak, and the sign-ins' answers (401 checked, 429
   refused).

Default settings: the account's limit (5 per 15 minutes) refuses most of the burst before any
hashing.  ``--unthrottled`` raises the limits so that every sign-in is checked, which shows what
``TRACKER_SIGNIN_CONCURRENCY`` (password checks at once, 2) alone bounds.

Issue 17 measured, before throttling: 40 concurrent sign-ins took the server from 553 MB to
1.28 GB and pages from 68 to 619 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
PAGE = "/api/forecasts"


def tracker(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the web app did not start:\n{log.read_text()[-2000:]}")


def page_times(base: str, count: int) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(count):
            start = time.perf_counter()
            client.get(PAGE).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return times


def burst(base: str, size: int) -> Counter[int]:
    with httpx.Client(base_url=base, timeout=60) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
        cookies = dict(browser.cookies)
    assert token is not None
    form = {"name": "ana", "password": "a wrong guess", "csrf_token": token.group(1)}

    def attempt(_n: int) -> int:
        with httpx.Client(base_url=base, timeout=120, cookies=cookies) as attacker:
            return attacker.post("/login", data=form).status_code

    with ThreadPoolExecutor(max_workers=size) as pool:
        return Counter(pool.map(attempt, range(size)))


def sample_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.02)


def quantiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times):6.1f} ms   p95 {cuts[18]:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=40, help="concurrent sign-ins")
    parser.add_argument(
        "--unthrottled", action="store_true", help="raise the failure limits: check every one"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
            "TRACKER_DATA_DIR": folder,
        }
        if options.unthrottled:
            env["TRACKER_SIGNIN_ACCOUNT_LIMIT"] = env["TRACKER_SIGNIN_ADDRESS_LIMIT"] = (
                "10000/minute"
            )
        tracker(env, "init")
        tracker(env, "forecasts", "import", str(ROOT / "forecasts" / "trenin-2022-01-21.yaml"))
        tracker(env, "users", "add", "ana", "--password-stdin", stdin=PASSWORD + "\n")
        server, base = serve(env, Path(folder) / "serve.log")
        try:
            page_times(base, 5)  # warm-up
            at_rest = page_times(base, 30)
            process = psutil.Process(server.pid)
            before = process.memory_info().rss
            stop, peak = threading.Event(), [before]
            sampler = threading.Thread(target=sample_rss, args=(process, stop, peak))
            sampler.start()
            with ThreadPoolExecutor(max_workers=1) as one:
                answers = one.submit(burst, base, options.burst)
                time.sleep(0.2)  # the burst is under way
                during = page_times(base, 30)
                statuses = answers.result()
            stop.set()
            sampler.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    mode = "unthrottled (limits raised)" if options.unthrottled else "default limits"
    print(f"{options.burst} concurrent wrong sign-ins, {mode}")
    print(f"  answers: {dict(sorted(statuses.items()))}  (401: password checked, 429: refused)")
    print(f"  {PAGE} at rest:        {quantiles(at_rest)}")
    print(f"  {PAGE} during burst:   {quantiles(during)}")
    print(f"  server RSS: {before / 2**20:.0f} MB before, {peak[0] / 2**20:.0f} MB at the peak")


if __name__ == "__main__":
    main()
