"""The base of every model read from a file a person wrote (spec.toml, kit.toml, vectors.json):
an unknown key is refused, so a typo is an error rather than a setting silently ignored."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
