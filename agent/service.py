"""The agent's composition root: enroll, one round (gather → spool → drain), the loop, status."""

from __future__ import annotations

import base64
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization

from agent import limits
from agent.config import AgentSettings
from agent.gather import gather
from agent.host import Host, LocalHost, os_family
from agent.spool import Spool
from agent.state import AgentState, StateStore
from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from canh.contract import (
    EnrollRequest,
    EnrollResponse,
    IngestResponse,
    encode,
    load_bundle,
)

log = logging.getLogger("canh.agent")
INGEST_PATH = "/api/v1/reports"
ENROLL_PATH = "/api/v1/enroll"


def local_host() -> Host:
    """The machine the agent runs on."""
    return LocalHost(os_family())


def enroll(settings: AgentSettings, bundle_text: str, host: Host | None = None) -> AgentState:
    """Enroll with a one-time token bundle; the collector is pinned from the first request."""
    bundle = load_bundle(bundle_text)
    store = StateStore(Path(settings.data_dir))
    key = store.key()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    host = host or local_host()
    hostname = (host.read_text("/proc/sys/kernel/hostname") or "").strip() or _node_name()
    request = EnrollRequest(
        token=bundle.token,
        public_key=base64.b64encode(public).decode(),
        hostname=hostname[:256],
        hardware_id=_hardware_id(host),
        os_family=host.os_family,  # type: ignore[arg-type]
    )
    collector = Collector(bundle.url, bundle.ca_pem, settings.request_timeout_seconds)
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


def build_report(settings: AgentSettings, store: StateStore, host: Host) -> tuple[int, bytes]:
    """Gather a report, give it the next sequence number, and persist the counter first."""
    state = store.load()
    now = time.time()
    full = state.full_requested or now - state.last_full_at >= settings.full_every_seconds
    seq = state.next_seq
    state.next_seq += 1
    store.save(state)  # a sequence number is never reused, even after a crash
    report = gather(
        host,
        state.agent_id,
        seq,
        previous=None if full else state.acked_hashes,
        skip_expensive=limits.over_ceiling(settings.memory_ceiling_bytes),
    )
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
            break
        except CollectorRefused as err:
            # Refused for good: keeping it would block every later report forever.
            log.error("report %d refused and dropped: %s", seq, err)
            spool.remove(seq)
            state.dropped_reports += 1
            error = str(err)
            continue
        ack = msgspec.json.decode(response.body, type=IngestResponse)
        _remember_ack(state, body, ack)
        spool.remove(seq)
        sent += 1
    state.last_error = error
    if sent:
        state.last_send_at = time.time()
    store.save(state)
    return sent, error


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
    seq, body = build_report(settings, store, host or local_host())
    dropped = spool.put(seq, body)
    if dropped:
        state = store.load()
        state.dropped_reports += dropped
        store.save(state)
    sent, error = drain(settings, store)
    return RoundResult(seq, sent, spool.depth(), dropped, error)


def run(settings: AgentSettings, stop_after: int | None = None) -> None:
    """Gather and send every interval (jittered) until stopped."""
    limits.lower_priority()
    rounds = 0
    backoff = 0
    while stop_after is None or rounds < stop_after:
        result = once(settings)
        rounds += 1
        if result.error:
            backoff = min(backoff + 1, 8)
            log.warning("collector unavailable (%d waiting): %s", result.pending, result.error)
        else:
            backoff = 0
        wait = settings.interval_seconds * random.uniform(0.9, 1.1)  # noqa: S311 - jitter
        if backoff:
            # Exponential backoff with full jitter for the retry, capped at the interval.
            wait = min(wait, random.uniform(0, 30 * 2**backoff))  # noqa: S311
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
    }
