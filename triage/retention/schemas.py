"""Response and request models of legal holds. STUB."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RetentionView(BaseModel):
    model_config = ConfigDict(extra="allow")
