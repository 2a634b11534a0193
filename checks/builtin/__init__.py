"""Built-in checks. Each module registers its checks with ``@check``; this tuple is the list."""

from checks.builtin import hardware, ports

MODULES = (hardware, ports)
