"""The agent's composition root: enroll, one round (gather → spool → drain), the loop, status."""

from __future__ import annotations

import base64
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from agent import limits
from agent.config import AgentSettings
from agent.gather import gather
from agent.host import Host, LocalHost, os_family
from agent.spool import Spool, SpoolFull, is_no_space
from agent.state import AgentState, StateStore
from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from canh.contract import (
    Bundle,
    EnrollRequest,
    EnrollResponse,
    IngestResponse,
    encode,
    load_bundle,
)

log = logging.getLogger("canh.agent")
Source = Literal["agent", "ssh"]  # who gathered a report: the agent, or inventory over SSH
INGEST_PATH = "/api/v1/reports"
ENROLL_PATH = "/api/v1/enroll"


def local_host() -> Host:
    """The machine the agent runs on."""
    return LocalHost(os_family())


def enroll(settings: AgentSettings, bundle_text: str, host: Host | None = None) -> AgentState:
    """Enroll with a one-time token bundle; the collector is pinned from the first request."""
    store = StateStore(Path(settings.data_dir))
    return enroll_identity(
        store,
        load_bundle(bundle_text),
        host or local_host(),
        settings.request_timeout_seconds,
        unnamed=_node_name(),
    )


def enroll_identity(
    store: StateStore,
    bundle: Bundle,
    host: Host,
    timeout: float,
    source: Source = "agent",
    unnamed: str = "unknown",
) -> AgentState:
    """Enroll the identity kept in ``store`` (its key pair, made on first use) for ``host``.

    The one enrollment of agents and of agentless hosts (``source="ssh"``, whose hostname and
    machine id are read over SSH); ``unnamed`` is the name sent when the host has none.
    Raises the transport's CollectorRefused / CollectorUnavailable, or ValueError and
    msgspec.DecodeError for an answer that is not an enrollment.
    """
    key = store.key()
    public = key.public_bytes()
    hostname = (host.read_text("/proc/sys/kernel/hostname") or "").strip() or unnamed
    request = EnrollRequest(
        token=bundle.token,
        public_key=base64.b64encode(public).decode(),
        hostname=hostname[:256],
        hardware_id=_hardware_id(host),
        os_family=host.os_family,  # type: ignore[arg-type]
        source=source,
    )
    collector = Collector(bundle.url, bundle.ca_pem, timeout)
    response = collector.request("POST", ENROLL_PATH, msgspec.json.encode(request))
    answer = msgspec.json.decode(response.body, type=EnrollResponse)
    state = AgentState(
        agent_id=answer.agent_id,
        unit_id=answer.unit_id,
        collector_url=bundle.url,
        ca_pem=bundle.ca_pem,
    )
    store.save(state)
    return state


def _node_name() -> str:
    import platform

    return platform.node() or "unknown"


def _hardware_id(host: Host) -> str | None:
    """A stable identity of the machine (reinstall-proof where the firmware gives one)."""
    for path in ("/sys/class/dmi/id/product_uuid", "/etc/machine-id"):
        value = (host.read_text(path) or "").strip()
        if value:
            return value[:128]
    return None


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What one round did."""

    seq: int
    sent: int
    pending: int
    dropped: int
    error: str | None
    retry_after: float = 0.0  # seconds the collector asked us to wait (Retry-After)


class DiskFull(Exception):
    """The agent's state cannot be saved even with the spool emptied."""


def _save(store: StateStore, state: AgentState, spool: Spool) -> None:
    """Persist the state; on a full disk, drop the oldest spooled reports (counted) until it fits.

    The state is what keeps sequence numbers unique, so it wins over old reports."""
    while True:
        try:
            store.save(state)
            return
        except OSError as err:
            if not is_no_space(err):
                raise
            if not spool.drop_oldest():
                raise DiskFull(f"no space left to save {store.state_path}: {err}") from err
            state.dropped_reports += 1
            state.storage_error = _no_space_message(spool, 1)


def _no_space_message(spool: Spool, dropped: int) -> str:
    return (
        f"no space left on the disk of {spool.dir}: dropped the {dropped} oldest waiting "
        "report(s) to keep the newest; free space on that disk"
    )


def build_report(
    settings: AgentSettings,
    store: StateStore,
    host: Host,
    spool: Spool | None = None,
    source: Source = "agent",
) -> tuple[int, bytes]:
    """Gather a report, give it the next sequence number, and persist the counter first.

    Full when due or asked for, delta against the last acknowledged hashes otherwise. Agentless
    hosts use it too (``source="ssh"``).
    """
    state = store.load()
    now = time.time()
    full = state.full_requested or now - state.last_full_at >= settings.full_every_seconds
    seq = state.next_seq
    state.next_seq += 1
    # A sequence number is never reused, even after a crash; on a full disk the oldest spooled
    # reports make room for the counter.
    if spool is None:
        store.save(state)
    else:
        _save(store, state, spool)
    report = gather(
        host,
        state.agent_id,
        seq,
        previous=None if full else state.acked_hashes,
        # The ceiling guards this machine's memory; an SSH host's sections run on that host.
        skip_expensive=source == "agent" and limits.over_ceiling(settings.memory_ceiling_bytes),
    )
    if report.source != source:
        report = msgspec.structs.replace(report, source=source)
    return seq, encode(report)


