"""Agentless hosts report like agents: each has its own identity, sequence and spool.

Every SSH host gets a directory under the inventory data directory laid out exactly like an
agent's (``agent.state.StateStore``: Ed25519 key readable by its owner only, ``state.json``,
``spool/``), is enrolled once with a token bundle (``source="ssh"``), and its reports are spooled
and sent with the agent's own code, signed with the host's key. The collector sees one more
host; nothing here imports the collector.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization

from agent.config import AgentSettings
from agent.host import Host
from agent.service import ENROLL_PATH, drain
from agent.spool import Spool
from agent.state import AgentState, NotEnrolled, StateStore
from agent.transport import Collector, CollectorRefused, CollectorUnavailable
from canh.contract import Bundle, EnrollRequest, EnrollResponse, encode
from inventory.credentials import HostSpec
from inventory.errors import InventoryError
from inventory.ssh import SshContext, SshHost, gather_report

DEFAULT_DATA_DIR = Path("/var/lib/canh-inventory")


class CollectorError(InventoryError):
    """The collector refused an enrollment or could not be reached for it."""


@dataclass(frozen=True, slots=True)
class Sent:
    """What one host's round did."""

    agent_id: str
    seq: int
    sent: int
    pending: int
    error: str | None


def host_dir(data_dir: Path, host: str, port: int) -> Path:
    """The identity directory of one SSH host (name made filesystem-safe, port kept apart)."""
    slug = re.sub(r"[^a-z0-9._-]", "_", host.casefold())[:200].lstrip(".") or "_"
    return data_dir / "hosts" / f"{slug}_{port}"


def enroll(store: StateStore, bundle: Bundle, host: Host, timeout: float = 30.0) -> AgentState:
    """Enroll an agentless host: its own key pair, its hostname and machine id read over SSH."""
    key = store.key()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    hostname = (host.read_text("/proc/sys/kernel/hostname") or "").strip()
    machine_id = next(
        (
            value
            for path in ("/sys/class/dmi/id/product_uuid", "/etc/machine-id")
            if (value := (host.read_text(path) or "").strip())
        ),
        None,
    )
    request = EnrollRequest(
        token=bundle.token,
        public_key=base64.b64encode(public).decode(),
        hostname=(hostname or "unknown")[:256],
        hardware_id=machine_id[:128] if machine_id else None,
        os_family="linux",
        source="ssh",
    )
    try:
        collector = Collector(bundle.url, bundle.ca_pem, timeout)
        response = collector.request("POST", ENROLL_PATH, msgspec.json.encode(request))
        answer = msgspec.json.decode(response.body, type=EnrollResponse)
    except (CollectorRefused, CollectorUnavailable, ValueError, msgspec.DecodeError) as err:
        raise CollectorError(f"enrolling {hostname or 'the host'}: {err}") from err
    state = AgentState(
        agent_id=answer.agent_id,
        unit_id=answer.unit_id,
        collector_url=bundle.url,
        ca_pem=bundle.ca_pem,
    )
    store.save(state)
    return state


def build_report(settings: AgentSettings, store: StateStore, host: SshHost) -> tuple[int, bytes]:
    """The next report of an enrolled host; its sequence number is persisted before gathering.

    The agent's ``build_report`` with ``source="ssh"``: full when due or asked for, delta
    against the last acknowledged hashes otherwise.
    """
    state = store.load()
    full = state.full_requested or time.time() - state.last_full_at >= settings.full_every_seconds
    seq = state.next_seq
    state.next_seq += 1
    store.save(state)
    report = gather_report(host, state.agent_id, seq, None if full else state.acked_hashes)
    return seq, encode(report)


def collect_and_send(
    context: SshContext, spec: HostSpec, data_dir: Path, bundle: Bundle | None
) -> Sent:
    """Connect, enroll if needed, gather, spool, then send everything waiting for this host."""
    port = context.credentials.for_host(spec).port
    store = StateStore(host_dir(data_dir, spec.host, port))
    settings = AgentSettings(data_dir=str(store.dir))
    spool = Spool(store.spool_dir, settings.spool_max_reports, settings.spool_max_bytes)
    with context.connect(spec) as host:
        try:
            state = store.load()
        except NotEnrolled:
            if bundle is None:
                raise InventoryError(
                    f"{spec} is not enrolled yet: pass --enroll @bundle.txt (a token with one "
                    "use per new host)"
                ) from None
            state = enroll(store, bundle, host)
        spool.clean_temporary()
        seq, body = build_report(settings, store, host)
    dropped = spool.put(seq, body)
    if dropped:
        state = store.load()
        state.dropped_reports += dropped
        store.save(state)
    sent, error = drain(settings, store)
    return Sent(state.agent_id, seq, sent, spool.depth(), error)
