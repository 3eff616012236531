"""Load prompt templates from ``prompts/`` (YAML), validated: a missing key is a clear error."""

from __future__ import annotations

import functools

import yaml
from pydantic import BaseModel, ConfigDict

from bot.config import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


class ChatPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str
    user: str


@functools.cache
def load_prompt(name: str) -> dict[str, str]:
    data = yaml.safe_load((PROMPTS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return ChatPrompt.model_validate(data).model_dump()
