"""Alerts as events, incidents with legal deadlines, and their delivery (issue 6, docs/ALERTS.md).

- ``rules`` (pure) decides which alerts are active from facts, scores and counters;
- ``incidents`` opens, acknowledges and resolves them with history and a delivery intent;
- ``engine`` runs the rules after each ingest batch and on a timer;
- ``delivery`` sends through Alertmanager or the built-in notifier (apprise), exactly once.
"""

from collector.alerts.engine import Alerting, AlertWatch, DeliveryStats
from collector.alerts.incidents import raise_device_alert, resolve_device_alert
from collector.alerts.runtime import Running, start_alerting

__all__ = [
    "AlertWatch",
    "Alerting",
    "DeliveryStats",
    "Running",
    "raise_device_alert",
    "resolve_device_alert",
    "start_alerting",
]
