"""Account checks (section ``accounts``): built-in accounts, empty passwords, privileged groups,
sudo NOPASSWD, daily-use admins and inactive accounts. LEVEL2.md L2-SRV-AUTH-4, L2-SRV-ACL-2,
L2-EPT-ADMIN-1, L2-MGT-HR-3."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

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

# Built-in administrator names a rename must move away from (English and localized Windows).
BUILTIN_ADMIN_NAMES = frozenset({"administrator", "administrateur", "administrador", "admin"})
MAX_LISTED = 20


def _sid_suffix(account: Account, rid: str) -> bool:
    return account.uid is not None and account.uid.endswith(f"-{rid}")


def _names(accounts: list[Account]) -> str:
    shown = ", ".join(a.name for a in accounts[:MAX_LISTED])
    return shown + (f" (+{len(accounts) - MAX_LISTED} more)" if len(accounts) > MAX_LISTED else "")


def _admins(acc: AccountFacts) -> set[str]:
    """Members of the privileged groups, lower-cased (group list, else the per-user flag)."""
    members = {m.lower() for m in acc.admin_members}
    members |= {u.name.lower() for u in acc.users if u.admin}
    return members


@lru_cache(maxsize=65536)
def _short(name: str) -> str:
    """``DOMAIN\\user`` or ``user@domain`` → ``user`` (lower case)."""
    return name.rsplit("\\", 1)[-1].split("@", 1)[0].lower()


@check(
    "account.default_admin",
    severity="high",
    title=(
        "Tài khoản quản trị mặc định đã đổi tên hoặc vô hiệu hóa",
        "Built-in administrator renamed or disabled",
    ),
    rationale=(
        "Tài khoản mặc định có tên biết trước là mục tiêu dò mật khẩu đầu tiên (TCVN 14423 "
        "4.6.2.3); trên Linux chỉ root được có UID 0.",
        "Built-in accounts with well-known names are the first password-guessing target (TCVN "
        "14423 4.6.2.3); on Linux only root may have UID 0.",
    ),
    remediation=(
        "Windows: vô hiệu hóa tài khoản Administrator tích hợp (Disable-LocalUser -SID *-500) "
        "hoặc đổi tên qua GPO 'Accounts: Rename administrator account'; dùng tài khoản quản trị "
        "riêng cho từng người. Linux: đổi UID hoặc xóa mọi tài khoản UID 0 ngoài root "
        "(awk -F: '$3==0' /etc/passwd).",
        "Windows: disable the built-in Administrator (Disable-LocalUser -SID *-500) or rename "
        "it with the GPO 'Accounts: Rename administrator account'; give each admin a personal "
        "account. Linux: change the UID of, or remove, every UID-0 account other than root "
        "(awk -F: '$3==0' /etc/passwd).",
    ),
    sections=("accounts",),
)
def default_admin(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Windows: the -500 account is disabled or renamed; Linux: root is the only UID 0."""
    cid = "account.default_admin"
    acc: AccountFacts = facts.section("accounts")
    if facts.os_family == "linux":
        if not acc.users:
            return unknown(cid, "no local accounts reported by the agent")
        zero = [u for u in acc.users if u.uid == "0"]
        others = [u for u in zero if u.name != "root"]
        evidence = Evidence("accounts.users[uid=0]", [u.name for u in zero])
        if others:
            return failed(cid, f"UID 0 besides root: {_names(others)}", evidence)
        return passed(cid, "root is the only UID-0 account", evidence)
    builtin = next((u for u in acc.users if _sid_suffix(u, "500")), None)
    enabled = acc.builtin_admin_enabled
    if builtin is not None and builtin.enabled is not None:
        enabled = builtin.enabled
    evidence = Evidence("accounts.builtin_admin_enabled", enabled)
    if enabled is False:
        return passed(cid, "built-in Administrator is disabled", evidence)
    if builtin is None:
        return unknown(cid, "built-in Administrator (SID -500) not reported by the agent", evidence)
    name = Evidence("accounts.users[-500].name", builtin.name)
    if builtin.name.lower() not in BUILTIN_ADMIN_NAMES:
        return passed(cid, f"built-in Administrator renamed to {builtin.name!r}", evidence, name)
    if enabled is None:
        return unknown(cid, "state of the built-in Administrator not reported", evidence, name)
    return failed(cid, f"built-in {builtin.name!r} is enabled and not renamed", evidence, name)


