"""Enrollment bundles: round trip, tamper detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from canh.contract import Bundle, BundleInvalid, dump_bundle, load_bundle
from canh.contract.enrollment import ca_fingerprint
from collector.tls import TlsFiles, create_ca


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> str:
    files = TlsFiles(tmp_path_factory.mktemp("tls"))
    create_ca(files)
    return files.ca_cert.read_text()


def test_roundtrip(ca_pem: str) -> None:
    """A bundle survives dump and load."""
    bundle = Bundle(
        url="https://127.0.0.1:8443",
        token="t" * 43,
        ca_sha256=ca_fingerprint(ca_pem),
        ca_pem=ca_pem,
    )
    assert load_bundle(dump_bundle(bundle) + "\n") == bundle


def test_ca_swapped_is_refused(ca_pem: str, tmp_path: Path) -> None:
    """A bundle whose CA does not match its fingerprint is refused."""
    other = TlsFiles(tmp_path)
    create_ca(other)
    bundle = Bundle(
        url="https://127.0.0.1:8443",
        token="t" * 43,
        ca_sha256=ca_fingerprint(ca_pem),
        ca_pem=other.ca_cert.read_text(),
    )
    with pytest.raises(BundleInvalid, match="fingerprint"):
        load_bundle(dump_bundle(bundle))


@pytest.mark.parametrize("text", ["", "hello", "canh1.!!!", "canh1.e30=", "canh1." + "A" * 20000])
def test_garbage_refused(text: str) -> None:
    """Anything that is not a bundle gets a clear error."""
    with pytest.raises(BundleInvalid):
        load_bundle(text)
