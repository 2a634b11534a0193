"""The facts of each report section: declared once, used by agent, SSH path, checks and collector.

Every field that the host could not determine is ``None`` ("unknown"), never a guessed value:
checks turn ``None`` into an *unknown* finding with the reason, never into a pass.
Docstrings of the structs feed the published JSON Schema (docs/report.schema.json).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from canh.contract._types import Count, Days, Name, Port, Text, When

OsFamily = Literal["windows", "linux", "macos"]
Role = Literal["workstation", "server"]
Tristate = bool | None
# Windows lockout durations run to 99999 minutes, beyond ``Days``; -1 means "until an
# administrator unlocks".
Minutes = Annotated[float, msgspec.Meta(ge=-1, le=1_000_000)]
# Why a field of an otherwise readable section is unknown, in words IT staff can act on.
Notes = Annotated[list[Text], msgspec.Meta(max_length=32)]
Names = Annotated[list[Name], msgspec.Meta(max_length=256)]


class SystemFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Identity and operating system of the host."""

    hostname: Name
    fqdn: Name | None = None
    domain: Name | None = None
    domain_joined: Tristate = None
    os_family: OsFamily
    os_name: Name | None = None
    os_version: Name | None = None
    os_build: Name | None = None
    os_id: Name | None = None  # /etc/os-release ID, or "windows"
    kernel: Name | None = None
    arch: Name | None = None
    boot_time: When | None = None
    role: Role | None = None
    role_source: Literal["declared", "os", "heuristic"] | None = None
    timezone: Name | None = None
    os_edition: Name | None = None  # Windows EditionID (Professional, ServerStandard, ...)
    installed_at: When | None = None  # OS install date (Windows InstallDate, Linux / birth)
    # Running services (Windows service names, systemd unit names); None: not gathered.
    services_running: Annotated[list[Name], msgspec.Meta(max_length=2048)] | None = None


