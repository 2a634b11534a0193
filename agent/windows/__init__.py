"""Windows facts: fixed PowerShell scripts run through a :class:`Host`, pure parsers over JSON."""
