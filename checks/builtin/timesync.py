"""Time synchronisation (section ``logging``, ``time_*`` fields). LEVEL2.md L2-SRV-LOG-3."""

from __future__ import annotations

from canh.contract.facts import LoggingFacts
from checks.model import Evidence, Finding, HostFacts, Thresholds, failed, passed, unknown
from checks.registry import check
from checks.thresholds import number

# w32tm sources that mean "no time server" (w32tm /query /status, Source).
LOCAL_CLOCKS = (
    "local cmos clock",
    "free-running system clock",
    "vm ic time synchronization provider",
)


@check(
    "timesync.synced",
    severity="medium",
    title=("Đồng bộ thời gian với máy chủ thời gian", "The clock syncs with a time server"),
    rationale=(
        "Nhật ký chỉ đối chiếu được khi đồng hồ các máy khớp nhau (TCVN 14423 4.8.2.1).",
        "Logs can be correlated only when clocks agree (TCVN 14423 4.8.2.1).",
    ),
    remediation=(
        "Windows: w32tm /config /manualpeerlist:<máy chủ NTP> /syncfromflags:manual /update "
        "(máy trong miền: /syncfromflags:domhier), rồi w32tm /resync. Linux: timedatectl "
        "set-ntp true; cấu hình server trong /etc/chrony/chrony.conf hoặc "
        "/etc/systemd/timesyncd.conf.",
        "Windows: w32tm /config /manualpeerlist:<NTP server> /syncfromflags:manual /update "
        "(domain members: /syncfromflags:domhier), then w32tm /resync. Linux: timedatectl "
        "set-ntp true; set the servers in /etc/chrony/chrony.conf or "
        "/etc/systemd/timesyncd.conf.",
    ),
    sections=("logging",),
    thresholds=("time_sync_max_age_seconds",),
)
def synced(facts: HostFacts, thresholds: Thresholds) -> Finding:  # noqa: PLR0911 - one return per verdict reads clearer
    """Pass when synced from a time server within the pack's window."""
    cid = "timesync.synced"
    limit = number(thresholds, "time_sync_max_age_seconds")
    lg: LoggingFacts = facts.section("logging")
    source = Evidence("logging.time_source", lg.time_source)
    if lg.time_sync_enabled is False:
        return failed(cid, "time synchronisation is off", source)
    if lg.time_source is not None and lg.time_source.strip().lower() in LOCAL_CLOCKS:
        return failed(cid, f"time source is {lg.time_source!r}, not a time server", source)
    if lg.last_time_sync_at is not None:
        age = (facts.now() - lg.last_time_sync_at).total_seconds()
        last = Evidence("logging.last_time_sync_at", lg.last_time_sync_at)
        if age <= limit:
            return passed(cid, f"last sync {age:.0f} s ago", source, last)
        return failed(cid, f"last sync {age:.0f} s ago, limit {limit:g} s", source, last)
    synced_flag = Evidence("logging.time_synchronized", lg.time_synchronized)
    if lg.time_synchronized is True:
        return passed(
            cid, "clock reports synchronised (last sync time unknown)", source, synced_flag
        )
    if lg.time_synchronized is False:
        return failed(cid, "clock not synchronised", source, synced_flag)
    return unknown(cid, "time synchronisation state not reported by the agent", source)