class Disk(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A mounted file system or physical disk."""

    device: Name
    mountpoint: Name | None = None
    fstype: Name | None = None
    size_bytes: Count | None = None
    free_bytes: Count | None = None
    kind: Literal["ssd", "hdd", "unknown"] = "unknown"


class HardwareFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Hardware, so IT staff know which machines need upgrading."""

    manufacturer: Name | None = None
    model: Name | None = None
    serial: Name | None = None  # placeholders such as "To be filled by O.E.M." become None
    bios_version: Name | None = None
    cpu_model: Name | None = None
    cpu_cores: Count | None = None
    cpu_threads: Count | None = None
    memory_bytes: Count | None = None
    disks: Annotated[list[Disk], msgspec.Meta(max_length=256)] = []
    chassis: Literal["laptop", "desktop", "server", "virtual", "other"] | None = None


class Address(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One IP address of an interface."""

    address: Name
    prefix: Annotated[int, msgspec.Meta(ge=0, le=128)]
    family: Literal["ipv4", "ipv6"]


class Interface(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A network interface."""

    name: Name
    mac: Name | None = None
    up: Tristate = None
    wireless: Tristate = None
    loopback: bool = False
    addresses: Annotated[list[Address], msgspec.Meta(max_length=256)] = []


class NetworkFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Interfaces, routes and name resolution."""

    interfaces: Annotated[list[Interface], msgspec.Meta(max_length=256)] = []
    gateways: Annotated[list[Name], msgspec.Meta(max_length=64)] = []
    dns_servers: Annotated[list[Name], msgspec.Meta(max_length=64)] = []
    wifi_ssid: Name | None = None


class Listener(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A listening socket."""

    proto: Literal["tcp", "udp"]
    address: Name
    port: Port
    scope: Literal["all", "loopback", "specific"]
    process: Name | None = None
    exe: Text | None = None
    pid: Count | None = None


class PortsFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Listening TCP and UDP sockets."""

    listening: Annotated[list[Listener], msgspec.Meta(max_length=8192)] = []


class Package(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An installed program or package."""

    name: Name
    version: Name | None = None
    publisher: Name | None = None
    source: Literal["dpkg", "rpm", "snap", "flatpak", "registry", "appx", "pkg", "other"]
    arch: Name | None = None


class SoftwareFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Installed software."""

    packages: Annotated[list[Package], msgspec.Meta(max_length=50000)] = []
    notes: Notes = []


class AntivirusProduct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One anti-malware product, normalised across Windows Security Center, Defender and Linux.

    ``enabled``: the engine is running and protecting (service running, Security Center state
    "on"; Defender in passive mode is not enabled). ``signatures_up_to_date`` is the product's own
    verdict, None when it gives none (then use ``signature_age_days``). ``licensed``: True for a
    paid edition, False for a free one (BKAV Home, ClamAV), None when the product does not tell.
    """

    product: Name
    vendor: Name | None = None
    version: Name | None = None
    edition: Name | None = None
    enabled: Tristate = None
    realtime: Tristate = None
    signatures_up_to_date: Tristate = None
    signature_age_days: Days | None = None
    signatures_updated_at: When | None = None
    last_scan: When | None = None
    removable_scan: Tristate = None
    licensed: Tristate = None
    source: Name  # securitycenter2 | defender | service | clamav | mdatp | process
    note: Text | None = None


class AntivirusFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Anti-malware products found on the host (empty list: none found)."""

    products: Annotated[list[AntivirusProduct], msgspec.Meta(max_length=64)] = []
    notes: Notes = []


class PatchFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Update status.

    Pending counts are as fresh as ``last_search_at`` (the agent never refreshes package lists or
    the Windows Update catalogue itself); definition (signature) updates are not counted. On
    Debian and Ubuntu ``pending_total`` counts installed packages with a newer candidate version,
    as ``apt list --upgradable`` does (held packages included); where apt pins force the
    fallback, it counts ``apt-get -s dist-upgrade`` installs and ``notes`` says so.
    """

    last_install_at: When | None = None
    last_search_at: When | None = None
    pending_total: Count | None = None
    pending_security: Count | None = None
    oldest_pending_security_at: When | None = None  # release date of the oldest pending one
    reboot_required: Tristate = None
    reboot_required_since: When | None = None
    os_eol_date: Name | None = None  # ISO date from the EOL table
    os_supported: Tristate = None
    os_licensed: Tristate = None  # Windows activation; None where it does not apply or is unknown
    source: Name | None = None
    notes: Notes = []


class Account(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A local account that can log in (``uid`` is the SID on Windows)."""

    name: Name
    uid: Name | None = None
    enabled: Tristate = None
    admin: Tristate = None
    last_logon: When | None = None
    password_last_set: When | None = None
    password_never_expires: Tristate = None
    password_max_age_days: Days | None = None  # 0: never expires
    password_locked: Tristate = None  # Linux: "!" or "*" hash, key logins may still work
    password_required: Tristate = None  # Windows PasswordRequired
    password_scheme: Name | None = None  # yescrypt, sha512, md5, des, ... never the hash
    empty_password: Tristate = None


class AccountFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Local accounts, password and lockout policy (the effective policy where readable)."""

    users: Annotated[list[Account], msgspec.Meta(max_length=4096)] = []
    admin_members: Names = []  # Administrators (S-1-5-32-544) or sudo/wheel/admin, UID 0
    console_user: Name | None = None
    password_min_length: Count | None = None
    password_min_classes: Count | None = None  # Windows complexity = 3 of 5
    password_complexity: Tristate = None
    password_max_age_days: Days | None = None  # 0: passwords never expire
    password_history: Count | None = None
    password_hash_method: Name | None = None  # Linux login.defs ENCRYPT_METHOD
    password_reversible_encryption: Tristate = None  # Windows ClearTextPassword
    lm_hash_disabled: Tristate = None  # Windows NoLMHash
    lockout_threshold: Count | None = None  # 0 means never lock
    lockout_duration_minutes: Minutes | None = None  # -1: until an administrator unlocks
    lockout_window_minutes: Minutes | None = None
    guest_enabled: Tristate = None
    builtin_admin_enabled: Tristate = None
    sudo_nopasswd: Names = []
    policy_source: Name | None = None
    password_filters: Names | None = None  # Windows LSA password filters beyond the built-ins
    notes: Notes = []


class FirewallProfile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A firewall profile (Windows) or the host firewall as a whole (Linux)."""

    name: Name
    enabled: Tristate = None
    default_inbound: Literal["allow", "block"] | None = None


class FirewallProduct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A third-party firewall registered with Windows Security Center."""

    name: Name
    enabled: Tristate = None


class FirewallFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Host firewall."""

    tool: Name | None = None  # windows-firewall | nftables | iptables | ufw | firewalld
    profiles: Annotated[list[FirewallProfile], msgspec.Meta(max_length=16)] = []
    products: Annotated[list[FirewallProduct], msgspec.Meta(max_length=16)] = []
    notes: Notes = []


class InboundRule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A host-firewall rule allowing inbound traffic to a remote-administration port.

    ``sources``: the allowed remote addresses or subnets; ``["any"]`` when unrestricted.
    """

    proto: Literal["tcp", "udp"]
    port: Port
    sources: Names = []


class RemoteAccessFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Remote administration: RDP and SSH."""

    rdp_enabled: Tristate = None
    rdp_nla: Tristate = None
    rdp_idle_timeout_seconds: Count | None = None  # 0: no limit
    ssh_running: Tristate = None
    ssh_permit_root_login: Name | None = None
    ssh_password_auth: Tristate = None
    ssh_max_auth_tries: Count | None = None
    ssh_client_alive_seconds: Count | None = None  # interval x count max; 0: off
    ssh_channel_timeout_seconds: Count | None = None  # session channels; 0: none
    ssh_authentication_methods: Name | None = None
    ssh_mfa_modules: Names = []  # OTP/U2F PAM modules in /etc/pam.d/sshd
    ssh_listen: Names = []
    ssh_ciphers: Names = []
    ssh_macs: Names = []
    ssh_kex: Names = []
    smb1_enabled: Tristate = None
    autorun_disabled: Tristate = None
    autologon_enabled: Tristate = None
    # Allow rules for remote-admin ports (RDP, WinRM, SSH); None: firewall rules not read.
    inbound_admin_rules: Annotated[list[InboundRule], msgspec.Meta(max_length=512)] | None = None
    mfa_providers: Names | None = None  # Windows MFA credential providers/agents found
    smb_server_present: Tristate = None  # Linux: Samba installed; Windows: LanmanServer
    tls_min_protocol: Name | None = None  # lowest server protocol the OS TLS stack enables
    notes: Notes = []


class AuditSetting(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One Windows advanced audit subcategory; ``guid`` identifies it in every language."""

    subcategory: Name
    guid: Name | None = None
    success: bool = False
    failure: bool = False


class AppLog(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An application log path or glob the unit declared for this host, and what it holds."""

    path: Text
    files: Count = 0
    oldest_at: When | None = None  # mtime of the oldest retained file (rotated ones included)
    newest_at: When | None = None


class LoggingFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Security logging and time synchronisation.

    ``oldest_event_at`` is the oldest event the host still holds (Windows Security log, Linux
    journal or rotated auth/secure/syslog files): its age is the real retention.
    """

    audit_enabled: Tristate = None
    audit_policy: Annotated[list[AuditSetting], msgspec.Meta(max_length=128)] = []
    audit_watched_paths: Names = []  # Linux auditctl -w paths
    security_log_max_bytes: Count | None = None
    oldest_event_at: When | None = None
    persistent: Tristate = None
    forwarding: Tristate = None
    forwarding_targets: Names = []
    time_sync_enabled: Tristate = None
    time_synchronized: Tristate = None
    time_source: Name | None = None
    last_time_sync_at: When | None = None
    # Logon/authentication events in the retained log (Windows 4624/4672, Linux auth.log/secure
    # or journal sshd/login); 0: none written.
    auth_events: Count | None = None
    app_logs: Annotated[list[AppLog], msgspec.Meta(max_length=64)] | None = None
    notes: Notes = []


class Volume(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A volume and its encryption (BitLocker counts only with protection on, not suspended)."""

    name: Name
    mountpoint: Name | None = None
    encrypted: Tristate = None
    method: Name | None = None
    system: bool = False


class EndpointFacts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Screen lock and disk encryption; screen lock applies only where ``desktop`` is True."""

    desktop: Tristate = None
    screen_lock_timeout_seconds: Count | None = None
    screen_lock_enabled: Tristate = None
    shell_timeout_seconds: Count | None = None  # Linux readonly TMOUT for shell sessions
    volumes: Annotated[list[Volume], msgspec.Meta(max_length=256)] = []
    backup_jobs: Count | None = None  # backup jobs found or declared for this host; 0: none
    backup_last_success_at: When | None = None
    notes: Notes = []
