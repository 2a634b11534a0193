"""Dashboard pages in process: language, scoping, filters, CSRF, escaping, the forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.web import files
from tests.web.conftest import Site
from tests.web.seed import PASSWORD


def test_login_page_is_vietnamese_by_default_with_english_switch(site: Site) -> None:
    """Vietnamese with diacritics unless English is asked for; the choice sticks in a cookie."""
    page = site.client.get("/")
    assert "Đăng nhập" in page.text and "Mật khẩu" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    english = site.client.get("/?lang=en")
    assert "Log in" in english.text
    assert "Log in" in site.client.get("/").text  # remembered


def test_no_inline_script_or_style_in_any_page(site: Site) -> None:
    """Pages only use /static files: the strict CSP would block anything inline."""
    client = site.browser("admin")
    host = site.seeded.first("bvdk")
    for url in (
        "/",
        "/units/bvdk",
        f"/hosts/{host}",
        "/units/bvdk/declarations",
        "/units/bvdk/waivers",
    ):
        text = client.get(url).text
        assert "<script" not in text, url
        assert not re.search(r"\sstyle=", text), url
        assert " on" + "click=" not in text, url


def test_overview_shows_only_the_units_a_role_may_see(site: Site) -> None:
    """Admin and auditor see every unit; unit IT staff see their subtree only."""
    everyone = (
        "Sở Y tế tỉnh Lâm Đồng",
        "Bệnh viện Đa khoa tỉnh",
        "Trạm Y tế xã Đạ Nhim",
        "Bệnh viện Y học cổ truyền",
    )
    for user in ("admin", "auditor"):
        text = site.browser(user).get("/").text
        assert all(name in text for name in everyone), user
    text = site.browser("it-bvdk").get("/").text
    assert "Bệnh viện Đa khoa tỉnh" in text and "Trạm Y tế xã Đạ Nhim" in text
    assert "Bệnh viện Y học cổ truyền" not in text and "Sở Y tế tỉnh Lâm Đồng" not in text
    client = site.browser("it-bvdk")
    assert client.get("/units/bv2").status_code == 404
    assert client.get(f"/hosts/{site.seeded.first('bv2')}").status_code == 404
    assert client.get("/units/bv2/declarations").status_code == 404
    assert client.get("/units/bv2/report?format=html").status_code == 404


def test_overview_has_trends_incidents_and_legal_deadlines(site: Site) -> None:
    """Trend charts are inline SVG; the serious incident's 24 h and 72 h clocks are shown."""
    text = site.browser("admin").get("/").text
    assert text.count('<svg class="chart"') >= 5
    assert "Hạn báo cáo theo luật" in text and "Thông báo ban đầu (24 giờ)" in text
    assert "antivirus_off" in text
    assert "Tỷ lệ máy có phòng chống mã độc" in text


def test_unit_page_requirements_hosts_devices(site: Site) -> None:
    """Requirements with status and remediation, hosts, unmanaged devices, incidents."""
    text = site.browser("auditor").get("/units/bvdk").text
    assert "L2-EPT-AV-1" in text and "Chưa có bằng chứng" in text
    assert "Cách khắc phục" in text
    assert "10.1.2.50" in text and "NPI-PRINTER" in text  # unmanaged devices of the subtree
    assert "10.1.3.77" in text
    assert "bvdk-pc-00000" in text and "tram1-pc-00000" in text
    assert "Khai báo, hồ sơ" in text


def _host_names(text: str) -> list[str]:
    table = text.split('<table class="hosts">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/hosts/[^"]+">([^<]+)</a>', table)


def test_host_list_filters_sorts_and_pages(site: Site) -> None:
    """Server-side filters (antivirus, online, failing) and sort by any column."""
    client = site.browser("admin")
    failing_av = _host_names(client.get("/units/bv2?av=fail").text)
    assert failing_av and all(int(n[-5:]) % 3 == 0 for n in failing_av)
    offline = _host_names(client.get("/units/bv2?online=no").text)
    assert offline == ["bv2-pc-00000", "bv2-pc-00007"]
    by_name_desc = _host_names(client.get("/units/bv2?sort=hostname&dir=desc").text)
    assert by_name_desc == sorted(by_name_desc, reverse=True)
    search = _host_names(client.get("/units/syt?q=tram1-pc-0001").text)
    assert search == ["tram1-pc-00010", "tram1-pc-00011"]
    many = client.get("/units/syt").text
    assert "Trang 1 trên 1" not in many or len(_host_names(many)) <= 50


