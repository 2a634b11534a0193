"""Remote administration checks (section ``remote_access``): RDP and SSH.

LEVEL2.md L2-SRV-ACL-1 (idle sessions), L2-SRV-ACL-3 (admin sources), L2-SRV-AUTH-4 (root
login), L2-SRV-AUTH-5 (MFA, supporting evidence), L2-SRV-HARD-1 (NLA, SSH crypto).
"""

from __future__ import annotations

from canh.contract.facts import EndpointFacts, FirewallFacts, PortsFacts, RemoteAccessFacts
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
from checks.thresholds import PortSpec, number, ports

SAFE_ROOT_LOGIN = frozenset({"no", "prohibit-password", "without-password", "forced-commands-only"})
ANY_SOURCE = frozenset({"any", "*", "0.0.0.0/0", "::/0", "internet"})
# Weak SSH algorithms (docs/CHECKS-PLAN.md remote.ssh_crypto; RFC 9142 for key exchange).
WEAK_CIPHER_PARTS = ("-cbc", "arcfour", "3des", "blowfish", "cast128")
WEAK_MAC_PARTS = ("hmac-md5", "-96")
WEAK_KEX = frozenset({"diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"})
RDP: PortSpec = ("tcp", 3389)
SSH: PortSpec = ("tcp", 22)


def _remote_state(ra: RemoteAccessFacts) -> tuple[bool | None, bool | None]:
    return ra.rdp_enabled, ra.ssh_running


