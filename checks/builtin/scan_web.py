"""N-class checks on web applications and mail: TLS versions and certificates, HTTPS redirects,
version banners, WAF signs, mail DNS (LEVEL2.md L2-APP-SEC-1, L2-APP-AUTH-1, L2-DES-WAF-1,
L2-DES-MAIL-1)."""

from __future__ import annotations

import re
from datetime import timedelta

from checks.model import Evidence, Finding, Thresholds, failed, not_applicable, passed, unknown
from checks.network import NetworkObservation, TlsProbe, collector_evidence, network_check
from checks.thresholds import number, text

TLS_ORDER = ("ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3")
# Response headers that commonly disclose product versions (OWASP WSTG-INFO-02).
BANNER_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version")
_VERSION = re.compile(r"\d+\.\d+")


def _tls_endpoints(obs: NetworkObservation) -> list[TlsProbe] | None:
    if obs.web_apps is None and obs.devices is None:
        return None
    found = [app.tls for app in obs.web_apps or [] if app.tls is not None]
    found += [probe for d in obs.devices or [] for probe in d.tls]
    return found


def _version_rank(version: str) -> int:
    v = version.strip().lower().removeprefix("tls").removeprefix("v").strip()
    return TLS_ORDER.index(v) if v in TLS_ORDER else -1


