"""Inventory: target scope, rate cap, probes and host keys as pure functions; discovery and SSH
collection for real, against a namespace lab and real sshd/snmpd."""
