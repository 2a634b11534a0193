"""Dashboard page times and the annual report's time with 10,000 hosts in the store.

In process (the app behind starlette's TestClient, so the time is the server's plus a little
client overhead), on a real SQLite file seeded by tests/web/seed.py: four units, 10,002 hosts in
three leaf units, findings, a year of daily scores. Each page is timed as the median of 5 loads
after a warm-up; the report is built and written once per format for a 3,334-host unit.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bench.results import Result
from collector.app import create_app
from collector.reports import ReportOptions, build_annual, report_bytes
from collector.serve import init
from tests.web.seed import PASSWORD, seed_history, seed_hosts, seed_units_and_users

HOSTS_PER_UNIT = 3334
PAGE_TARGET_MS = 300.0
REPORT_TARGET_S = 10.0


def _median_ms(client: TestClient, url: str, runs: int = 5) -> float:
    client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return statistics.median(times)


def run() -> list[Result]:
    """Every page's time, and the report's."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="canh-bench-web-") as tmp:
        settings, _ = init(Path(tmp) / "c", admin_password=PASSWORD)
        app = create_app(settings)
        with TestClient(app, base_url="https://testserver") as client:
            svc = app.state.services
            seed_units_and_users(svc.store)
            seeded = seed_hosts(svc.store, HOSTS_PER_UNIT)
            seed_history(svc.store, svc.knowledge)
            client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
            host = seeded.first("bvdk")
            pages = {
                "overview": "/",
                "unit 10k hosts": "/units/syt",
                "unit filtered+sorted": "/units/syt?av=fail&sort=last_seen&dir=desc&page=20",
                "host": f"/hosts/{host}",
                "declarations": "/units/bvdk/declarations",
                "waivers": "/units/bvdk/waivers",
            }
            for name, url in pages.items():
                ms = _median_ms(client, url)
                results.append(
                    Result(
                        f"web page: {name} (10k hosts)",
                        round(ms, 1),
                        "ms",
                        target=f"< {PAGE_TARGET_MS:g} ms",
                        met=ms < PAGE_TARGET_MS,
                    )
                )
            for fmt in ("docx", "xlsx", "html"):
                started = time.perf_counter()
                report = build_annual(svc.store, svc.knowledge, "tram1", ReportOptions(year=2026))
                report_bytes(report, fmt)
                seconds = time.perf_counter() - started
                results.append(
                    Result(
                        f"annual report {fmt} ({HOSTS_PER_UNIT}-host unit)",
                        round(seconds, 2),
                        "s",
                        target=f"≤ {REPORT_TARGET_S:g} s",
                        met=seconds <= REPORT_TARGET_S,
                    )
                )
    return results
