"""Collector settings: one typed object from ``DATA_DIR/collector.toml``, validated strictly."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

CONFIG_NAME = "collector.toml"
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "admin", "xxx"})


class ConfigError(Exception):
    """Settings that cannot be used; the message names the file and the problem."""


class CollectorSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Settings of the collector (docs/CONFIG.md documents each)."""

    data_dir: str
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8443
    # URL agents use to reach the collector; defaults to https://listen_host:listen_port.
    public_url: str | None = None
    max_report_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 2 * 1024 * 1024
    # Hard cap on any request body, enforced by the server before the application runs (413).
    max_request_bytes: Annotated[int, msgspec.Meta(ge=1024, le=2**30)] = 16 * 1024 * 1024
    # Slow clients (slowloris): request headers must arrive within this many seconds (else 408),
    # and after this grace a body must keep arriving at body_min_rate_bytes per second.
    header_timeout_seconds: Annotated[int, msgspec.Meta(ge=1, le=300)] = 10
    body_min_rate_bytes: Annotated[int, msgspec.Meta(ge=1, le=10 * 1024 * 1024)] = 1000
    max_clock_skew_seconds: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 300
    session_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 12
    # Bearer token Prometheus must present on /metrics; None leaves /metrics open.
    metrics_token: str | None = None
    # An agent is silent after this many seconds without a report.
    silent_after_seconds: Annotated[int, msgspec.Meta(ge=60)] = 3 * 3600
    # Reports committed together by the single writer.
    batch_max: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 256
    # Above this many waiting write jobs, ingest answers 429 with Retry-After (load shedding).
    max_queue_depth: Annotated[int, msgspec.Meta(ge=10, le=1_000_000)] = 5000
    # Change events and report receipts are kept this many days.
    event_retention_days: Annotated[int, msgspec.Meta(ge=7, le=3650)] = 400
    report_retention_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 30
    # Seconds between housekeeping runs (retention, WAL checkpoint).
    maintenance_interval_seconds: Annotated[int, msgspec.Meta(ge=10, le=86400)] = 600
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # --- alerts and their delivery (docs/ALERTS.md) ---
    # Alertmanager base URL; when set, alerts go there (routing, grouping, silences) and the
    # built-in notifier stays off.
    alertmanager_url: str | None = None
    # CA bundle to verify an HTTPS Alertmanager; None uses the system's store.
    alertmanager_ca_file: str | None = None
    # Live alerts are re-posted this often, as Alertmanager expects of a client.
    alertmanager_resend_seconds: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 60
    # SMTP server of the built-in notifier for e-mail contacts; None holds e-mail in the outbox.
    smtp_host: str | None = None
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    smtp_from: str | None = None
    smtp_starttls: bool = True
    smtp_user: str | None = None
    # A file holding the SMTP password, so the secret is neither in this file nor in the logs.
    smtp_password_file: str | None = None
    # Outbox retries: first after this many seconds, doubling up to the cap; never dropped.
    outbox_retry_seconds: Annotated[float, msgspec.Meta(ge=0.1, le=3600)] = 10.0
    outbox_retry_max_seconds: Annotated[float, msgspec.Meta(ge=1, le=86400)] = 3600.0
    # The outbox worker looks for due deliveries at least this often.
    outbox_poll_seconds: Annotated[float, msgspec.Meta(ge=0.05, le=60)] = 1.0
    # Silent agents, forged-report counters and scores are judged this often.
    alert_check_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 60
    # An agent is alerted as silent after silent_after_seconds plus this grace, so an agent that
    # is merely a little late (laptop asleep, spool draining) does not page anyone.
    silent_grace_seconds: Annotated[int, msgspec.Meta(ge=0, le=86400)] = 900
    # A unit's score (0..100) under this alerts; so does a fall of this many points in a day.
    alert_score_below: Annotated[float, msgspec.Meta(ge=0, le=100)] = 70.0
    alert_score_drop_points: Annotated[float, msgspec.Meta(ge=1, le=100)] = 10.0
    # This many forged or replayed requests for one agent within the window raise an alert.
    attack_attempts: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 3
    attack_window_seconds: Annotated[int, msgspec.Meta(ge=60, le=86400)] = 900

    def __post_init__(self) -> None:
        if self.alertmanager_url is not None and not self.alertmanager_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("alertmanager_url must be an http:// or https:// URL")
        if self.smtp_host is not None and not self.smtp_from:
            raise ValueError("smtp_from is required with smtp_host")
        if self.smtp_user is not None and not self.smtp_password_file:
            raise ValueError("smtp_password_file is required with smtp_user")
        if self.metrics_token is not None and (
            self.metrics_token.lower() in PLACEHOLDER_SECRETS or len(self.metrics_token) < 16
        ):
            raise ValueError("metrics_token is a placeholder or shorter than 16 characters")
        if self.max_request_bytes < self.max_report_bytes:
            raise ValueError("max_request_bytes must be at least max_report_bytes")

    @property
    def url(self) -> str:
        """The URL agents are given."""
        return self.public_url or f"https://{self.listen_host}:{self.listen_port}"

    @property
    def path(self) -> Path:
        """The data directory."""
        return Path(self.data_dir)

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.path / "canh.db"


def load_settings(data_dir: Path) -> CollectorSettings:
    """Settings from ``data_dir/collector.toml`` (created by ``canh collector init``)."""
    path = data_dir / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(
            f"{path} not found: run 'canh collector init --data-dir {data_dir}'"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    raw.setdefault("data_dir", str(data_dir))
    try:
        return msgspec.convert(raw, CollectorSettings)
    except msgspec.ValidationError as err:
        raise ConfigError(f"{path}: {err}") from err


def dump_settings(settings: CollectorSettings) -> str:
    """TOML text for a settings object (simple scalars only)."""
    lines = ["# canh collector settings; see docs/CONFIG.md"]
    for name in settings.__struct_fields__:
        value = getattr(settings, name)
        if value is None or name == "data_dir":
            continue
        lines.append(f"{name} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
