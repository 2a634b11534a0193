"""The outbox worker: delivers incident transitions exactly once, with retries and backoff.

1. A transition commits with a ``route`` row in ``outbox`` (``incidents.enqueue``).
2. The worker expands each route into one row per recipient in one write job: Alertmanager when
   ``alertmanager_url`` is set, otherwise the unit's contacts (or the nearest ancestor's) — e-mail
   through SMTP and webhooks or chat through apprise. The rows' ``dedup_key`` is unique, so an
   expansion that runs twice adds nothing.
3. Due rows are sent; a success marks the row delivered, a failure counts an attempt and waits
   ``outbox_retry_seconds × 2^(attempts-1)`` (capped). Nothing is ever dropped: a channel that is
   down holds its rows until it returns. The only gap is a crash between a send and its commit,
   which resends once; webhooks get the dedup key as ``X-Canh-Dedup-Key`` to drop that copy, and
   Alertmanager merges alerts with equal labels anyway.
4. With Alertmanager, every live incident is re-posted every ``alertmanager_resend_seconds`` as a
   client must (its ``endsAt`` lies four periods ahead), so an Alertmanager restart loses nothing.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from collector.alerts.engine import DeliveryStats
from collector.alerts.messages import alertmanager_alert, notification, payload
from collector.settings import PLACEHOLDER_SECRETS, CollectorSettings, ConfigError
from collector.store import Store

log = logging.getLogger("canh.collector.delivery")
BATCH = 200  # outbox rows handled per round
AM_CHUNK = 500  # alerts per Alertmanager POST
ENDS_AFTER_PERIODS = 4  # as Prometheus: a live alert ends 4 resend periods after its last post


class DeliveryError(Exception):
    """A channel did not take the message; the text is safe to store and log (no secrets)."""


def _apprise() -> ModuleType:
    """apprise, with its plugins loaded once.

    Its PGP helper imports the standard library's deprecated ``imghdr`` while loading plugins;
    that warning is apprise's to fix and must not turn a delivery into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise
        from apprise.plugins import N_MGR

        N_MGR.load_modules()  # type: ignore[no-untyped-call]  # apprise leaves it unannotated
    return apprise


class Alertmanager:
    """``POST /api/v2/alerts`` of one Alertmanager."""

    def __init__(self, url: str, ca_file: str | None = None, timeout: float = 10) -> None:
        self.endpoint = url.rstrip("/") + "/api/v2/alerts"
        self.timeout = timeout
        self.context = (
            ssl.create_default_context(cafile=ca_file) if url.startswith("https") else None
        )

    def post(self, alerts: list[dict[str, Any]]) -> None:
        """Send alerts; raise DeliveryError when Alertmanager does not take them."""
        request = urllib.request.Request(  # noqa: S310 - scheme checked in settings (http/https)
            self.endpoint,
            data=json.dumps(alerts, ensure_ascii=False).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context):  # noqa: S310 - as above
                pass
        except urllib.error.HTTPError as err:
            raise DeliveryError(f"alertmanager answered {err.code}") from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise DeliveryError(f"alertmanager unreachable: {reason}") from err


def classify(contact: str) -> tuple[str, str] | None:
    """A unit contact as (channel, target): e-mail address or https webhook (API-validated)."""
    contact = contact.strip()
    if contact.startswith("https://"):
        return "webhook", contact
    address = contact.removeprefix("mailto:")
    if "@" in address and "/" not in address:
        return "email", address
    return None


