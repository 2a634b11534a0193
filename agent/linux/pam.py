"""Password and lockout policy on Linux as PAM enforces it (pam.d stacks and their .conf files).

``/etc/login.defs`` PASS_MIN_LEN is ignored once PAM handles passwords, so length and classes
come from pam_pwquality/pam_cracklib, lockout from pam_faillock/pam_tally2, history from
pam_pwhistory or pam_unix ``remember=``. Inline module arguments override the .conf files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# pwquality.conf(5) and faillock.conf(5) defaults when a key is absent.
PWQUALITY_DEFAULTS = {"minlen": 8, "minclass": 0, "dcredit": 0, "ucredit": 0, "lcredit": 0}
PWQUALITY_DEFAULTS["ocredit"] = 0
CRACKLIB_DEFAULTS = {"minlen": 9, "minclass": 0, "dcredit": 1, "ucredit": 1, "lcredit": 1}
CRACKLIB_DEFAULTS["ocredit"] = 1
FAILLOCK_DEFAULTS = {"deny": 3, "unlock_time": 600, "fail_interval": 900}
PWHISTORY_DEFAULT_REMEMBER = 10
PWQUALITY_FLOOR = 6  # libpwquality refuses a minlen below 6


@dataclass(frozen=True, slots=True)
class PamLine:
    """One rule of a PAM stack."""

    kind: str
    module: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PamPolicy:
    """What the password and auth stacks enforce; None where nothing says."""

    quality_module: str | None = None
    min_length: int | None = None
    min_classes: int | None = None
    complexity: bool | None = None
    history: int | None = None
    lockout_threshold: int | None = None
    lockout_minutes: float | None = None
    lockout_window_minutes: float | None = None


def parse_pam(text: str) -> list[PamLine]:
    """Rules of a pam.d file; ``[...]`` controls and ``-`` (optional) prefixes understood."""
    lines = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("@include"):
            continue
        line = re.sub(r"\[[^\]]*\]", "control", line)
        parts = line.split()
        if len(parts) < 3:
            continue
        args: dict[str, str] = {}
        for arg in parts[3:]:
            key, _, value = arg.partition("=")
            args[key] = value
        module = parts[2].rsplit("/", 1)[-1].removesuffix(".so")
        lines.append(PamLine(kind=parts[0].lstrip("-"), module=module, args=args))
    return lines


def parse_keyvalue(text: str) -> dict[str, str]:
    """``key = value`` (or bare ``key``) lines of pwquality.conf, faillock.conf, pwhistory.conf."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _int(value: str | None) -> int | None:
    """A PAM option number; absurd values (beyond a million) are not a policy, they are noise."""
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or abs(number) <= 1_000_000 else None


def _count(value: str | None) -> int | None:
    """A PAM option that counts something: negative values mean nothing."""
    number = _int(value)
    return number if number is None or number >= 0 else None


def _find(stack: list[PamLine], kind: str, modules: tuple[str, ...]) -> PamLine | None:
    return next((r for r in stack if r.kind == kind and r.module in modules), None)


def _quality(policy: PamPolicy, rule: PamLine, conf: dict[str, str]) -> None:
    defaults = PWQUALITY_DEFAULTS if rule.module == "pam_pwquality" else CRACKLIB_DEFAULTS
    merged = {**conf, **rule.args} if rule.module == "pam_pwquality" else dict(rule.args)
    values = {k: _int(merged.get(k)) for k in defaults}
    settings = {k: default if values[k] is None else values[k] for k, default in defaults.items()}
    class_credits = [settings[k] or 0 for k in ("dcredit", "ucredit", "lcredit", "ocredit")]
    # Positive credits let each character of a class count twice: the real floor drops by them.
    floor = PWQUALITY_FLOOR if rule.module == "pam_pwquality" else 0
    policy.quality_module = rule.module
    policy.min_length = max(
        floor, (settings["minlen"] or 0) - sum(c for c in class_credits if c > 0)
    )
    required = sum(1 for c in class_credits if c < 0)  # a negative credit is a required class
    policy.min_classes = max(settings["minclass"] or 0, required, 0)
    policy.complexity = policy.min_classes >= 3


def evaluate(
    password_stack: list[PamLine],
    auth_stack: list[PamLine],
    pwquality_conf: dict[str, str],
    faillock_conf: dict[str, str],
    pwhistory_conf: dict[str, str],
) -> PamPolicy:
    """The effective policy of the ``password`` and ``auth`` stacks."""
    policy = PamPolicy()
    quality = _find(password_stack, "password", ("pam_pwquality", "pam_cracklib"))
    unix = _find(password_stack, "password", ("pam_unix",))
    if quality is not None:
        _quality(policy, quality, pwquality_conf)
    else:
        policy.complexity = False  # nothing checks character classes
        policy.min_classes = 0
        policy.min_length = _count(unix.args.get("minlen")) if unix else None
    history = _find(password_stack, "password", ("pam_pwhistory",))
    if history is not None:
        remember = history.args.get("remember") or pwhistory_conf.get("remember")
        policy.history = _count(remember) if remember else PWHISTORY_DEFAULT_REMEMBER
    elif unix is not None:
        policy.history = _count(unix.args.get("remember")) or 0
    faillock = _find(auth_stack, "auth", ("pam_faillock",))
    tally = _find(auth_stack, "auth", ("pam_tally2", "pam_tally"))
    if faillock is not None:
        merged = {**faillock_conf, **faillock.args}
        deny = _count(merged.get("deny"))
        unlock = merged.get("unlock_time")
        window = _count(merged.get("fail_interval"))
        policy.lockout_threshold = FAILLOCK_DEFAULTS["deny"] if deny is None else deny
        policy.lockout_minutes = _unlock_minutes(unlock, FAILLOCK_DEFAULTS["unlock_time"])
        seconds = FAILLOCK_DEFAULTS["fail_interval"] if window is None else window
        policy.lockout_window_minutes = seconds / 60
    elif tally is not None:
        policy.lockout_threshold = _count(tally.args.get("deny")) or 0
        policy.lockout_minutes = _unlock_minutes(tally.args.get("unlock_time"), 0)
    else:
        policy.lockout_threshold = 0  # no module counts failures: accounts never lock
    return policy


def _unlock_minutes(value: str | None, default: int) -> float | None:
    """unlock_time in seconds → minutes; 0 or "never" mean an administrator must unlock (-1)."""
    if value is None:
        seconds: int | None = default
    elif value == "never":
        return -1.0
    else:
        seconds = _count(value)
    if seconds is None:
        return None
    return -1.0 if seconds == 0 else seconds / 60


def mfa_modules(stack: list[PamLine]) -> list[str]:
    """Second-factor modules in a stack (OTP, Duo, U2F/FIDO)."""
    known = ("pam_google_authenticator", "pam_oath", "pam_duo", "pam_u2f", "pam_yubico")
    return sorted({rule.module for rule in stack if rule.module in known})
