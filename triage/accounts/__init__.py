"""Accounts of record (recovery.md): the directory, the comparison of declared facts with
the record, and the masked contacts reviewers see."""