def test_host_page_facts_findings_history(site: Site) -> None:
    """Facts by section, findings with the value seen and what to do, and changes."""
    text = site.browser("admin").get(f"/hosts/{site.seeded.first('bvdk')}").text
    assert "Windows 10 Pro" in text and "Phần mềm Kế toán HCSN" in text
    assert "no anti-malware product found" in text
    assert "antivirus.products = []" in text
    assert "+ Phần mềm Kế toán HCSN (msi, x64)" in text
    assert "access denied" in text


def test_login_and_forms_require_the_csrf_token(site: Site) -> None:
    """A form without the cookie's token is refused and nothing is stored."""
    site.client.cookies.clear()
    site.client.get("/")
    response = site.client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403
    client = site.browser("it-bvdk")
    response = client.post(
        "/units/bvdk/declarations",
        data={
            "csrf": "forged",
            "requirement_id": "L2-MGT-POL-1",
            "doc_number": "1",
            "doc_date": "2026-01-02",
            "approver": "A",
        },
        files={"file": ("a.pdf", files.pdf(), "application/pdf")},
    )
    assert response.status_code == 403
    assert site.svc.store.query("SELECT * FROM declarations") == []


def test_declaration_form_records_and_escapes(site: Site) -> None:
    """The web form records an attestation; hostile text comes back escaped."""
    client = site.browser("it-bvdk")
    page = client.get("/units/bvdk/declarations")
    assert 'enctype="multipart/form-data"' in page.text
    response = client.post(
        "/units/bvdk/declarations",
        data={
            "csrf": client.cookies.get("canh_csrf"),
            "requirement_id": "L2-MGT-POL-1",
            "doc_number": "<script>alert(1)</script>",
            "doc_date": "2026-01-02",
            "approver": "Giám đốc",
        },
        files={"file": ("Quyết định.pdf", files.pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    listed = client.get("/units/bvdk/declarations").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
    assert "<script>alert(1)" not in listed
    assert "Quyết định.pdf" in listed
    wrong = client.post(
        "/units/bvdk/declarations",
        data={
            "csrf": client.cookies.get("canh_csrf"),
            "requirement_id": "L2-MGT-POL-1",
            "doc_number": "2",
            "doc_date": "2026-01-02",
            "approver": "Giám đốc",
        },
        files={"file": ("x.pdf", b"GIF89a not a pdf", "application/pdf")},
    )
    assert wrong.status_code == 415
    assert "Chỉ nhận tệp PDF, PNG, JPEG hoặc DOCX" in wrong.text


def test_auditor_sees_no_forms_and_cannot_post(site: Site) -> None:
    """Read-only roles get the lists without forms, and a 403 page if they post anyway."""
    client = site.browser("auditor")
    page = client.get("/units/bvdk/declarations").text
    assert "multipart/form-data" not in page and "Vai trò của bạn chỉ được xem." in page
    response = client.post("/units/bvdk/waivers", data={"csrf": client.cookies.get("canh_csrf")})
    assert response.status_code == 403


def test_waiver_form_by_host_name(site: Site) -> None:
    """A waiver for a check on one host, named by its host name, with an expiry."""
    client = site.browser("admin")
    response = client.post(
        "/units/bvdk/waivers",
        data={
            "csrf": client.cookies.get("canh_csrf"),
            "target": "check:av.installed",
            "host": "bvdk-pc-00003",
            "reason": "Máy xét nghiệm, nhà sản xuất cấm cài AV",
            "approver": "Giám đốc",
            "expires_at": (date.today() + timedelta(days=90)).isoformat(),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    text = client.get("/units/bvdk/waivers").text
    assert "bvdk-pc-00003" in text and "nhà sản xuất cấm cài AV" in text
    late = client.post(
        "/units/bvdk/waivers",
        data={
            "csrf": client.cookies.get("canh_csrf"),
            "target": "req:L2-EPT-AV-1",
            "reason": "xyz",
            "approver": "A",
            "expires_at": (date.today() + timedelta(days=500)).isoformat(),
        },
    )
    assert late.status_code == 422 and "Dữ liệu chưa hợp lệ" in late.text


def test_report_download_from_the_unit_page(site: Site) -> None:
    """The annual report downloads as an attachment for a permitted user, and is audited."""
    client = site.browser("it-bvdk")
    response = client.get("/units/bvdk/report?year=2026&format=html")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in response.text
    assert "report.annual" in [r["action"] for r in site.svc.store.audit_log(10, 0)]
