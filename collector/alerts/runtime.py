"""Starting and stopping alerting with the app (``create_app``'s lifespan calls these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from collector.alerts.delivery import Notifier, Outbox
from collector.alerts.engine import AlertWatch

if TYPE_CHECKING:
    from collector.services import Services


@dataclass
class Running:
    """The alert timer and the outbox worker of one collector process."""

    watch: AlertWatch | None = None
    outbox: Outbox | None = None

    def stop(self) -> None:
        """Stop both threads (the outbox finishes the send in progress)."""
        if self.watch is not None:
            self.watch.stop()
        if self.outbox is not None:
            self.outbox.stop()


def start_alerting(svc: Services) -> Running:
    """Start the timer and the outbox worker; the built-in notifier only without Alertmanager."""
    alerting = svc.alerts
    if alerting is None:
        return Running()
    settings = svc.settings
    notifier = None if settings.alertmanager_url else Notifier(settings)
    watch = AlertWatch(alerting, svc.store, svc.stats, settings.alert_check_seconds)
    outbox = Outbox(svc.store, settings, alerting.deliveries, alerting.wake, notifier)
    watch.start()
    outbox.start()
    return Running(watch, outbox)
