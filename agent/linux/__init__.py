"""Linux facts: pure parsers over files and command output, reached through a :class:`Host`."""
