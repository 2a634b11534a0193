"""The canh agent: gathers facts on a host, signs reports, spools when the collector is away.

It imports nothing from ``collector`` or ``inventory`` and needs only cryptography, psutil and
msgspec, so it installs on an old office PC without server libraries.
"""
