"""Agentless hosts report like agents: each has its own identity, sequence and spool.

Every SSH host gets a directory under the inventory data directory laid out exactly like an
agent's (``agent.state.StateStore``: Ed25519 key readable by its owner only, ``state.json``,
``spool/``), is enrolled once with a token bundle (``source="ssh"``), and its reports are spooled
and sent with the agent's own code, signed with the host's key. The collector sees one more
host; nothing here imports the collector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import msgspec

from agent.config import AgentSettings
from agent.service import build_report, drain, enroll_identity
from agent.spool import Spool
from agent.state import AgentState, NotEnrolled, StateStore
from agent.transport import CollectorRefused, CollectorUnavailable
from canh.contract import Bundle
from inventory.credentials import HostSpec
from inventory.errors import InventoryError
from inventory.ssh import SshContext, SshHost

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


def enroll(store: StateStore, bundle: Bundle, host: SshHost, timeout: float = 30.0) -> AgentState:
    """Enroll an agentless host (``agent.service.enroll_identity`` with ``source="ssh"``)."""
    try:
        return enroll_identity(store, bundle, host, timeout, source="ssh")
    except (CollectorRefused, CollectorUnavailable, ValueError, msgspec.DecodeError) as err:
        raise CollectorError(f"enrolling {host.label}: {err}") from err


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
        seq, body = build_report(settings, store, host, source="ssh")
    dropped = spool.put(seq, body)
    if dropped:
        state = store.load()
        state.dropped_reports += dropped
        store.save(state)
    sent, error = drain(settings, store)
    return Sent(state.agent_id, seq, sent, spool.depth(), error)