@check(
    "account.guest_disabled",
    severity="high",
    title=("Tài khoản khách bị vô hiệu hóa", "Guest access is disabled"),
    rationale=(
        "Tài khoản khách cho phép đăng nhập không cần danh tính (TCVN 14423 4.6.2.3).",
        "A guest account lets anyone log on without an identity (TCVN 14423 4.6.2.3).",
    ),
    remediation=(
        "Windows: Disable-LocalUser -Name Guest (GPO 'Accounts: Guest account status' = "
        "Disabled). Linux LightDM: đặt allow-guest=false trong /etc/lightdm/lightdm.conf.d/.",
        "Windows: Disable-LocalUser -Name Guest (GPO 'Accounts: Guest account status' = "
        "Disabled). Linux LightDM: set allow-guest=false in /etc/lightdm/lightdm.conf.d/.",
    ),
    sections=("accounts",),
)
def guest_disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when guest access is off; N/A on Linux without a guest mechanism."""
    cid = "account.guest_disabled"
    acc: AccountFacts = facts.section("accounts")
    state = acc.guest_enabled
    guest = next((u for u in acc.users if _sid_suffix(u, "501")), None)
    if state is None and guest is not None:
        state = guest.enabled
    evidence = Evidence("accounts.guest_enabled", state)
    if state is False:
        return passed(cid, "guest access disabled", evidence)
    if state is True:
        return failed(cid, "guest access enabled", evidence)
    if facts.os_family == "linux":
        return not_applicable(cid, "no guest-session mechanism (LightDM allow-guest) reported")
    return unknown(cid, "guest account state not reported by the agent", evidence)


@check(
    "account.empty_password",
    severity="critical",
    title=("Không tài khoản nào có mật khẩu rỗng", "No account with an empty password"),
    rationale=(
        "Tài khoản mật khẩu rỗng đăng nhập được mà không cần biết gì (TCVN 14423 4.6.2.3).",
        "An account with an empty password can be logged into with no secret at all (TCVN "
        "14423 4.6.2.3).",
    ),
    remediation=(
        "Windows: đặt mật khẩu và bật 'PasswordRequired' (net user <tên> /passwordreq:yes), "
        "hoặc vô hiệu hóa tài khoản. Linux: passwd <tên> hoặc khóa bằng passwd -l <tên>; kiểm "
        "tra bằng passwd -S -a.",
        "Windows: set a password and require one (net user <name> /passwordreq:yes), or "
        "disable the account. Linux: passwd <name>, or lock it with passwd -l <name>; check with "
        "passwd -S -a.",
    ),
    sections=("accounts",),
)
def empty_password(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an enabled account has an empty password (or needs none, on Windows)."""
    cid = "account.empty_password"
    acc: AccountFacts = facts.section("accounts")
    live = [u for u in acc.users if u.enabled is not False]
    if not live:
        return unknown(cid, "no enabled local account reported by the agent")
    bad = [u for u in live if u.empty_password or u.password_required is False]
    if bad:
        return failed(
            cid,
            f"enabled account(s) without a password: {_names(bad)}",
            Evidence("accounts.users.empty_password", [u.name for u in bad[:MAX_LISTED]]),
        )
    if all(u.empty_password is None and u.password_required is None for u in live):
        return unknown(cid, "password state of the accounts not reported by the agent")
    return passed(
        cid,
        f"{len(live)} enabled account(s), none with an empty password",
        Evidence("accounts.users.enabled", [u.name for u in live[:MAX_LISTED]]),
    )


