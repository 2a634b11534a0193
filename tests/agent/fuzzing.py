"""Hypothesis strategies and the contract check shared by the parser fuzz tests."""

from __future__ import annotations

import msgspec
from hypothesis import strategies as st

# Text shaped like command output: lines, tabs, colons, digits, brackets, non-ASCII.
LINES = st.text(
    alphabet=st.sampled_from([*list("abcXYZ019 \t\n:=/.,-_[](){}\"'#@$!*%+<>;"), "ư", "Đ", "²"]),
    max_size=600,
)
TEXT = st.one_of(st.text(max_size=400), LINES)
SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["/Date(1700000000000)/", "2026-11-22T08:00:00+07:00", "1", "On", "Running"])
)
# Small JSON documents: enough nesting to reach every lookup, cheap enough for a 2-core CI box.
JSON = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def valid(value: msgspec.Struct) -> None:
    """The facts decode strictly and re-encode identically (hash-stable)."""
    encoded = msgspec.json.encode(value)
    assert msgspec.json.encode(msgspec.json.decode(encoded, type=type(value))) == encoded
