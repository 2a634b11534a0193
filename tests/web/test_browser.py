"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a real
collector process with a seeded department. Screenshots land in the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.evaluate import Knowledge
from collector.serve import init
from collector.store import Store
from tests.support import ADMIN_PASSWORD, RunningCollector, free_port, start_collector
from tests.web import files
from tests.web.seed import PASSWORD, seed_all

pytestmark = [pytest.mark.real, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
# The flags machines/python.md lists: no sandbox as root, no GPU, no background connections
# (the closed network refuses them).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    data_dir = tmp_path_factory.mktemp("browser") / "c"
    settings, _ = init(data_dir, "127.0.0.1", free_port(), admin_password=ADMIN_PASSWORD)
    store = Store(settings.db_path)
    store.start()
    try:
        seed_all(store, Knowledge(), per_unit=30)
    finally:
        store.close()
    running = start_collector(data_dir)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "install Debian's chromium (make deps-test)"
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _login(browser: Any, collector: RunningCollector, user: str, tmp: Path, **context: Any) -> Any:
    ctx = browser.new_context(ignore_https_errors=True, locale="vi-VN", **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(collector.url + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", ADMIN_PASSWORD if user == "admin" else PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("h1:has-text('Tổng quan')")
    page.screenshot(path=str(tmp / f"overview-{user}.png"), full_page=True)
    page.errors = errors  # CSP violations show up as console errors
    return page


def test_each_role_sees_only_its_units(
    browser: Any, collector: RunningCollector, tmp_path: Path
) -> None:
    """Admin and auditor see every unit, unit IT staff their subtree; no CSP violation."""
    everyone = [
        "Sở Y tế tỉnh Lâm Đồng",
        "Bệnh viện Đa khoa tỉnh",
        "Trạm Y tế xã Đạ Nhim",
        "Bệnh viện Y học cổ truyền",
    ]
    for user, visible in (
        ("admin", everyone),
        ("auditor", everyone),
        ("it-bvdk", everyone[1:3]),
        ("it-bv2", everyone[3:]),
    ):
        page = _login(browser, collector, user, tmp_path)
        tree = page.inner_text("table.tree")
        for name in everyone:
            assert (name in tree) == (name in visible), (user, name)
        assert page.locator("svg.chart").count() >= 5
        assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
        page.context.close()


def _score(collector: RunningCollector, unit: str) -> dict[str, Any]:
    result: dict[str, Any] = collector.api("GET", f"/api/v1/units/{unit}/score")
    return result


def test_attestation_with_a_file_changes_the_unit(
    browser: Any, collector: RunningCollector, tmp_path: Path
) -> None:
    """Unit IT staff record a declaration with its PDF; the unit is rescored and shows it."""
    # Today's score recomputed from the store (the seed writes history rows directly).
    collector.api("PUT", "/api/v1/units/tram1/profile", {})
    before = _score(collector, "tram1")
    evidence = tmp_path / "Quyết định ban hành chính sách.pdf"
    evidence.write_bytes(files.pdf())
    page = _login(browser, collector, "it-bvdk", tmp_path)
    page.click("text=Trạm Y tế xã Đạ Nhim")
    page.click("a.button:has-text('Khai báo, hồ sơ')")
    page.select_option("select[name=requirement_id]", "L2-MGT-POL-1")
    page.fill("input[name=doc_number]", "15/QĐ-TYT")
    page.fill("input[name=doc_date]", "2026-03-02")
    page.fill("input[name=approver]", "Trưởng trạm Trần Thị B")
    page.set_input_files("input[name=file]", str(evidence))
    page.click("form.stack button.primary")
    page.wait_for_selector("p.ok")
    page.screenshot(path=str(tmp_path / "declarations.png"), full_page=True)
    assert "Quyết định ban hành chính sách.pdf" in page.inner_text("table")
    after = _score(collector, "tram1")
    assert after["day"] >= before["day"]
    page.goto(collector.url + "/units/tram1")
    row = page.locator("tr", has_text="L2-MGT-POL-1").first.inner_text()
    assert "Đã khai báo: 15/QĐ-TYT" in row
    page.screenshot(path=str(tmp_path / "unit.png"), full_page=True)
    policy = {r["id"]: r for r in after["requirements"]}["L2-MGT-POL-1"]
    assert {r["id"]: r for r in before["requirements"]}["L2-MGT-POL-1"]["status"] == "no_evidence"
    assert policy["status"] in ("met", "partly_met"), policy
    assert after["score"] > before["score"]


def test_upload_limits_in_the_browser(
    browser: Any, collector: RunningCollector, tmp_path: Path
) -> None:
    """A renamed executable is refused with the Vietnamese message; the page stays usable."""
    fake = tmp_path / "bien-ban.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\0" * 2048)
    page = _login(browser, collector, "admin", tmp_path)
    page.goto(collector.url + "/units/bv2/declarations")
    page.fill("input[name=doc_number]", "1/BB")
    page.fill("input[name=doc_date]", "2026-01-05")
    page.fill("input[name=approver]", "Giám đốc")
    page.set_input_files("input[name=file]", str(fake))
    page.click("form.stack button.primary")
    assert "Chỉ nhận tệp PDF, PNG, JPEG hoặc DOCX" in page.inner_text("p.error")


def test_auditor_has_no_forms_and_hosts_filter(
    browser: Any, collector: RunningCollector, tmp_path: Path
) -> None:
    """The auditor reads declarations without a form; the host filter narrows the list."""
    page = _login(browser, collector, "auditor", tmp_path)
    page.goto(collector.url + "/units/bvdk/declarations")
    assert page.locator("input[type=file]").count() == 0
    page.goto(collector.url + "/units/bvdk")
    all_hosts = page.locator("table.hosts tbody tr").count()
    page.select_option("select[name=av]", "fail")
    page.click("form.filters button")
    page.wait_for_url("**av=fail**")
    failing = page.locator("table.hosts tbody tr").count()
    assert 0 < failing < all_hosts
    page.click("table.hosts th a:has-text('Báo cáo gần nhất')")
    page.wait_for_url("**sort=last_seen**")
    page.locator("table.hosts tbody a").first.click()
    page.wait_for_selector("h2:has-text('Kết quả kiểm tra')")
    page.screenshot(path=str(tmp_path / "host.png"), full_page=True)


def test_phone_screen(browser: Any, collector: RunningCollector, tmp_path: Path) -> None:
    """On a 390-pixel phone the pages do not scroll sideways (wide tables scroll inside)."""
    page = _login(
        browser,
        collector,
        "it-bvdk",
        tmp_path,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
    )
    for path in ("/", "/units/bvdk", "/units/bvdk/declarations"):
        page.goto(collector.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (path, overflow)
    page.goto(collector.url + "/units/bvdk")
    page.screenshot(path=str(tmp_path / "phone-unit.png"), full_page=False)
    page.goto(collector.url + "/?lang=en")
    assert page.locator("h1").inner_text() == "Overview"
