"""Debian package version comparison, exactly as dpkg orders versions.

``[epoch:]upstream[-revision]``: epochs compare as numbers, then upstream and revision with
dpkg's ``verrevcmp`` — alternating runs of non-digits (letters before other characters, ``~``
before everything, even the end of the string) and digits (as numbers). Reference:
deb-version(7) and ``lib/dpkg/version.c`` (``dpkg_version_compare``). Only ASCII digits and
letters count as such, like dpkg's ``c_isdigit``/``c_isalpha``.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import NamedTuple


class DebVersion(NamedTuple):
    """A version split the way dpkg splits it."""

    epoch: int
    upstream: str
    revision: str


def parse(text: str) -> DebVersion:
    """Split ``[epoch:]upstream[-revision]``; ValueError when the epoch is not a number."""
    text = text.strip()
    epoch, colon, rest = text.partition(":")
    if not colon:
        epoch, rest = "0", text
    if not (epoch.isascii() and epoch.isdigit()):
        raise ValueError(f"bad epoch in version {text[:80]!r}")
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    return DebVersion(int(epoch), upstream, revision)


def _order(char: str) -> int:
    if "0" <= char <= "9":
        return 0
    if ("a" <= char <= "z") or ("A" <= char <= "Z"):
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256


def _is_digit(text: str, index: int) -> bool:
    return index < len(text) and "0" <= text[index] <= "9"


def _verrevcmp(a: str, b: str) -> int:
    """dpkg's ``verrevcmp``: negative, zero or positive."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not _is_digit(a, i)) or (j < len(b) and not _is_digit(b, j)):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        first_diff = 0
        while _is_digit(a, i) and _is_digit(b, j):
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if _is_digit(a, i):
            return 1
        if _is_digit(b, j):
            return -1
        if first_diff:
            return first_diff
    return 0


def compare(a: str | DebVersion, b: str | DebVersion) -> int:
    """Negative when ``a`` is older than ``b``, zero when equal, positive when newer."""
    va = a if isinstance(a, DebVersion) else parse(a)
    vb = b if isinstance(b, DebVersion) else parse(b)
    if va.epoch != vb.epoch:
        return -1 if va.epoch < vb.epoch else 1
    return _verrevcmp(va.upstream, vb.upstream) or _verrevcmp(va.revision, vb.revision)


sort_key = cmp_to_key(compare)
