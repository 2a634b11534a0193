"""Debian version ordering: known cases from deb-version(7), and dpkg itself as the oracle."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.linux import debversion


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0~rc1", "1.0"),  # ~ sorts before everything, even the end
        ("1.0~~", "1.0~~a"),
        ("1.0~", "1.0"),
        ("1.0", "1.0+b1"),
        ("1.0", "1.0a"),  # letters after the end
        ("1.0a", "1.0+"),  # non-letters after letters
        ("1.9", "1.10"),  # digits compare as numbers
        ("1.0-1", "1.0-1.1"),
        ("1.0-9", "1.0-10"),
        ("9.9", "1:0.1"),  # the epoch wins
        ("3.0.15-1~deb12u1", "3.0.17-1~deb12u2"),
        ("2025b-0+deb12u1", "2025b-0+deb12u2"),
        ("1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u6"),
        ("3.0.16-1build7", "3.0.16-1ubuntu0.1"),
        ("1.2.3-1~bpo12+1", "1.2.3-1"),
    ],
)
def test_known_order(older: str, newer: str) -> None:
    """Each pair is strictly ordered, both ways round."""
    assert debversion.compare(older, newer) < 0
    assert debversion.compare(newer, older) > 0


@pytest.mark.parametrize(
    ("a", "b"), [("1.0", "1.0-0"), ("0:1.0", "1.0"), ("1.00", "1.0"), ("1.0.0~", "1.0.0~")]
)
def test_equal(a: str, b: str) -> None:
    """Missing epoch is 0, missing revision is empty (equal to 0), leading zeros do not count."""
    assert debversion.compare(a, b) == 0


def test_parse_splits_at_first_colon_and_last_hyphen() -> None:
    """The upstream part may hold colons and hyphens."""
    assert debversion.parse("2:1.0-rc:2-3-4") == debversion.DebVersion(2, "1.0-rc:2-3", "4")
    with pytest.raises(ValueError, match="epoch"):
        debversion.parse("x:1.0")


CHARS = "0123456789abzAZ.+~"


@st.composite
def versions(draw: st.DrawFn) -> str:
    """Versions dpkg accepts: ``-`` in upstream only with a revision, ``:`` only with an epoch."""
    epoch = draw(st.none() | st.integers(0, 3))
    revision = draw(st.none() | st.text(alphabet=CHARS, min_size=1, max_size=6))
    extra = ("-" if revision else "") + (":" if epoch is not None else "")
    upstream = draw(st.sampled_from("0123456789")) + draw(st.text(CHARS + extra, max_size=8))
    prefix = f"{epoch}:" if epoch is not None else ""
    return prefix + upstream + (f"-{revision}" if revision else "")


def _dpkg_relation(a: str, b: str) -> int:
    for op, value in (("lt", -1), ("eq", 0), ("gt", 1)):
        done = subprocess.run(
            ["dpkg", "--compare-versions", a, op, b], capture_output=True, check=False
        )
        if done.returncode == 0:
            return value
    raise AssertionError(f"dpkg orders neither way: {a!r} {b!r}")


@pytest.mark.real
@given(versions(), versions())
@settings(max_examples=300, deadline=None)
def test_same_order_as_dpkg(a: str, b: str) -> None:
    """Random valid versions compare exactly as ``dpkg --compare-versions`` does."""
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    assert (debversion.compare(a, b) > 0) - (debversion.compare(a, b) < 0) == _dpkg_relation(a, b)
