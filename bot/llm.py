"""LangChain chat-model factory: none (default, offline), any OpenAI-compatible server, Ollama, fake."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot.config import Settings

log = logging.getLogger(__name__)

COOL_DOWN_SECONDS = 60.0  # after a failure, callers go straight to the offline answer for this long
LLM_WORKERS = 8  # calls in flight at once; a hung call holds one until its HTTP timeout ends it


class LLMUnavailable(Exception):
    """The LLM did not answer in time, failed, or is cooling down after a failure: use the offline answer."""


class BoundedChatModel:
    """A chat model whose `invoke` returns within `timeout` seconds or raises LLMUnavailable.

    The HTTP client's own timeout is not enough: a server that accepts the connection and trickles bytes,
    or a client that retries, can hold a caller for minutes. So each call runs on a thread of its own and
    the caller waits at most `timeout`. After a failure, calls fail at once for `cool_down` seconds: with a
    dead server, one user waits the timeout, not every user one after another.
    """

    def __init__(self, model, *, timeout: float, cool_down: float = COOL_DOWN_SECONDS, clock=time.monotonic) -> None:
        self.model, self.timeout, self.cool_down, self.clock = model, timeout, cool_down, clock
        self._pool = ThreadPoolExecutor(LLM_WORKERS, thread_name_prefix="llm")
        self._down_until = 0.0
        self._lock = threading.Lock()

    def invoke(self, messages, **kwargs):
        if self.clock() < self._down_until:
            raise LLMUnavailable("the LLM failed recently; using the offline answer")
        future = self._pool.submit(self.model.invoke, messages, **kwargs)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            future.cancel()
            self._failed(f"no reply within {self.timeout:g} s")
            raise LLMUnavailable(f"the LLM gave no reply within {self.timeout:g} s") from None
        except Exception as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            raise LLMUnavailable(f"the LLM failed: {type(exc).__name__}: {str(exc)[:200]}") from None

    def _failed(self, why: str) -> None:
        with self._lock:
            if self.clock() >= self._down_until:
                log.warning("LLM unavailable (%s): offline answers for the next %g s", why, self.cool_down)
            self._down_until = self.clock() + self.cool_down


def chat_model(settings: Settings) -> BoundedChatModel | None:
    """The configured chat model, bounded by SALESCOACH_LLM_TIMEOUT, or None: every feature works without one."""
    model = _chat_model(settings)
    return None if model is None else BoundedChatModel(model, timeout=settings.llm_timeout)


def _chat_model(settings: Settings):
    provider = settings.llm_provider.lower()
    if provider in ("", "none"):
        return None
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url, api_key=key,
                          temperature=0.2, timeout=settings.llm_timeout, max_retries=0)
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise RuntimeError("SALESCOACH_LLM_PROVIDER=ollama needs `pip install langchain-ollama`") from exc
        return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url or "http://127.0.0.1:11434",
                          client_kwargs={"timeout": settings.llm_timeout})
    if provider == "fake":
        from langchain_core.language_models.fake_chat_models import FakeListChatModel

        return FakeListChatModel(responses=["（测试模型）请参考下面的资料。[1]"])
    raise ValueError(f"unknown SALESCOACH_LLM_PROVIDER {settings.llm_provider!r}: use none, openai, ollama or fake")
