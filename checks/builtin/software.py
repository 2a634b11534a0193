"""Software checks (section ``software``): inventory sent, approved software, supported browsers.
LEVEL2.md L2-EPT-SW-1, L2-EPT-BROWSER-1, L2-MGT-ASSET-1."""

from __future__ import annotations

import re
from functools import lru_cache

from canh.contract.facts import Package, SoftwareFacts
from checks.model import (
    Evidence,
    Finding,
    HostFacts,
    Thresholds,
    failed,
    not_applicable,
    passed,
    unknown,
)
from checks.registry import check
from checks.thresholds import number
from checks.unit import BrowserRelease

MAX_LISTED = 20
# Browser and mail-client packages, by normalised product (Windows display names and Linux
# package names). ESR before the generic Firefox pattern: first match wins.
BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("firefox-esr", r"firefox-esr|mozilla firefox .*esr.*"),
        ("firefox", r"firefox|mozilla firefox( \(.*\))?( .*)?"),
        ("chrome", r"google chrome|google-chrome-stable"),
        ("edge", r"microsoft edge|microsoft-edge-stable"),
        ("chromium", r"chromium|chromium-browser"),
        ("thunderbird", r"thunderbird|mozilla thunderbird( \(.*\))?( .*)?"),
        ("outlook", r"microsoft outlook( .*)?"),
    )
)


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _version(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    # Debian epochs ("1:115.0") and suffixes ("-1~deb12u1", "esr") do not order releases.
    core = text.split(":", 1)[-1]
    return tuple(int(x) for x in re.findall(r"\d+", core.split("-", 1)[0])[:4])


# The first seven characters of every name BROWSERS can match: a set look-up skips the regular
# expressions for the hundreds of other packages of a host.
_PREFIXES = frozenset(
    p.lower()
    for p in (
        "firefox",
        "mozilla",
        "google ",
        "google-",
        "microso",
        "chromiu",
        "thunder",
    )
)


def _browser(pkg: Package) -> str | None:
    name = pkg.name
    if name[:7].lower() not in _PREFIXES:
        return None
    name = name.strip()
    return next((product for product, rx in BROWSERS if rx.fullmatch(name)), None)


@check(
    "software.inventory",
    severity="low",
    title=("Có danh mục phần mềm cài đặt", "Installed software is inventoried"),
    rationale=(
        "Danh mục phần mềm (tên, phiên bản, nhà phát hành) là cơ sở phát hiện phần mềm trái phép "
        "và lỗi thời (TCVN 14423 4.3).",
        "The software list (name, version, publisher) is the basis for finding unauthorised and "
        "outdated software (TCVN 14423 4.3).",
    ),
    remediation=(
        "Bảo đảm agent canh chạy với quyền đọc danh sách phần mềm: Windows khóa Uninstall trong "
        "HKLM (64 và 32 bit) và HKU; Linux dpkg-query/rpm, snap, flatpak.",
        "Make sure the canh agent can read the software lists: Windows Uninstall keys in HKLM "
        "(64- and 32-bit) and HKU; Linux dpkg-query/rpm, snap, flatpak.",
    ),
    sections=("software",),
)
def inventory(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the software list was collected and is not empty."""
    cid = "software.inventory"
    sw: SoftwareFacts = facts.section("software")
    count = Evidence("software.packages", len(sw.packages))
    if sw.packages:
        return passed(cid, f"{len(sw.packages)} installed item(s) recorded", count)
    if sw.notes:
        return unknown(cid, "software list empty: " + "; ".join(sw.notes), count)
    return failed(cid, "software list is empty", count)


@check(
    "software.unapproved",
    severity="medium",
    title=("Chỉ có phần mềm được phép", "Only approved software is installed"),
    rationale=(
        "TCVN 14423 4.3.2 yêu cầu chỉ cài phần mềm được phép, ngoại lệ phải được ghi lại và "
        "phần mềm trái phép được phát hiện.",
        "TCVN 14423 4.3.2 requires that only approved software is installed, exceptions are "
        "documented and unauthorised software is detected.",
    ),
    remediation=(
        "Gỡ phần mềm không có trong danh sách được phép (Windows: Settings > Apps hoặc "
        "winget uninstall; Linux: apt remove / dnf remove), hoặc bổ sung vào danh sách được "
        "phép/ngoại lệ của đơn vị nếu hợp lệ.",
        "Remove software that is not on the approved list (Windows: Settings > Apps or winget "
        "uninstall; Linux: apt remove / dnf remove), or add it to the unit's approved list or "
        "exceptions if legitimate.",
    ),
    sections=("software",),
)
def unapproved(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an installed item matches no approved pattern."""
    cid = "software.unapproved"
    patterns = facts.unit.approved_software
    if patterns is None:
        return unknown(cid, "the unit has not declared its approved-software list")
    sw: SoftwareFacts = facts.section("software")
    if not sw.packages:
        return unknown(cid, "software list empty or not reported by the agent")
    allowed = _compiled(tuple(patterns))
    bad = sorted({p.name for p in sw.packages if not any(rx.fullmatch(p.name) for rx in allowed)})
    if bad:
        return failed(
            cid,
            f"{len(bad)} unapproved item(s): {', '.join(bad[:MAX_LISTED])}",
            Evidence("software.unapproved", bad[:MAX_LISTED]),
        )
    return passed(
        cid,
        f"{len(sw.packages)} item(s), all approved",
        Evidence("software.packages", len(sw.packages)),
    )


def _stale(
    product: str, version: str | None, ref: BrowserRelease, facts: HostFacts, limit: float
) -> str | None:
    have = _version(version)
    if not have:
        return f"{product}: version unknown"
    if ref.supported_major_min is not None and have[0] < ref.supported_major_min:
        return f"{product} {version}: major release no longer supported"
    if have < _version(ref.latest_version):
        age = (facts.now().date() - ref.released).days
        if age > limit:
            return f"{product} {version}: {ref.latest_version} out for {age} days"
    return None


@check(
    "software.browser_supported",
    severity="medium",
    title=(
        "Trình duyệt và ứng dụng thư được phép và còn cập nhật",
        "Browsers and mail clients are approved and up to date",
    ),
    rationale=(
        "Trình duyệt và ứng dụng thư là nơi mã độc vào nhiều nhất; chỉ dùng sản phẩm được phép, "
        "bản còn hỗ trợ và được vá (TCVN 14423 4.9.2.1).",
        "Browsers and mail clients are where most malware gets in; use only approved, "
        "supported and patched releases (TCVN 14423 4.9.2.1).",
    ),
    remediation=(
        "Bật cập nhật tự động của trình duyệt (Chrome/Edge: không tắt Google Update/EdgeUpdate "
        "bằng GPO; Firefox: chính sách AppAutoUpdate) hoặc phân phối qua WSUS/Intune; Linux: apt "
        "upgrade firefox-esr chromium thunderbird. Gỡ trình duyệt không nằm trong danh sách "
        "được phép.",
        "Keep browser auto-update on (Chrome/Edge: do not disable Google Update/EdgeUpdate by "
        "GPO; Firefox: the AppAutoUpdate policy) or deploy through WSUS/Intune; Linux: apt "
        "upgrade firefox-esr chromium thunderbird. Remove browsers that are not approved.",
    ),
    sections=("software",),
    thresholds=("patch_max_age_days",),
)
def browser_supported(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail on an unapproved browser/mail client or one behind the newest release too long."""
    cid = "software.browser_supported"
    limit = number(thresholds, "patch_max_age_days")
    sw: SoftwareFacts = facts.section("software")
    found = [(product, p) for p in sw.packages if (product := _browser(p)) is not None]
    if not found:
        if not sw.packages:
            return unknown(cid, "software list empty or not reported by the agent")
        return not_applicable(cid, "no browser or mail client installed")
    seen = Evidence("software.browsers", {f"{p.name}": p.version for _, p in found})
    approved = facts.unit.approved_browsers
    bad: list[str] = []
    blind: list[str] = []
    if approved is not None:
        bad += [f"{p.name} (not approved)" for product, p in found if product not in approved]
    for product, p in found:
        ref = facts.unit.browser_releases.get(product)
        if ref is None:
            blind.append(product)
            continue
        problem = _stale(product, p.version, ref, facts, limit)
        if problem:
            bad.append(problem)
    if bad:
        return failed(cid, "; ".join(bad), seen)
    if approved is None:
        return unknown(
            cid, "the unit has not declared its approved browsers and mail clients", seen
        )
    if blind:
        return unknown(
            cid,
            f"no release data for {', '.join(sorted(set(blind)))}: "
            "update the collector's reference data",
            seen,
        )
    return passed(cid, f"{len(found)} browser/mail client(s) approved and current", seen)
