"""The registered owner told in time (recovery.md): notices, the "this was not me" link,
the waiting period and the list of changes ready to apply."""
