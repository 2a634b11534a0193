"""canh: network-security and IT-asset monitoring against Vietnam's level-2 requirements."""

__version__ = "0.1.0"