@check(
    "account.privileged_members",
    severity="high",
    title=(
        "Thành viên nhóm quản trị đúng danh sách được duyệt",
        "Privileged group members are all approved",
    ),
    rationale=(
        "Đặc quyền tối thiểu: chỉ người được phê duyệt mới có quyền quản trị, tài khoản dùng "
        "chung phải truy được tới người (LEVEL2.md L2-SRV-ACL-2).",
        "Least privilege: only approved people hold admin rights, and shared accounts must be "
        "traceable to a person (LEVEL2.md L2-SRV-ACL-2).",
    ),
    remediation=(
        "So sánh với danh sách quản trị đã duyệt của đơn vị: Windows: Remove-LocalGroupMember "
        "-SID S-1-5-32-544 -Member <tên>; Linux: gpasswd -d <tên> sudo (hoặc wheel) và bỏ quyền "
        "trong /etc/sudoers.d/. Nếu hợp lệ, bổ sung vào danh sách được duyệt.",
        "Compare with the unit's approved admin list: Windows: Remove-LocalGroupMember -SID "
        "S-1-5-32-544 -Member <name>; Linux: gpasswd -d <name> sudo (or wheel) and remove rules "
        "in /etc/sudoers.d/. If legitimate, add the account to the approved list.",
    ),
    sections=("accounts",),
)
def privileged_members(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a privileged member is not on the unit's approved list."""
    cid = "account.privileged_members"
    approved = facts.unit.approved_admins
    if approved is None:
        return unknown(cid, "the unit has not declared its approved administrators")
    acc: AccountFacts = facts.section("accounts")
    members = _admins(acc)
    if not members:
        return unknown(cid, "privileged group members not reported by the agent")
    allowed = {_short(a) for a in approved} | {a.lower() for a in approved} | {"root"}
    extra = sorted(m for m in members if m not in allowed and _short(m) not in allowed)
    evidence = Evidence("accounts.admin_members", sorted(members)[:MAX_LISTED])
    if extra:
        return failed(cid, f"not approved: {', '.join(extra[:MAX_LISTED])}", evidence)
    return passed(cid, f"{len(members)} privileged member(s), all approved", evidence)


@check(
    "account.sudo_nopasswd",
    severity="high",
    title=("Không có quy tắc sudo NOPASSWD: ALL", "No sudo rule grants ALL without a password"),
    rationale=(
        "NOPASSWD: ALL biến mọi phiên bị chiếm của người dùng đó thành quyền root không cần "
        "mật khẩu.",
        "NOPASSWD: ALL turns any hijacked session of that user into root without a password.",
    ),
    remediation=(
        "Sửa bằng visudo các tệp /etc/sudoers và /etc/sudoers.d/*: bỏ NOPASSWD trên quy tắc "
        "ALL, hoặc giới hạn NOPASSWD cho từng lệnh cụ thể cần tự động hóa.",
        "With visudo, edit /etc/sudoers and /etc/sudoers.d/*: drop NOPASSWD from ALL rules, or "
        "limit NOPASSWD to the specific commands automation needs.",
    ),
    sections=("accounts",),
    os=("linux",),
)
def sudo_nopasswd(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when a sudoers rule grants ALL with NOPASSWD."""
    cid = "account.sudo_nopasswd"
    acc: AccountFacts = facts.section("accounts")
    evidence = Evidence("accounts.sudo_nopasswd", list(acc.sudo_nopasswd))
    if acc.sudo_nopasswd:
        return failed(cid, f"NOPASSWD: ALL for {', '.join(acc.sudo_nopasswd)}", evidence)
    return passed(cid, "no NOPASSWD: ALL rule in sudoers", evidence)


def _recent_users(facts: HostFacts, acc: AccountFacts, days: float) -> list[str]:
    """Accounts used for daily work: the console user, and accounts logged on within ``days``
    other than built-in and approved dedicated admin accounts."""
    since = facts.now() - timedelta(days=days)
    recent = {_short(acc.console_user)} if acc.console_user else set()
    dedicated = _shorts(facts.unit.approved_admins or frozenset())
    for u in acc.users:
        if u.enabled is False or u.last_logon is None or u.last_logon < since:
            continue
        if not (_sid_suffix(u, "500") or u.name == "root" or _short(u.name) in dedicated):
            recent.add(u.name.lower())
    return sorted(recent)


@lru_cache(maxsize=1024)
def _shorts(names: frozenset[str]) -> frozenset[str]:
    return frozenset(_short(n) for n in names)


@check(
    "account.user_not_admin",
    severity="high",
    title=(
        "Người dùng hằng ngày không có quyền quản trị",
        "Daily-use accounts are not administrators",
    ),
    rationale=(
        "Người dùng làm việc với quyền quản trị khiến mọi mã độc họ mở chạy với toàn quyền "
        "(TCVN 14423 4.6.2.4).",
        "Working as an administrator gives any malware the user opens full control (TCVN 14423 "
        "4.6.2.4).",
    ),
    remediation=(
        "Tạo tài khoản quản trị riêng để cài đặt; bỏ tài khoản làm việc khỏi nhóm quản trị. "
        "Windows: Remove-LocalGroupMember -SID S-1-5-32-544 -Member <tên>; Linux: gpasswd -d "
        "<tên> sudo. Ngoại lệ phải được phê duyệt và khai báo.",
        "Use a separate admin account for installs and take the daily account out of the admin "
        "group. Windows: Remove-LocalGroupMember -SID S-1-5-32-544 -Member <name>; Linux: "
        "gpasswd -d <name> sudo. Exceptions must be approved and declared.",
    ),
    sections=("accounts",),
    thresholds=("inactive_account_disable_days",),
)
def user_not_admin(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an account used recently (within inactive_account_disable_days) is an admin."""
    cid = "account.user_not_admin"
    days = number(thresholds, "inactive_account_disable_days")
    acc: AccountFacts = facts.section("accounts")
    daily = _recent_users(facts, acc, days)
    if not daily:
        return unknown(cid, "no console user or recent logon reported by the agent")
    admins = {_short(m) for m in _admins(acc)}
    exceptions = _shorts(facts.unit.admin_exceptions)
    bad = [u for u in daily if _short(u) in admins and _short(u) not in exceptions]
    evidence = Evidence("accounts.daily_users", daily[:MAX_LISTED])
    if bad:
        return failed(cid, f"daily-use admin account(s): {', '.join(bad)}", evidence)
    return passed(cid, f"{len(daily)} daily-use account(s), none an unapproved admin", evidence)


@check(
    "account.inactive_disabled",
    severity="medium",
    title=(
        "Tài khoản không sử dụng quá hạn bị vô hiệu hóa",
        "Unused accounts are disabled",
    ),
    rationale=(
        "TCVN 14423 yêu cầu vô hiệu hóa tài khoản không dùng quá 45 ngày; tài khoản bỏ quên là "
        "cửa hậu.",
        "TCVN 14423 requires disabling accounts unused for 45 days; forgotten accounts are back "
        "doors.",
    ),
    remediation=(
        "Windows: Disable-LocalUser <tên> (miền: Search-ADAccount -AccountInactive -TimeSpan "
        "45.00:00:00 | Disable-ADAccount). Linux: usermod -L -e 1 <tên>, và đặt INACTIVE trong "
        "useradd -D.",
        "Windows: Disable-LocalUser <name> (domain: Search-ADAccount -AccountInactive -TimeSpan "
        "45.00:00:00 | Disable-ADAccount). Linux: usermod -L -e 1 <name>, and set INACTIVE with "
        "useradd -D.",
    ),
    sections=("accounts",),
    thresholds=("inactive_account_disable_days",),
)
def inactive_disabled(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an enabled account's last use is older than the pack's limit."""
    cid = "account.inactive_disabled"
    days = number(thresholds, "inactive_account_disable_days")
    acc: AccountFacts = facts.section("accounts")
    if not acc.users:
        return unknown(cid, "no local accounts reported by the agent")
    live = [u for u in acc.users if u.enabled is not False and u.password_locked is not True]
    if not live:
        return passed(cid, "no enabled account that can log in with a password")
    now = facts.now()
    stale: list[Account] = []
    blind: list[Account] = []
    for u in live:
        last = u.last_logon or u.password_last_set  # never logged on: age from the password
        if last is None:
            blind.append(u)
        elif now - last > timedelta(days=days):
            stale.append(u)
    if stale:
        return failed(
            cid,
            f"unused for more than {days:g} days but enabled: {_names(stale)}",
            Evidence("accounts.users.last_logon", [u.name for u in stale[:MAX_LISTED]]),
        )
    if blind:
        return unknown(cid, f"last logon not reported for: {_names(blind)}")
    return passed(
        cid,
        f"{len(live)} enabled account(s) used within {days:g} days",
        Evidence("accounts.users.last_logon", {u.name: u.last_logon for u in live[:MAX_LISTED]}),
    )
