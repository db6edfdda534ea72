"""Placeholder until the full document lands (being written now)."""


def openapi_document() -> dict:
    return {"openapi": "3.1.0", "info": {"title": "Evidence triage API", "version": "1"},
            "paths": {}}
