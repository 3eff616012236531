"""Answers: extractive and cited offline; an LLM may write them, grounded in the passages."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.kb.answer import NOT_FOUND, Answerer, format_plain
from bot.kb.index import KnowledgeBase
from bot.kb.retrieve import Retriever

from .test_index import CountingEmbedder, write


@pytest.fixture
def retriever(tmp_path):
    docs = tmp_path / "docs"
    write(docs, "shipment", "发货通知五要素",
          "发货时第一时间告诉客户以下五项：\n1. 产品规格和数量\n2. 发货时间\n3. 车号\n4. 司机电话\n5. 预计到达时间")
    write(docs, "apology", "道歉短信", "到货延误后，先诚恳道歉，说明原因，并承诺补救措施。")
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([docs])
    return Retriever(kb)


def test_offline_answer_quotes_the_list_and_cites_its_article(retriever):
    answer = Answerer(retriever).answer("发货时要告诉客户哪些事情？")
    assert not answer.by_llm
    text = format_plain(answer)
    assert "1. 产品规格和数量\n2. 发货时间\n3. 车号\n4. 司机电话\n5. 预计到达时间" in text
    assert "[1] 发货通知五要素 · 要点（seed.txt）" in text


class RecordingModel(FakeListChatModel):
    seen: list = []

    def invoke(self, messages, *args, **kwargs):
        RecordingModel.seen = messages
        return super().invoke(messages, *args, **kwargs)


def test_llm_writes_the_answer_from_the_numbered_passages_only(retriever):
    model = RecordingModel(responses=["先告诉客户车号和司机电话 [1]，延误时要道歉 [2]。"])
    answer = Answerer(retriever, model).answer("发货时要告诉客户什么？")
    assert answer.by_llm
    assert answer.cited == [1, 2]
    system, user = RecordingModel.seen
    assert "只根据下面编号的资料回答" in system.content
    assert "[1] 发货通知五要素" in user.content
    assert "发货时要告诉客户什么？" in user.content
    assert "先告诉客户车号" in format_plain(answer)


class BrokenModel(FakeListChatModel):
    def invoke(self, *args, **kwargs):
        raise TimeoutError("LLM server timed out")


def test_a_failing_llm_falls_back_to_the_offline_answer(retriever):
    answer = Answerer(retriever, BrokenModel(responses=["x"])).answer("发货时要告诉客户哪些事情？")
    assert not answer.by_llm
    assert "车号" in answer.text
    assert answer.cited == [1]


def test_no_passages_gives_a_helpful_not_found(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    write(tmp_path / "docs", "x", "标题", "内容足够长的一段文字，用来建立索引。")
    kb.ingest([tmp_path / "docs"])
    answer = Answerer(Retriever(kb)).answer("   ")
    assert format_plain(answer) == NOT_FOUND
