"""The agent's durable identity and progress: key pair, agent id, sequence counter, hashes.

Writes are atomic (temporary file, fsync, rename), so a crash or ``kill -9`` leaves either the old
state or the new, never a torn file. The private key file is readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec

from canh.atomicfile import write_atomic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class NotEnrolled(Exception):
    """The agent has no identity yet: run ``canh agent enroll`` first."""


class AgentState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the agent remembers between runs."""

    agent_id: str
    unit_id: str
    collector_url: str
    ca_pem: str
    next_seq: Annotated[int, msgspec.Meta(ge=1)] = 1
    acked_hashes: dict[str, str] = {}
    last_full_at: float = 0.0
    last_send_at: float = 0.0
    last_error: str | None = None
    dropped_reports: int = 0
    full_requested: bool = False
    # Why the last round could not keep every report on disk (a full disk), if it could not.
    storage_error: str | None = None
    # The collector asked for no retry before this time (Retry-After on 429/503).
    retry_not_before: float = 0.0


class StateStore:
    """The files under the agent's data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.key_path = data_dir / "agent.key"
        self.state_path = data_dir / "state.json"
        self.spool_dir = data_dir / "spool"

    def ensure_dirs(self) -> None:
        """Create the data directory, private to the agent's account."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.spool_dir.mkdir(mode=0o700, exist_ok=True)

    def key(self) -> Ed25519PrivateKey:
        """The agent's private key, created on first use."""
        # Imported here: gathering (and dry runs) never need the cryptography stack.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.ensure_dirs()
        if self.key_path.exists():
            loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise NotEnrolled(f"{self.key_path} is not an Ed25519 key")
            return loaded
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_atomic(self.key_path, pem, 0o600)
        return key

    def load(self) -> AgentState:
        """The saved state; :class:`NotEnrolled` when there is none."""
        try:
            return msgspec.json.decode(self.state_path.read_bytes(), type=AgentState)
        except FileNotFoundError as err:
            raise NotEnrolled(
                f"no agent identity in {self.dir}: run 'canh agent enroll BUNDLE' first"
            ) from err
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise NotEnrolled(f"{self.state_path} is damaged ({err}); enroll again") from err

    def save(self, state: AgentState) -> None:
        """Persist the state atomically."""
        self.ensure_dirs()
        write_atomic(self.state_path, msgspec.json.encode(state))