class Notifier:
    """The built-in notifier: apprise builds and sends e-mail, webhook and chat messages."""

    def __init__(self, settings: CollectorSettings) -> None:
        self.settings = settings
        self._password: str | None = None
        if settings.smtp_host and settings.smtp_user:
            self._password = read_secret(settings.smtp_password_file, "smtp_password_file")
        self.apprise = _apprise()

    def _email_url(self, to: str) -> str:
        s = self.settings
        if not s.smtp_host or not s.smtp_from:
            raise DeliveryError("e-mail contact but smtp_host/smtp_from are not configured")
        quote = urllib.parse.quote
        auth = ""
        if s.smtp_user:
            auth = f"{quote(s.smtp_user, safe='')}:{quote(self._password or '', safe='')}@"
        query = urllib.parse.urlencode(
            {
                "from": s.smtp_from,
                "to": to,
                "mode": "starttls" if s.smtp_starttls else "insecure",
                "smtp": s.smtp_host,
            }
        )
        scheme = "mailtos" if s.smtp_starttls else "mailto"
        return f"{scheme}://{auth}{s.smtp_host}:{s.smtp_port}?{query}"

    def _webhook_url(self, target: str, dedup_key: str) -> str:
        """A chat service apprise knows by its https URL (Slack, Discord, Teams, Mattermost …)
        goes as it is; any other https URL gets apprise's generic JSON webhook."""
        probe = self.apprise.Apprise()
        if probe.add(target):
            return target
        parts = urllib.parse.urlsplit(target)
        header = urllib.parse.urlencode({"+X-Canh-Dedup-Key": dedup_key})
        query = f"{parts.query}&{header}" if parts.query else header
        return f"jsons://{parts.netloc}{parts.path}?{query}"

    def send(self, channel: str, target: str, msg: Mapping[str, Any], dedup_key: str) -> None:
        """Deliver one message; raise DeliveryError on any failure."""
        if channel == "email":
            url = self._email_url(target)
        elif channel == "webhook":
            url = self._webhook_url(target, dedup_key)
        else:
            raise DeliveryError(f"unknown channel {channel}")
        title, body = notification(msg)
        sender = self.apprise.Apprise()
        if not sender.add(url):
            raise DeliveryError(f"{channel} target not usable by apprise")
        severity = msg.get("severity")
        kind = "failure" if severity == "critical" else "warning"
        if msg.get("transition") == "resolved":
            kind = "success"
        if not sender.notify(title=title, body=body, notify_type=kind):
            raise DeliveryError(f"{channel} delivery failed (see the collector log)")


def read_secret(path: str | None, name: str) -> str:
    """A secret from a file; refuses a missing, empty or placeholder one."""
    if not path:
        raise ConfigError(f"{name} is required when a user is set")
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConfigError(f"{name}: cannot read {path}: {err.strerror}") from err
    if not value or value.lower() in PLACEHOLDER_SECRETS:
        raise ConfigError(f"{name}: {path} holds an empty or placeholder secret")
    return value


def recipients(conn: Any, unit_id: str) -> list[tuple[str, str]]:
    """The unit's contacts, or the nearest ancestor's when the unit has none."""
    current: str | None = unit_id
    seen: set[str] = set()
    while current and current not in seen:
        seen.add(current)
        row = conn.execute("SELECT contacts, parent_id FROM units WHERE id = ?", (current,))
        found = row.fetchone()
        if found is None:
            return []
        contacts = [c for c in (classify(x) for x in json.loads(found[0] or "[]")) if c]
        if contacts:
            return contacts
        current = found[1]
    return []


