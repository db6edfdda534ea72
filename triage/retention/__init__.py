"""Keeping identity documents no longer than needed (recovery.md): the retention purge and
legal holds."""
