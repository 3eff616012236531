"""LangChain chat-model factory: none (default, offline), any OpenAI-compatible server, Ollama, fake."""

from __future__ import annotations

import logging

from bot.config import Settings

log = logging.getLogger(__name__)


def chat_model(settings: Settings):
    """The configured chat model, or None: every feature works without one."""
    provider = settings.llm_provider.lower()
    if provider in ("", "none"):
        return None
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url, api_key=key,
                          temperature=0.2, timeout=30, max_retries=2)
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise RuntimeError("SALESCOACH_LLM_PROVIDER=ollama needs `pip install langchain-ollama`") from exc
        return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url or "http://127.0.0.1:11434")
    if provider == "fake":
        from langchain_core.language_models.fake_chat_models import FakeListChatModel

        return FakeListChatModel(responses=["（测试模型）请参考下面的资料。[1]"])
    raise ValueError(f"unknown SALESCOACH_LLM_PROVIDER {settings.llm_provider!r}: use none, openai, ollama or fake")