@network_check(
    "scan.tls_version",
    severity="high",
    title=(
        "Điểm cuối TLS từ chối giao thức cũ",
        "TLS endpoints refuse old protocol versions",
    ),
    rationale=(
        "SSLv3, TLS 1.0 và 1.1 có lỗ hổng đã biết và bị các trình duyệt loại bỏ (L2-APP-SEC-1).",
        "SSLv3, TLS 1.0 and 1.1 have known weaknesses and are dropped by browsers (L2-APP-SEC-1).",
    ),
    remediation=(
        "Chỉ bật TLS từ tls_min_version trở lên. IIS/Windows: đặt Enabled=0 cho SSL 3.0, TLS 1.0, "
        "TLS 1.1 dưới khóa SCHANNEL\\Protocols (hoặc dùng IIS Crypto). nginx: "
        "'ssl_protocols TLSv1.2 TLSv1.3;'; Apache: 'SSLProtocol -all +TLSv1.2 +TLSv1.3'.",
        "Enable only TLS tls_min_version and newer. IIS/Windows: set Enabled=0 for SSL 3.0, "
        "TLS 1.0 and TLS 1.1 under SCHANNEL\\Protocols (or use IIS Crypto). nginx: "
        "'ssl_protocols TLSv1.2 TLSv1.3;'; Apache: 'SSLProtocol -all +TLSv1.2 +TLSv1.3'.",
    ),
    reads=("web_apps", "devices"),
    thresholds=("tls_min_version",),
)
def tls_version(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when a TLS endpoint accepts a version below the pack's minimum."""
    cid = "scan.tls_version"
    minimum = text(thresholds, "tls_min_version")
    floor = _version_rank(minimum)
    if floor < 0:
        return unknown(cid, f"tls_min_version {minimum!r} is not one of {', '.join(TLS_ORDER)}")
    endpoints = _tls_endpoints(obs)
    if endpoints is None:
        return unknown(cid, "no TLS scan yet: declare web applications or run discovery")
    probed = [e for e in endpoints if e.accepted is not None]
    if not probed:
        if not endpoints:
            return not_applicable(cid, "no TLS endpoint found or declared")
        return unknown(cid, "TLS endpoints found but their protocol versions were not probed")
    bad = [
        collector_evidence("tls.accepted", f"{e.endpoint}: {', '.join(old)}")
        for e in probed
        if (old := [v for v in e.accepted or [] if 0 <= _version_rank(v) < floor])
    ]
    if bad:
        return failed(cid, f"{len(bad)} endpoint(s) accept TLS below {minimum}", *bad)
    return passed(
        cid,
        f"{len(probed)} endpoint(s) accept only TLS {minimum} or newer",
        *(collector_evidence("tls.accepted", f"{e.endpoint}: {e.accepted}") for e in probed),
    )


@network_check(
    "scan.tls_certificate",
    severity="medium",
    title=(
        "Chứng thư TLS hợp lệ và chưa sắp hết hạn",
        "TLS certificates valid and not near expiry",
    ),
    rationale=(
        "Chứng thư hết hạn, sai tên hoặc không tin cậy khiến người dùng quen bỏ qua cảnh báo, mở "
        "đường cho tấn công xen giữa (L2-APP-SEC-1).",
        "Expired, mismatched or untrusted certificates teach users to click through warnings, "
        "which enables man-in-the-middle attacks (L2-APP-SEC-1).",
    ),
    remediation=(
        "Gia hạn chứng thư trước tls_cert_min_days_to_expiry ngày (tự động với ACME/certbot nếu "
        "được), dùng chứng thư do CA tin cậy cấp, có tên miền đúng trong SAN và đủ chuỗi trung "
        "gian.",
        "Renew certificates at least tls_cert_min_days_to_expiry days ahead (automate with "
        "ACME/certbot where possible), use a trusted CA, the right names in the SAN and the full "
        "intermediate chain.",
    ),
    reads=("web_apps", "devices"),
    thresholds=("tls_cert_min_days_to_expiry",),
)
def tls_certificate(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail on an untrusted, mismatched, not-yet-valid, expired or soon-expiring certificate."""
    cid = "scan.tls_certificate"
    min_days = number(thresholds, "tls_cert_min_days_to_expiry")
    endpoints = _tls_endpoints(obs)
    if endpoints is None:
        return unknown(cid, "no TLS scan yet: declare web applications or run discovery")
    if not endpoints:
        return not_applicable(cid, "no TLS endpoint found or declared")
    bad: list[Evidence] = []
    unseen = 0
    for e in endpoints:
        if e.cert_not_after is None:
            unseen += 1
            continue
        problems = []
        if e.chain_valid is False:
            problems.append("untrusted chain")
        if e.name_match is False:
            problems.append("name mismatch")
        if e.cert_not_before is not None and e.cert_not_before > obs.observed_at:
            problems.append("not yet valid")
        left = e.cert_not_after - obs.observed_at
        if left < timedelta(days=min_days):
            problems.append(f"{left.days} day(s) left")
        if problems:
            bad.append(
                collector_evidence("tls.certificate", f"{e.endpoint}: {', '.join(problems)}")
            )
    if bad:
        return failed(cid, f"{len(bad)} certificate problem(s)", *bad)
    if unseen == len(endpoints):
        return unknown(cid, "no certificate was read from the TLS endpoints")
    return passed(
        cid,
        f"{len(endpoints) - unseen} certificate(s) valid for ≥ {min_days:g} days",
        *(
            collector_evidence("tls.cert_not_after", f"{e.endpoint}: {e.cert_not_after}")
            for e in endpoints
            if e.cert_not_after is not None
        ),
    )


def _web_apps(obs: NetworkObservation, check_id: str) -> Finding | list[object]:
    if obs.web_apps is None:
        return unknown(check_id, "the unit has not declared its web applications")
    if not obs.web_apps:
        return not_applicable(check_id, "the unit declares no web application")
    return list(obs.web_apps)


@network_check(
    "scan.https_redirect",
    severity="high",
    title=(
        "Ứng dụng web chuyển HTTP sang HTTPS, trang đăng nhập qua HTTPS",
        "Web apps redirect HTTP to HTTPS and log in over HTTPS",
    ),
    rationale=(
        "Mật khẩu gửi qua HTTP có thể bị đọc trên đường truyền (L2-APP-AUTH-1, L2-APP-SEC-1).",
        "Passwords sent over HTTP can be read in transit (L2-APP-AUTH-1, L2-APP-SEC-1).",
    ),
    remediation=(
        "Cấu hình máy chủ web trả 301 sang https:// cho mọi yêu cầu HTTP (IIS: URL Rewrite; "
        "nginx: 'return 301 https://$host$request_uri;'), bật HSTS, và chỉ phục vụ trang đăng "
        "nhập qua HTTPS.",
        "Make the web server answer every HTTP request with a 301 to https:// (IIS: URL Rewrite; "
        "nginx: 'return 301 https://$host$request_uri;'), enable HSTS, and serve the login page "
        "only over HTTPS.",
    ),
    reads=("web_apps",),
)
def https_redirect(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when HTTP is served without a redirect to HTTPS or a login page is on HTTP."""
    cid = "scan.https_redirect"
    apps = _web_apps(obs, cid)
    if isinstance(apps, Finding):
        return apps
    bad: list[Evidence] = []
    unseen = 0
    for app in obs.web_apps or []:
        if app.http_closed is None and app.http_status is None:
            unseen += 1
            continue
        redirect = app.http_status is not None and 300 <= app.http_status < 400
        to_https = (app.http_location or "").lower().startswith("https://")
        if not app.http_closed and not (redirect and to_https):
            bad.append(
                collector_evidence("web_apps.http_status", f"{app.url}: HTTP {app.http_status}")
            )
        if app.login_url_scheme == "http" or app.password_form_on_http:
            bad.append(collector_evidence("web_apps.login", f"{app.url}: login over plain HTTP"))
    if bad:
        return failed(cid, f"{len(bad)} plain-HTTP problem(s)", *bad)
    if unseen == len(apps):
        return unknown(cid, "no web application was probed over HTTP yet")
    return passed(
        cid,
        f"{len(apps) - unseen} web app(s) redirect to HTTPS",
        *(
            collector_evidence(
                "web_apps.http_status", f"{a.url}: {a.http_status} {a.http_location}"
            )
            for a in obs.web_apps or []
        ),
    )


@network_check(
    "scan.server_banner",
    severity="low",
    title=(
        "Ứng dụng web không để lộ phiên bản phần mềm",
        "Web apps do not disclose software versions",
    ),
    rationale=(
        "Tiêu đề Server/X-Powered-By có số phiên bản giúp kẻ tấn công chọn mã khai thác "
        "(L2-APP-SEC-1).",
        "Server/X-Powered-By headers with version numbers help attackers pick an exploit "
        "(L2-APP-SEC-1).",
    ),
    remediation=(
        "IIS: removeServerHeader=true, bỏ X-Powered-By và đặt enableVersionHeader=false; nginx: "
        "'server_tokens off;'; Apache: 'ServerTokens Prod' và 'ServerSignature Off'; PHP: "
        "'expose_php = Off'.",
        "IIS: removeServerHeader=true, remove X-Powered-By and set enableVersionHeader=false; "
        "nginx: 'server_tokens off;'; Apache: 'ServerTokens Prod' and 'ServerSignature Off'; "
        "PHP: 'expose_php = Off'.",
    ),
    reads=("web_apps",),
)
def server_banner(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail when a version number appears in a disclosing header."""
    cid = "scan.server_banner"
    apps = _web_apps(obs, cid)
    if isinstance(apps, Finding):
        return apps
    bad = [
        collector_evidence("web_apps.headers", f"{app.url}: {name}: {value}")
        for app in obs.web_apps or []
        for name, value in app.headers.items()
        if name.lower() in BANNER_HEADERS and _VERSION.search(value)
    ]
    if bad:
        return failed(cid, f"{len(bad)} header(s) disclose a version", *bad)
    return passed(
        cid,
        f"{len(apps)} web app(s): no version in response headers",
        *(
            collector_evidence("web_apps.headers", f"{a.url}: {a.headers}")
            for a in obs.web_apps or []
        ),
    )


@network_check(
    "scan.waf_fingerprint",
    severity="low",
    title=("Có dấu hiệu tường lửa ứng dụng web (WAF)", "Signs of a web application firewall"),
    rationale=(
        "WAF bảo vệ ứng dụng web trước tấn công phổ biến (L2-DES-WAF-1). Phát hiện từ bên ngoài "
        "không tin cậy nên kiểm tra này chỉ xác nhận, không bao giờ đánh trượt.",
        "A WAF protects web apps from common attacks (L2-DES-WAF-1). Detection from outside is "
        "unreliable, so this check only confirms and never fails.",
    ),
    remediation=(
        "Triển khai WAF (thiết bị, dịch vụ hoặc ModSecurity với bộ luật OWASP CRS) ở chế độ chặn "
        "trước các ứng dụng web và khai báo sản phẩm trong hồ sơ L2-DES-WAF-1.",
        "Deploy a WAF (appliance, service, or ModSecurity with the OWASP CRS) in blocking mode "
        "in front of the web apps and declare the product under L2-DES-WAF-1.",
    ),
    reads=("web_apps",),
    supporting=True,
)
def waf_fingerprint(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Pass when every declared web app shows WAF signs; otherwise unknown, never fail."""
    cid = "scan.waf_fingerprint"
    apps = _web_apps(obs, cid)
    if isinstance(apps, Finding):
        return apps
    seen = [
        collector_evidence("web_apps.waf_detected", f"{a.url}: {a.waf_detected}")
        for a in obs.web_apps or []
    ]
    if all(a.waf_detected for a in obs.web_apps or []):
        return passed(cid, f"WAF signs on all {len(apps)} web app(s)", *seen)
    return unknown(cid, "no WAF sign on some web apps (heuristic; the declaration decides)", *seen)


@network_check(
    "scan.mail_dns",
    severity="medium",
    title=("Bản ghi DNS thư điện tử (MX, SPF, DKIM)", "Mail DNS records (MX, SPF, DKIM)"),
    rationale=(
        "SPF và DKIM giúp chống giả mạo thư của đơn vị, một phần của phương án an toàn thư điện "
        "tử (L2-DES-MAIL-1). DMARC chỉ ghi nhận ở cấp độ 2.",
        "SPF and DKIM stop others forging the unit's mail, part of the email security plan "
        "(L2-DES-MAIL-1). DMARC is recorded only, at level 2.",
    ),
    remediation=(
        "Tạo bản ghi TXT 'v=spf1 ... -all' (không dùng '+all'), công bố khóa DKIM cho từng "
        "selector đã khai báo, và nên thêm '_dmarc' với p=quarantine hoặc p=reject.",
        "Publish a 'v=spf1 ... -all' TXT record (never '+all'), the DKIM key of each declared "
        "selector, and preferably a '_dmarc' record with p=quarantine or p=reject.",
    ),
    reads=("mail_domains",),
)
def mail_dns(obs: NetworkObservation, thresholds: Thresholds) -> Finding:
    """Fail on a missing MX, a missing or '+all' SPF, or a missing DKIM selector."""
    cid = "scan.mail_dns"
    if obs.mail_domains is None:
        return unknown(cid, "the unit has not declared its mail domains")
    if not obs.mail_domains:
        return not_applicable(cid, "the unit declares no mail domain")
    bad: list[Evidence] = []
    info: list[Evidence] = []
    for d in obs.mail_domains:
        if d.mx is None or d.spf is None or d.dkim is None:
            return unknown(cid, f"DNS look-ups for {d.domain} not done yet")
        if not d.mx:
            bad.append(collector_evidence("mail.mx", f"{d.domain}: no MX"))
        if not d.spf:
            bad.append(collector_evidence("mail.spf", f"{d.domain}: no SPF record"))
        elif "+all" in d.spf.split():
            bad.append(collector_evidence("mail.spf", f"{d.domain}: {d.spf}"))
        bad += [
            collector_evidence("mail.dkim", f"{d.domain}: no DKIM for {s}")
            for s, ok in d.dkim.items()
            if not ok
        ]
        info.append(
            collector_evidence("mail.dmarc", f"{d.domain}: {d.dmarc or 'none'} (informational)")
        )
    if bad:
        return failed(cid, f"{len(bad)} mail DNS problem(s)", *bad, *info)
    return passed(cid, f"{len(obs.mail_domains)} mail domain(s): MX, SPF and DKIM present", *info)
