"""Agent settings: one typed object, read from a TOML file, validated strictly."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

DEFAULT_CONFIG = Path("/etc/canh/agent.toml")
DEFAULT_DATA_DIR = Path("/var/lib/canh-agent")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the problem."""


class AgentSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Settings of the agent (docs/CONFIG.md documents each)."""

    data_dir: str = str(DEFAULT_DATA_DIR)
    # Seconds between delta reports; each wait is jittered by ±10%.
    interval_seconds: Annotated[int, msgspec.Meta(ge=30, le=86400)] = 900
    # Seconds between full reports (every section with its data).
    full_every_seconds: Annotated[int, msgspec.Meta(ge=3600, le=7 * 86400)] = 86400
    # Declared role of this machine; otherwise the OS or a heuristic decides.
    role: Literal["server", "workstation"] | None = None
    # Bounded spool: reports waiting for the collector. Oldest are dropped (and counted) first.
    spool_max_reports: Annotated[int, msgspec.Meta(ge=1, le=100000)] = 2000
    spool_max_bytes: Annotated[int, msgspec.Meta(ge=65536, le=2**34)] = 64 * 1024 * 1024
    # Seconds to wait for the collector on one request.
    request_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0
    # Above this resident memory the agent skips its expensive sections instead of growing.
    memory_ceiling_bytes: Annotated[int, msgspec.Meta(ge=16 * 2**20, le=2**32)] = 48 * 2**20


def load_settings(path: Path | None) -> AgentSettings:
    """Settings from ``path``; defaults when no path is given and the default file is absent."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return AgentSettings()
        path = DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    try:
        return msgspec.convert(raw, AgentSettings)
    except msgspec.ValidationError as err:
        raise ConfigError(f"{path}: {err}") from err
