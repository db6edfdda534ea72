"""Response models of the record comparison. STUB: filled in by the accounts work."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RecordView(BaseModel):
    model_config = ConfigDict(extra="allow")
