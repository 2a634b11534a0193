"""The server-rendered web dashboard (Vietnamese first, English available)."""