class Outbox:
    """The delivery worker thread."""

    def __init__(
        self,
        store: Store,
        settings: CollectorSettings,
        stats: DeliveryStats,
        wake: threading.Event,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.stats = stats
        self.wake = wake
        self.notifier = notifier
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_repost = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="canh-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                if self.settings.alertmanager_url and time.time() >= self._next_repost:
                    self.repost()
                    self._next_repost = time.time() + self.settings.alertmanager_resend_seconds
            except Exception:
                log.exception("outbox round failed; will retry")
            self.wake.wait(self.settings.outbox_poll_seconds)
            self.wake.clear()

    # --- one round ---------------------------------------------------------------------------

    def run_once(self, now: float | None = None) -> int:
        """Expand due routes and send due messages; returns how many rows were handled."""
        now = time.time() if now is None else now
        routes = self.store.query(
            "SELECT id, incident_id, payload, dedup_key FROM outbox WHERE channel = 'route' "
            "AND delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (now, BATCH),
        )
        if routes:
            self.store.writer.call(lambda conn: self._expand(conn, routes, now))
        due = self.store.query(
            "SELECT id, channel, target, payload, dedup_key, attempts FROM outbox "
            "WHERE channel != 'route' AND delivered_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (now, BATCH),
        )
        if not due:
            return len(routes)
        results = self._send(due)
        self.store.writer.call(lambda conn: self._mark(conn, due, results, time.time()))
        return len(routes) + len(due)

    def _expand(self, conn: Any, routes: list[dict[str, Any]], now: float) -> None:
        am = self.settings.alertmanager_url
        for route in routes:
            msg = json.loads(route["payload"])
            targets = [("alertmanager", am)] if am else recipients(conn, msg["unit_id"])
            for channel, target in targets:
                conn.execute(
                    "INSERT OR IGNORE INTO outbox (incident_id, channel, target, payload, "
                    "dedup_key, next_attempt_at) VALUES (?,?,?,?,?,?)",
                    (
                        route["incident_id"],
                        channel,
                        target,
                        route["payload"],
                        f"{route['dedup_key']}|{channel}|{target}",
                        now,
                    ),
                )
            error = None if targets else "no recipient: set the unit's contacts or alertmanager_url"
            if error:
                self.stats.count("route", "no_recipient")
            conn.execute(
                "UPDATE outbox SET delivered_at = ?, last_error = ? WHERE id = ?",
                (now, error, route["id"]),
            )

    def _send(self, due: list[dict[str, Any]]) -> dict[int, str | None]:
        """Send each due row; returns row id → error (None: delivered)."""
        results: dict[int, str | None] = {}
        by_am: dict[str, list[dict[str, Any]]] = {}
        for row in due:
            if row["channel"] == "alertmanager":
                by_am.setdefault(row["target"], []).append(row)
                continue
            try:
                if self.notifier is None:
                    raise DeliveryError("built-in notifier not running")
                self.notifier.send(
                    row["channel"], row["target"], json.loads(row["payload"]), row["dedup_key"]
                )
                results[row["id"]] = None
            except DeliveryError as err:
                results[row["id"]] = str(err)
        for target, rows in by_am.items():
            now = time.time()
            alerts = [
                alertmanager_alert(json.loads(r["payload"]), now, self._ends_in()) for r in rows
            ]
            try:
                Alertmanager(target, self.settings.alertmanager_ca_file).post(alerts)
                error = None
            except DeliveryError as err:
                error = str(err)
            results.update({r["id"]: error for r in rows})
        for row in due:
            outcome = "delivered" if results[row["id"]] is None else "failed"
            self.stats.count(row["channel"], outcome)
            if outcome == "failed":
                log.warning(
                    "delivery of %s to %s failed (attempt %d): %s",
                    row["dedup_key"].split("|")[0],
                    row["channel"],
                    row["attempts"] + 1,
                    results[row["id"]],
                )
        return results

    def _mark(
        self, conn: Any, due: list[dict[str, Any]], results: Mapping[int, str | None], now: float
    ) -> None:
        base, cap = self.settings.outbox_retry_seconds, self.settings.outbox_retry_max_seconds
        for row in due:
            error = results[row["id"]]
            if error is None:
                conn.execute(
                    "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                    "last_error = NULL WHERE id = ?",
                    (now, row["id"]),
                )
            else:
                delay = min(base * 2 ** row["attempts"], cap)
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                    (error[:500], now + delay, row["id"]),
                )

    def _ends_in(self) -> float:
        return ENDS_AFTER_PERIODS * self.settings.alertmanager_resend_seconds

    def repost(self) -> int:
        """Post every live incident to Alertmanager again; returns how many."""
        url = self.settings.alertmanager_url
        if not url:
            return 0
        rows = self.store.query(
            "SELECT id, fingerprint, unit_id, host_id, kind, severity, requirement_id, detail, "
            "serious, opened_at, resolved_at, notice_due_at, report_due_at FROM incidents "
            "WHERE status != 'resolved' ORDER BY id"
        )
        now = time.time()
        alerts = [
            alertmanager_alert(payload(r, json.loads(r["detail"]), "firing"), now, self._ends_in())
            for r in rows
        ]
        sender = Alertmanager(url, self.settings.alertmanager_ca_file)
        for start in range(0, len(alerts), AM_CHUNK):
            try:
                sender.post(alerts[start : start + AM_CHUNK])
            except DeliveryError as err:
                self.stats.count("alertmanager", "resend_failed")
                log.warning("re-posting live alerts failed: %s", err)
                return 0
        if alerts:
            self.stats.count("alertmanager", "resent", len(alerts))
        return len(alerts)
