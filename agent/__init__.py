"""The canh agent: gathers facts on a host, signs reports, spools when the collector is away.

It imports nothing from ``collector`` or ``inventory`` and needs only msgspec, PyNaCl (report
signatures), cryptography (enrollment's CA check) and, on Windows, psutil, so it installs on an
old office PC without server libraries.
"""