def drain(settings: AgentSettings, store: StateStore) -> tuple[int, str | None]:
    """Send waiting reports in order until the spool is empty or the collector is away."""
    state = store.load()
    spool = Spool(store.spool_dir, settings.spool_max_reports, settings.spool_max_bytes)
    collector = Collector(state.collector_url, state.ca_pem, settings.request_timeout_seconds)
    key = store.key()
    sent = 0
    error = None
    for seq, body in spool.pending():
        try:
            response = collector.signed(key, state.agent_id, seq, "POST", INGEST_PATH, body)
        except CollectorUnavailable as err:
            error = str(err)
            if err.retry_after:
                state.retry_not_before = time.time() + err.retry_after
            break
        except CollectorRefused as err:
            if err.status == 409:
                # The collector already holds this sequence number: a resend of a report it
                # committed (its answer was lost, or the resend was signed within the same
                # second). Delivered; nothing to keep, nothing lost.
                log.info("report %d was already received: %s", seq, err)
                spool.remove(seq)
                continue
            if err.status == 401:
                # Not this report's fault (the clock, the identity): keep it and every later one
                # until the cause is fixed. The bounded spool limits what is kept.
                error = _refusal_message(err, spool.depth())
                break
            # Refused for good: keeping it would block every later report forever.
            log.error("report %d refused and dropped: %s", seq, err)
            spool.remove(seq)
            state.dropped_reports += 1
            error = str(err)
            continue
        try:
            ack = msgspec.json.decode(response.body, type=IngestResponse)
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            # A 2xx that is not our acknowledgement (a proxy page, a broken collector): keep the
            # report and try again later; the collector answers a resend as a duplicate.
            error = f"the collector's answer is not an acknowledgement: {err}"
            break
        _remember_ack(state, body, ack)
        spool.remove(seq)
        sent += 1
    state.last_error = error
    if sent:
        state.last_send_at = time.time()
    _save(store, state, spool)
    return sent, error


def _refusal_message(err: CollectorRefused, waiting: int) -> str:
    """What the operator reads in ``canh agent status`` when the collector refuses the agent."""
    if err.reason == "clock_skew":
        return (
            f"the collector refused the report because this machine's clock is wrong ({err}). "
            "Fix time synchronisation (systemd-timesyncd, chrony or w32time); "
            f"{waiting} report(s) are kept and will be sent once the clock is right"
        )
    return f"{err}; {waiting} report(s) are kept: re-enroll this agent if it was revoked"


def _remember_ack(state: AgentState, body: bytes, ack: IngestResponse) -> None:
    """After an acknowledgement, the sections it carried in full become the delta baseline."""
    report = msgspec.json.decode(body)
    sections = report.get("sections", {})
    for name, section in sections.items():
        if section and section.get("status") == "ok":
            state.acked_hashes[name] = section["hash"]
    if report.get("kind") == "full":
        state.last_full_at = time.time()
        state.full_requested = False
    if ack.full_requested:
        state.full_requested = True


def once(settings: AgentSettings, host: Host | None = None) -> RoundResult:
    """One round: gather, spool, drain."""
    store = StateStore(Path(settings.data_dir))
    spool = Spool(store.spool_dir, settings.spool_max_reports, settings.spool_max_bytes)
    spool.clean_temporary()
    dropped_before = store.load().dropped_reports
    try:
        seq, body = build_report(settings, store, host or local_host(), spool)
    except DiskFull as err:
        log.error("%s", err)
        return RoundResult(0, 0, spool.depth(), 0, f"report not built: {err}")
    state = store.load()
    storage_error = state.storage_error if state.dropped_reports > dropped_before else None
    try:
        dropped = spool.put(seq, body)
    except SpoolFull as err:
        log.error("report %d dropped: %s", seq, err)
        dropped, storage_error = err.dropped, str(err)
    if spool.no_space_drops:
        storage_error = _no_space_message(spool, spool.no_space_drops)
    if dropped or state.storage_error != storage_error:
        state.dropped_reports += dropped
        state.storage_error = storage_error
        try:
            _save(store, state, spool)
        except DiskFull as err:
            log.error("%s", err)
    try:
        sent, error = drain(settings, store)
    except DiskFull as err:
        log.error("%s", err)
        sent, error = 0, str(err)
    wait = max(0.0, store.load().retry_not_before - time.time())
    return RoundResult(seq, sent, spool.depth(), dropped, error or storage_error, wait)


def run(settings: AgentSettings, stop_after: int | None = None) -> None:
    """Gather and send every interval (jittered) until stopped."""
    limits.lower_priority()
    limits.one_malloc_arena()
    rounds = 0
    backoff = 0
    while stop_after is None or rounds < stop_after:
        result = once(settings)
        rounds += 1
        limits.release_freed_memory()
        if result.error:
            backoff = min(backoff + 1, 8)
            log.warning("collector unavailable (%d waiting): %s", result.pending, result.error)
        else:
            backoff = 0
        wait = settings.interval_seconds * random.uniform(0.9, 1.1)  # noqa: S311 - jitter
        if backoff:
            # Exponential backoff with full jitter for the retry, capped at the interval.
            wait = min(wait, random.uniform(0, 30 * 2**backoff))  # noqa: S311
        # Never sooner than the collector asked (Retry-After when it sheds load or its disk is
        # full), with jitter so shed agents do not all return in the same second.
        wait = max(wait, result.retry_after * random.uniform(1.0, 1.5))  # noqa: S311
        if stop_after is None or rounds < stop_after:
            time.sleep(wait)


def status(settings: AgentSettings) -> dict[str, object]:
    """What ``canh agent status`` prints."""
    store = StateStore(Path(settings.data_dir))
    state = store.load()
    spool = Spool(store.spool_dir, settings.spool_max_reports, settings.spool_max_bytes)
    return {
        "agent_id": state.agent_id,
        "unit_id": state.unit_id,
        "collector": state.collector_url,
        "next_seq": state.next_seq,
        "last_send_at": state.last_send_at or None,
        "last_error": state.last_error,
        "spool_depth": spool.depth(),
        "dropped_reports": state.dropped_reports,
        "storage_error": state.storage_error,
    }