@check(
    "remote.session_idle_timeout",
    severity="medium",
    title=(
        "Phiên quản trị từ xa nhàn rỗi bị ngắt",
        "Idle remote admin sessions are ended",
    ),
    rationale=(
        "Phiên RDP/SSH bỏ ngỏ là phiên quản trị ai cũng dùng được; TCVN 14423 gợi ý ≤ 5 phút "
        "cho phiên quản trị.",
        "An abandoned RDP/SSH session is an admin session anyone can use; TCVN 14423 suggests "
        "≤ 5 minutes for admin sessions.",
    ),
    remediation=(
        "Windows: GPO Remote Desktop Session Host > Session Time Limits > 'Set time limit for "
        "active but idle Remote Desktop Services sessions' (MaxIdleTime). Linux: đặt "
        "'readonly TMOUT=300; export TMOUT' trong /etc/profile.d/tmout.sh, hoặc ChannelTimeout "
        "session=5m trong sshd_config (OpenSSH 9.2+); ClientAliveInterval không đủ vì chỉ ngắt "
        "kết nối chết.",
        "Windows: GPO Remote Desktop Session Host > Session Time Limits > 'Set time limit for "
        "active but idle Remote Desktop Services sessions' (MaxIdleTime). Linux: put 'readonly "
        "TMOUT=300; export TMOUT' in /etc/profile.d/tmout.sh, or ChannelTimeout session=5m in "
        "sshd_config (OpenSSH 9.2+); ClientAliveInterval is not enough, it only drops dead "
        "connections.",
    ),
    sections=("remote_access",),
    thresholds=("idle_lock_max_seconds_admin",),
    optional=("endpoint",),
)
def session_idle_timeout(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when every enabled remote-login service ends idle sessions within the limit."""
    cid = "remote.session_idle_timeout"
    limit = number(thresholds, "idle_lock_max_seconds_admin")
    ra: RemoteAccessFacts = facts.section("remote_access")
    rdp, ssh = _remote_state(ra)
    if rdp is False and ssh is False:
        return not_applicable(cid, "no remote-login service (RDP, SSH) enabled")
    bad: list[str] = []
    blind: list[str] = []
    evidence: list[Evidence] = []
    if rdp:
        evidence.append(
            Evidence("remote_access.rdp_idle_timeout_seconds", ra.rdp_idle_timeout_seconds)
        )
        if ra.rdp_idle_timeout_seconds is None:
            blind.append("RDP idle limit")
        elif not 0 < ra.rdp_idle_timeout_seconds <= limit:
            bad.append(f"RDP idle limit {ra.rdp_idle_timeout_seconds or 'none'}")
    if ssh:
        ep: EndpointFacts | None = facts.section("endpoint")
        tmout = ep.shell_timeout_seconds if ep is not None else None
        channel = ra.ssh_channel_timeout_seconds
        evidence += [
            Evidence("remote_access.ssh_channel_timeout_seconds", channel),
            Evidence("endpoint.shell_timeout_seconds", tmout),
            Evidence("remote_access.ssh_client_alive_seconds", ra.ssh_client_alive_seconds),
        ]
        good = [v for v in (channel, tmout) if v is not None and 0 < v <= limit]
        if not good:
            if channel is None and tmout is None:
                blind.append("SSH session timeout")
            else:
                bad.append("SSH sessions never time out (keep-alives do not count)")
    if bad:
        return failed(cid, f"{'; '.join(bad)} (limit {limit:g} s)", *evidence)
    if blind or (rdp is None and ssh is None):
        return unknown(cid, f"not reported: {', '.join(blind) or 'RDP/SSH state'}", *evidence)
    return passed(cid, f"idle remote sessions end within {limit:g} s", *evidence)


def _admin_listeners(
    facts: HostFacts, ra: RemoteAccessFacts, admin: frozenset[PortSpec]
) -> set[PortSpec] | None:
    pf: PortsFacts | None = facts.section("ports")
    if pf is not None:
        return {
            p for x in pf.listening if x.scope != "loopback" and (p := (x.proto, x.port)) in admin
        }
    if ra.rdp_enabled is None and ra.ssh_running is None:
        return None
    inferred = {p for p, on in ((RDP, ra.rdp_enabled), (SSH, ra.ssh_running)) if on}
    return inferred & admin


@check(
    "remote.admin_source_restricted",
    severity="critical",
    title=(
        "Cổng quản trị từ xa chỉ nhận kết nối từ nguồn được phép",
        "Remote admin ports accept only approved sources",
    ),
    rationale=(
        "Chỉ địa chỉ được chỉ định mới được quản trị từ xa (TCVN 14423 4.12.2.4 c); RDP/SSH mở "
        "cho mọi nguồn là đường lây lan của mã độc tống tiền.",
        "Only designated addresses may administer remotely (TCVN 14423 4.12.2.4 c); RDP/SSH "
        "open to any source is how ransomware spreads.",
    ),
    remediation=(
        "Windows: giới hạn RemoteAddress của quy tắc vào cho 3389/5985/5986 (Set-NetFirewallRule "
        "-DisplayGroup 'Remote Desktop' -RemoteAddress <mạng quản trị>). Linux: chỉ cho phép "
        "tcp/22 từ mạng quản trị (ufw allow from <mạng> to any port 22; firewalld rich rule; "
        "nftables ip saddr), và AllowUsers user@<mạng> trong sshd_config.",
        "Windows: restrict RemoteAddress of the inbound rules for 3389/5985/5986 "
        "(Set-NetFirewallRule -DisplayGroup 'Remote Desktop' -RemoteAddress <admin subnet>). "
        "Linux: allow tcp/22 only from the admin subnet (ufw allow from <subnet> to any port "
        "22; a firewalld rich rule; nftables ip saddr), and AllowUsers user@<subnet> in "
        "sshd_config.",
    ),
    sections=("remote_access",),
    thresholds=("remote_admin_ports",),
    optional=("ports", "firewall"),
)
def admin_source_restricted(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when an enabled remote-admin port is allowed from any source."""
    cid = "remote.admin_source_restricted"
    admin = ports(thresholds, "remote_admin_ports")
    ra: RemoteAccessFacts = facts.section("remote_access")
    listening = _admin_listeners(facts, ra, admin)
    if listening is None:
        return unknown(cid, "remote-admin listeners not reported by the agent")
    if not listening:
        return not_applicable(cid, "no remote-admin port listens beyond loopback")
    if ra.inbound_admin_rules is None:
        return unknown(cid, "host firewall rules for remote-admin ports not reported by the agent")
    fw: FirewallFacts | None = facts.section("firewall")
    firewall_off = fw is not None and any(p.enabled is False for p in fw.profiles)
    bad: list[str] = []
    seen: list[Evidence] = []
    for proto, port in sorted(listening):
        rules = [r for r in ra.inbound_admin_rules if (r.proto, r.port) == (proto, port)]
        sources = sorted({s for r in rules for s in (r.sources or ["any"])})
        seen.append(
            Evidence(
                "remote_access.inbound_admin_rules", f"{proto}/{port}: {sources or 'no allow rule'}"
            )
        )
        if any(s.lower() in ANY_SOURCE for s in sources):
            bad.append(f"{proto}/{port} open to any source")
        elif not rules and firewall_off:
            bad.append(f"{proto}/{port} listening with the firewall off")
    if bad:
        return failed(cid, "; ".join(bad), *seen)
    return passed(cid, "remote-admin ports limited to approved sources", *seen)


@check(
    "remote.root_login",
    severity="high",
    title=("SSH không cho đăng nhập root trực tiếp", "SSH refuses direct root login"),
    rationale=(
        "Đăng nhập root trực tiếp không truy được người thực hiện và là mục tiêu dò mật khẩu "
        "hàng đầu (TCVN 14423 4.6.2.3).",
        "Direct root login hides who acted and is the top password-guessing target (TCVN 14423 "
        "4.6.2.3).",
    ),
    remediation=(
        "Đặt 'PermitRootLogin no' (hoặc prohibit-password) trong /etc/ssh/sshd_config hoặc "
        "sshd_config.d/, kiểm tra bằng sshd -T | grep permitrootlogin, rồi systemctl reload ssh.",
        "Set 'PermitRootLogin no' (or prohibit-password) in /etc/ssh/sshd_config or "
        "sshd_config.d/, check with sshd -T | grep permitrootlogin, then systemctl reload ssh.",
    ),
    sections=("remote_access",),
    os=("linux",),
)
def root_login(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when sshd's effective PermitRootLogin refuses passwords for root."""
    cid = "remote.root_login"
    ra: RemoteAccessFacts = facts.section("remote_access")
    if ra.ssh_running is False:
        return not_applicable(cid, "no SSH server running")
    value = ra.ssh_permit_root_login
    evidence = Evidence("remote_access.ssh_permit_root_login", value)
    if value is None:
        return unknown(cid, "sshd PermitRootLogin not reported (sshd -T)", evidence)
    if value.strip().lower() in SAFE_ROOT_LOGIN:
        return passed(cid, f"PermitRootLogin {value}", evidence)
    return failed(cid, f"PermitRootLogin {value}", evidence)


@check(
    "remote.rdp_nla",
    severity="high",
    title=("RDP yêu cầu xác thực mức mạng (NLA)", "RDP requires Network Level Authentication"),
    rationale=(
        "Không có NLA, màn hình đăng nhập RDP lộ ra trước khi xác thực, mở đường cho các lỗ hổng "
        "tiền xác thực như BlueKeep.",
        "Without NLA the RDP logon screen is reachable before authentication, opening the way "
        "to pre-auth flaws such as BlueKeep.",
    ),
    remediation=(
        "GPO Remote Desktop Session Host > Security > 'Require user authentication for remote "
        "connections by using Network Level Authentication' = Enabled (UserAuthentication=1), "
        "hoặc tắt RDP nếu không dùng.",
        "GPO Remote Desktop Session Host > Security > 'Require user authentication for remote "
        "connections by using Network Level Authentication' = Enabled (UserAuthentication=1), "
        "or turn RDP off if unused.",
    ),
    sections=("remote_access",),
    os=("windows",),
)
def rdp_nla(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when RDP, if enabled, requires NLA."""
    cid = "remote.rdp_nla"
    ra: RemoteAccessFacts = facts.section("remote_access")
    if ra.rdp_enabled is False:
        return not_applicable(cid, "RDP disabled")
    evidence = Evidence("remote_access.rdp_nla", ra.rdp_nla)
    if ra.rdp_enabled is None:
        return unknown(cid, "RDP state not reported by the agent", evidence)
    if ra.rdp_nla is True:
        return passed(cid, "RDP requires NLA", evidence)
    if ra.rdp_nla is False:
        return failed(cid, "RDP accepts connections without NLA", evidence)
    return unknown(cid, "RDP NLA setting not reported by the agent", evidence)


def _weak(
    items: list[str], parts: tuple[str, ...] = (), exact: frozenset[str] = frozenset()
) -> list[str]:
    return [i for i in items if i.lower() in exact or any(p in i.lower() for p in parts)]


@check(
    "remote.ssh_crypto",
    severity="medium",
    title=("SSH chỉ dùng thuật toán mạnh", "SSH offers only strong algorithms"),
    rationale=(
        "Mã CBC, arcfour, 3DES, MAC MD5/96-bit và trao đổi khóa SHA-1 có điểm yếu đã biết "
        "(RFC 9142); cấu hình an toàn là yêu cầu của TCVN 14423 4.5.2.1.",
        "CBC, arcfour and 3DES ciphers, MD5/96-bit MACs and SHA-1 key exchange have known "
        "weaknesses (RFC 9142); secure configuration is required by TCVN 14423 4.5.2.1.",
    ),
    remediation=(
        "Trong sshd_config đặt Ciphers, MACs và KexAlgorithms chỉ gồm thuật toán hiện đại (ví dụ "
        "chacha20-poly1305@openssh.com, aes256-gcm@openssh.com; hmac-sha2-256-etm@openssh.com; "
        "curve25519-sha256), kiểm tra bằng sshd -T; RHEL: update-crypto-policies --set DEFAULT. "
        "Windows OpenSSH: sửa %ProgramData%\\ssh\\sshd_config tương tự.",
        "In sshd_config set Ciphers, MACs and KexAlgorithms to modern algorithms only (e.g. "
        "chacha20-poly1305@openssh.com, aes256-gcm@openssh.com; hmac-sha2-256-etm@openssh.com; "
        "curve25519-sha256) and check with sshd -T; RHEL: update-crypto-policies --set DEFAULT. "
        "Windows OpenSSH: edit %ProgramData%\\ssh\\sshd_config the same way.",
    ),
    sections=("remote_access",),
)
def ssh_crypto(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Fail when sshd offers a weak cipher, MAC or key exchange."""
    cid = "remote.ssh_crypto"
    ra: RemoteAccessFacts = facts.section("remote_access")
    if ra.ssh_running is False:
        return not_applicable(cid, "no SSH server running")
    if ra.ssh_running is None:
        return unknown(cid, "SSH server state not reported by the agent")
    if not (ra.ssh_ciphers and ra.ssh_macs and ra.ssh_kex):
        return unknown(cid, "sshd ciphers/MACs/key exchanges not reported (sshd -T)")
    weak = (
        _weak(ra.ssh_ciphers, WEAK_CIPHER_PARTS)
        + _weak(ra.ssh_macs, WEAK_MAC_PARTS)
        + _weak(ra.ssh_kex, exact=WEAK_KEX)
    )
    evidence = Evidence("remote_access.ssh_weak_algorithms", weak)
    if weak:
        return failed(cid, f"weak SSH algorithms offered: {', '.join(weak)}", evidence)
    return passed(cid, "only strong SSH algorithms offered", evidence)


@check(
    "remote.mfa_enforced",
    severity="high",
    title=(
        "Đăng nhập quản trị từ xa có xác thực đa yếu tố",
        "Remote admin logon requires a second factor",
    ),
    rationale=(
        "TCVN 14423 yêu cầu xác thực đa yếu tố cho tài khoản quản trị và truy cập từ bên ngoài. "
        "Xác thực đa yếu tố có thể nằm ở VPN hoặc hệ thống định danh, nên kiểm tra này chỉ xác "
        "nhận, không đánh trượt; yêu cầu L2-SRV-AUTH-5 được chấm theo bản khai.",
        "TCVN 14423 requires MFA for admin accounts and outside access. MFA may sit on the VPN "
        "or identity provider, so this check only confirms and never fails; L2-SRV-AUTH-5 is "
        "scored by its declaration.",
    ),
    remediation=(
        "Windows: cài nhà cung cấp xác thực đa yếu tố cho RDP (ví dụ Duo, Microsoft Entra MFA "
        "NPS extension qua RD Gateway). Linux: AuthenticationMethods publickey,keyboard-"
        "interactive trong sshd_config với pam_google_authenticator, pam_oath hoặc pam_u2f "
        "trong /etc/pam.d/sshd.",
        "Windows: install an MFA credential provider for RDP (e.g. Duo, or the Microsoft Entra "
        "MFA NPS extension through RD Gateway). Linux: AuthenticationMethods publickey,keyboard-"
        "interactive in sshd_config with pam_google_authenticator, pam_oath or pam_u2f in "
        "/etc/pam.d/sshd.",
    ),
    sections=("remote_access",),
    supporting=True,
)
def mfa_enforced(facts: HostFacts, thresholds: Thresholds) -> Finding:
    """Pass when a second factor is found on remote logon; unknown (never fail) otherwise."""
    cid = "remote.mfa_enforced"
    ra: RemoteAccessFacts = facts.section("remote_access")
    rdp, ssh = _remote_state(ra)
    if rdp is False and ssh is False:
        return not_applicable(cid, "no remote-login service (RDP, SSH) enabled")
    found: list[str] = []
    methods = ra.ssh_authentication_methods or ""
    if ssh and any("," in m for m in methods.split()):
        found.append(f"sshd AuthenticationMethods {methods}")
    if ssh and ra.ssh_mfa_modules:
        found.append(f"PAM {', '.join(ra.ssh_mfa_modules)}")
    if rdp and ra.mfa_providers:
        found.append(f"MFA provider {', '.join(ra.mfa_providers)}")
    if found:
        return passed(cid, "; ".join(found), Evidence("remote_access.mfa", found))
    return unknown(
        cid, "no second factor seen on the host (it may sit on the VPN or identity provider)"
    )
