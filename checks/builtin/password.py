"""Password policy checks (section ``accounts``): length, classes, age, storage.

LEVEL2.md L2-SRV-AUTH-1, -2, -6. The unit's profile picks the key: MFA attested (L2-SRV-AUTH-5)
selects the shorter length; health-sector units are held to QĐ 326 (length and complexity even
with MFA). When several keys apply, the strictest wins (docs/CHECKS-PLAN.md).
"""

from __future__ import annotations

from datetime import timedelta

from canh.contract.facts import Account, AccountFacts
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

WINDOWS_COMPLEXITY_CLASSES = 3  # "3 of 5 categories" (Microsoft: Password must meet complexity)
STRONG_SCHEMES = frozenset({"yescrypt", "gost-yescrypt", "sha512", "sha256", "bcrypt", "scrypt"})
WEAK_SCHEMES = frozenset({"md5", "des", "bigcrypt", "bsdicrypt", "nt", "plain"})
MAX_LISTED = 20


def _required_length(facts: HostFacts, thresholds: Thresholds) -> tuple[str, float]:
    unit = facts.unit
    key = "password_min_length_with_mfa" if unit.mfa_attested else "password_min_length"
    value = number(thresholds, key)
    if unit.health_sector:
        moh = number(thresholds, "password_min_length_moh")
        if moh > value:
            key, value = "password_min_length_moh", moh
    return key, value


