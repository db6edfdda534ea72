"""Response and request models of second approval. STUB."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApprovalsView(BaseModel):
    model_config = ConfigDict(extra="allow")
