"""Agentless inventory: network discovery (scapy) and SSH collection (paramiko)."""