@check(
    "password.min_length",
    severity="high",
    title=("Độ dài mật khẩu tối thiểu đủ yêu cầu", "Minimum password length is enforced"),
    rationale=(
        "TCVN 14423 gợi ý mật khẩu ≥ 14 ký tự đủ 4 loại khi không có xác thực đa yếu tố, ≥ 8 "
        "ký tự khi có.",
        "TCVN 14423 suggests ≥ 14 characters with 4 classes without MFA, ≥ 8 with MFA.",
    ),
    remediation=(
        "Windows: GPO Computer Configuration > Windows Settings > Security Settings > Account "
        "Policies > Password Policy > 'Minimum password length' (miền: Default Domain Policy "
        "hoặc Fine-Grained Password Policy). Linux: đặt minlen trong /etc/security/pwquality.conf "
        "và bảo đảm pam_pwquality có trong /etc/pam.d/common-password (hoặc system-auth).",
        "Windows: GPO Computer Configuration > Windows Settings > Security Settings > Account "
        "Policies > Password Policy > 'Minimum password length' (domain: Default Domain Policy "
        "or a Fine-Grained Password Policy). Linux: set minlen in /etc/security/pwquality.conf "
        "and make sure pam_pwquality is in /etc/pam.d/common-password (or system-auth).",
    ),
    sections=("accounts",),
    thresholds=("password_min_length", "password_min_length_with_mfa", "password_min_length_moh"),
)
def min_length(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when the effective minimum length reaches the unit's required length."""
    cid = "password.min_length"
    key, required = _required_length(facts, thresholds)
    acc: AccountFacts = facts.section("accounts")
    evidence = Evidence("accounts.password_min_length", acc.password_min_length)
    if acc.password_min_length is None:
        return unknown(cid, "effective minimum password length not reported by the agent")
    if acc.password_min_length >= required:
        return passed(
            cid, f"minimum length {acc.password_min_length} ≥ {required:g} ({key})", evidence
        )
    return failed(cid, f"minimum length {acc.password_min_length}, {key} is {required:g}", evidence)


@check(
    "password.complexity",
    severity="high",
    title=("Mật khẩu bắt buộc đủ loại ký tự", "Password character classes are enforced"),
    rationale=(
        "Không có xác thực đa yếu tố, TCVN 14423 gợi ý mật khẩu dùng đủ 4 loại ký tự; đơn vị y "
        "tế luôn phải bật độ phức tạp (QĐ 326/QĐ-BYT).",
        "Without MFA, TCVN 14423 suggests all 4 character classes; health-sector units must "
        "always enforce complexity (QĐ 326/QĐ-BYT).",
    ),
    remediation=(
        "Windows: bật 'Password must meet complexity requirements' (chỉ bảo đảm 3/5 loại; để "
        "đòi 4 loại cần bộ lọc mật khẩu hoặc xác thực đa yếu tố). Linux: trong "
        "/etc/security/pwquality.conf đặt minclass=4 (hoặc dcredit=-1 ucredit=-1 lcredit=-1 "
        "ocredit=-1).",
        "Windows: enable 'Password must meet complexity requirements' (this only guarantees 3 "
        "of 5 classes; 4 classes need a password filter or MFA). Linux: in "
        "/etc/security/pwquality.conf set minclass=4 (or dcredit=-1 ucredit=-1 lcredit=-1 "
        "ocredit=-1).",
    ),
    sections=("accounts",),
    thresholds=("password_min_classes",),
)
def complexity(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Pass when enough classes are enforced (complexity on for health units, even with MFA)."""
    cid = "password.complexity"
    needed = number(thresholds, "password_min_classes")
    acc: AccountFacts = facts.section("accounts")
    classes = acc.password_min_classes
    if classes is None and acc.password_complexity is not None and facts.os_family == "windows":
        classes = WINDOWS_COMPLEXITY_CLASSES if acc.password_complexity else 1
    evidence = (
        Evidence("accounts.password_complexity", acc.password_complexity),
        Evidence("accounts.password_min_classes", classes),
    )
    on = acc.password_complexity is True or (classes is not None and classes >= 2)
    if facts.unit.mfa_attested:
        if not facts.unit.health_sector:
            return not_applicable(cid, "MFA attested (L2-SRV-AUTH-5): class rule not required")
        if classes is None and acc.password_complexity is None:
            return unknown(cid, "password complexity not reported by the agent", *evidence)
        if on:
            return passed(cid, "complexity enforced (health sector, MFA attested)", *evidence)
        return failed(cid, "health-sector units must enforce complexity", *evidence)
    if classes is None:
        return unknown(cid, "character classes enforced not reported by the agent", *evidence)
    if classes >= needed:
        return passed(cid, f"{classes} classes enforced", *evidence)
    if facts.os_family == "windows" and acc.password_filters:
        return unknown(
            cid,
            f"password filter(s) {', '.join(acc.password_filters)} registered: their rules are "
            "not visible; attest them",
            *evidence,
        )
    return failed(cid, f"{classes} classes enforced, password_min_classes is {needed:g}", *evidence)


def _with_password(acc: AccountFacts) -> list[Account]:
    return [
        u
        for u in acc.users
        if u.enabled is not False and u.password_locked is not True and u.empty_password is not True
    ]


@check(
    "password.max_age",
    severity="medium",
    title=("Có thời hạn đổi mật khẩu", "Passwords expire"),
    rationale=(
        "TCVN 14423 yêu cầu cấu hình thời hạn đổi mật khẩu người dùng; mật khẩu không bao giờ "
        "hết hạn bị lộ sẽ dùng được mãi.",
        "TCVN 14423 requires a user password change period; a leaked never-expiring password "
        "works forever.",
    ),
    remediation=(
        "Windows: 'Maximum password age' trong Password Policy (miền: Default Domain Policy), "
        "bỏ cờ 'Password never expires' (Set-LocalUser -PasswordNeverExpires $false). Linux: "
        "chage -M <số ngày> <tên> cho từng tài khoản (PASS_MAX_DAYS trong /etc/login.defs chỉ "
        "áp dụng cho tài khoản tạo sau).",
        "Windows: 'Maximum password age' in the Password Policy (domain: Default Domain "
        "Policy) and clear 'Password never expires' (Set-LocalUser -PasswordNeverExpires "
        "$false). Linux: chage -M <days> <user> for each account (PASS_MAX_DAYS in "
        "/etc/login.defs only applies to accounts created later).",
    ),
    sections=("accounts",),
    thresholds=("user_password_max_age_days",),
)
def max_age(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Fail on no or too long a maximum age, or an enabled account whose password never expires."""
    cid = "password.max_age"
    limit = number(thresholds, "user_password_max_age_days")
    acc: AccountFacts = facts.section("accounts")
    users = _with_password(acc)
    if facts.os_family == "windows":
        policy = acc.password_max_age_days
        evidence = Evidence("accounts.password_max_age_days", policy)
        if policy is None:
            return unknown(cid, "maximum password age not reported by the agent", evidence)
        if policy == 0 or policy > limit:
            shown = "never" if policy == 0 else f"{policy:g} days"
            return failed(cid, f"maximum password age {shown}, limit {limit:g}", evidence)
        never = [u for u in users if u.password_never_expires]
        if never:
            return failed(cid, f"password never expires for: {_listed(never)}", evidence)
        return passed(cid, f"maximum password age {policy:g} days", evidence)
    if not users:
        return passed(
            cid, "no enabled account with a password", Evidence("accounts.users", len(acc.users))
        )
    bad = [
        u
        for u in users
        if u.password_max_age_days is not None and not 0 < u.password_max_age_days <= limit
    ]
    blind = [u for u in users if u.password_max_age_days is None]
    seen = Evidence(
        "accounts.users.password_max_age_days",
        {u.name: u.password_max_age_days for u in users[:MAX_LISTED]},
    )
    if bad:
        return failed(cid, f"no or too long a maximum age (> {limit:g}): {_listed(bad)}", seen)
    if blind:
        return unknown(cid, f"maximum age not reported for: {_listed(blind)}", seen)
    return passed(cid, f"{len(users)} account(s) expire within {limit:g} days", seen)


def _listed(accounts: list[Account]) -> str:
    return ", ".join(u.name for u in accounts[:MAX_LISTED])


@check(
    "password.admin_max_age",
    severity="high",
    title=(
        "Mật khẩu quản trị đổi ít nhất 2 tháng một lần",
        "Administrator passwords are changed every 2 months",
    ),
    rationale=(
        "TCVN 14423 yêu cầu đổi mật khẩu tài khoản quản trị 2 tháng một lần.",
        "TCVN 14423 requires administrator passwords to change every 2 months.",
    ),
    remediation=(
        "Windows: áp dụng Fine-Grained Password Policy với MaxPasswordAge ≤ 60 ngày cho nhóm "
        "quản trị (hoặc Windows LAPS cho tài khoản quản trị cục bộ), bỏ 'Password never "
        "expires'. Linux: chage -M 60 root và từng thành viên sudo/wheel, rồi đổi mật khẩu "
        "đã quá hạn.",
        "Windows: apply a Fine-Grained Password Policy with MaxPasswordAge ≤ 60 days to the "
        "admin groups (or Windows LAPS for local admin accounts) and clear 'Password never "
        "expires'. Linux: chage -M 60 for root and each sudo/wheel member, then change the "
        "passwords that are overdue.",
    ),
    sections=("accounts",),
    thresholds=("admin_password_max_age_days",),
)
def admin_max_age(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an admin's maximum age or current password age exceeds the limit."""
    cid = "password.admin_max_age"
    limit = number(thresholds, "admin_password_max_age_days")
    acc: AccountFacts = facts.section("accounts")
    members = {m.lower() for m in acc.admin_members}
    admins = [
        u
        for u in _with_password(acc)
        if u.admin or u.name.lower() in members or (facts.os_family == "linux" and u.uid == "0")
    ]
    if not admins:
        if not acc.users:
            return unknown(cid, "no local accounts reported by the agent")
        return not_applicable(cid, "no enabled administrator account with a password")
    now = facts.now()
    bad: list[str] = []
    blind: list[str] = []
    for u in admins:
        max_days = u.password_max_age_days
        if max_days is None and facts.os_family == "windows" and not u.password_never_expires:
            max_days = acc.password_max_age_days
        if u.password_never_expires or max_days == 0:
            bad.append(f"{u.name} (never expires)")
        elif max_days is not None and max_days > limit:
            bad.append(f"{u.name} (maximum {max_days:g} days)")
        elif u.password_last_set is not None and now - u.password_last_set > timedelta(days=limit):
            bad.append(f"{u.name} (set {(now - u.password_last_set).days} days ago)")
        elif max_days is None and u.password_last_set is None:
            blind.append(u.name)
    seen = Evidence("accounts.admins", [u.name for u in admins[:MAX_LISTED]])
    if bad:
        return failed(cid, f"admin password age over {limit:g} days: {', '.join(bad)}", seen)
    if blind:
        return unknown(cid, f"password age not reported for: {', '.join(blind)}", seen)
    return passed(cid, f"{len(admins)} admin account(s) within {limit:g} days", seen)


@check(
    "password.hash_storage",
    severity="high",
    title=("Mật khẩu được lưu dạng băm an toàn", "Passwords are stored with a strong hash"),
    rationale=(
        "Thông tin xác thực phải được băm, không lưu dạng giải mã được (TCVN 14423 4.4.2.4); "
        "băm MD5/DES/LM bị bẻ trong vài phút.",
        "Credentials must be hashed, never stored reversibly (TCVN 14423 4.4.2.4); MD5, DES and "
        "LM hashes crack in minutes.",
    ),
    remediation=(
        "Windows: GPO 'Store passwords using reversible encryption' = Disabled và 'Network "
        "security: Do not store LAN Manager hash value on next password change' = Enabled "
        "(HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa NoLMHash=1), rồi đổi mật khẩu. Linux: "
        "ENCRYPT_METHOD YESCRYPT hoặc SHA512 trong /etc/login.defs và pam_unix, rồi đổi mật "
        "khẩu của các tài khoản còn băm $1$ hoặc DES.",
        "Windows: GPO 'Store passwords using reversible encryption' = Disabled and 'Network "
        "security: Do not store LAN Manager hash value on next password change' = Enabled "
        "(HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa NoLMHash=1), then change passwords. "
        "Linux: ENCRYPT_METHOD YESCRYPT or SHA512 in /etc/login.defs and pam_unix, then change "
        "the passwords of accounts still hashed with $1$ or DES.",
    ),
    sections=("accounts",),
)
def hash_storage(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Windows: no reversible encryption, no LM hash; Linux: every set password strongly hashed."""
    cid = "password.hash_storage"
    acc: AccountFacts = facts.section("accounts")
    if facts.os_family == "windows":
        evidence = (
            Evidence("accounts.password_reversible_encryption", acc.password_reversible_encryption),
            Evidence("accounts.lm_hash_disabled", acc.lm_hash_disabled),
        )
        if acc.password_reversible_encryption is True or acc.lm_hash_disabled is False:
            return failed(cid, "reversible encryption on or LM hashes stored", *evidence)
        if acc.password_reversible_encryption is False and acc.lm_hash_disabled is True:
            return passed(cid, "no reversible encryption, no LM hash", *evidence)
        return unknown(cid, "ClearTextPassword/NoLMHash not reported by the agent", *evidence)
    schemes = {u.name: u.password_scheme for u in acc.users if u.password_scheme}
    evidence = (
        Evidence("accounts.users.password_scheme", schemes),
        Evidence("accounts.password_hash_method", acc.password_hash_method),
    )
    weak = sorted(n for n, s in schemes.items() if s.lower() in WEAK_SCHEMES)
    if weak:
        return failed(cid, f"weak password hash for: {', '.join(weak[:MAX_LISTED])}", *evidence)
    if not schemes:
        if acc.users and all(u.password_locked or u.empty_password for u in acc.users):
            return not_applicable(cid, "no account has a password set")
        return unknown(cid, "password hash schemes not reported by the agent", *evidence)
    odd = sorted(n for n, s in schemes.items() if s.lower() not in STRONG_SCHEMES)
    if odd:
        return unknown(cid, f"unrecognised hash scheme for: {', '.join(odd)}", *evidence)
    return passed(cid, f"{len(schemes)} password(s), all strongly hashed", *evidence)
