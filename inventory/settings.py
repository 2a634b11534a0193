"""Settings of discovery and SSH collection: typed, bounded, passed explicitly (no globals)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from inventory.rate import MAX_RATE
from inventory.targets import DEFAULT_MAX_ADDRESSES, MAX_MAX_ADDRESSES


class ScanSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How a scan behaves; the targets themselves are passed separately, never defaulted."""

    # Packets per second over the whole scan, every phase and thread together.
    rate_pps: Annotated[float, msgspec.Meta(gt=0, le=MAX_RATE)] = 1000.0
    # Refuse scans of more addresses than this (default: a /16).
    max_addresses: Annotated[int, msgspec.Meta(ge=1, le=MAX_MAX_ADDRESSES)] = DEFAULT_MAX_ADDRESSES
    # Seconds to wait for answers after the last packet of a batch.
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=30)] = 0.5
    # Extra rounds for probes that got no answer (lost packets on a busy LAN).
    retries: Annotated[int, msgspec.Meta(ge=0, le=3)] = 1
    # Connect to open TCP ports and keep the first bytes they send.
    banner: bool = False
    banner_bytes: Annotated[int, msgspec.Meta(ge=16, le=4096)] = 256
    banner_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=10)] = 2.0
    # Reverse DNS of each device found, each lookup bounded by this timeout.
    reverse_dns: bool = True
    dns_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=10)] = 1.0
    # The interface for the local segment; by default the route to each target decides.
    iface: str | None = None
    # Addresses per probe batch; bounds memory on large scans (answers are matched in memory
    # until the batch ends).
    batch_size: Annotated[int, msgspec.Meta(ge=16, le=65536)] = 4096


class SshSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Timeouts and limits of agentless SSH collection."""

    connect_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=120)] = 10.0
    auth_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=120)] = 15.0
    # Default per command; a fact module may ask for less.
    command_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 30.0
    max_output_bytes: Annotated[int, msgspec.Meta(ge=1024, le=256 * 1024 * 1024)] = 16 * 1024 * 1024
    max_file_bytes: Annotated[int, msgspec.Meta(ge=1024, le=256 * 1024 * 1024)] = 4 * 1024 * 1024
    # Hosts collected at once; one slow host never holds up the others beyond its own timeouts.
    parallel: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    # A pinned key may be accepted on first use only when this is set (``--accept-new``).
    accept_new: bool = False
