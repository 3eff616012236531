"""The knowledge base on a real Chroma server (`chroma run`, started here on a 127.0.0.1 port): bots on
different machines (here: data dirs) answer from what one of them ingested, and an ingest is atomic for a
bot searching meanwhile."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.kb import server as srv
from bot.kb.documents import Document
from bot.kb.embed import FakeEmbedder
from bot.kb.index import KnowledgeBase
from bot.kb.retrieve import Retriever
from tests.servers import chroma_server

DOCS = [
    Document("shipment", "发货通知五要素", "seed.txt", "发货时告诉客户车号、司机电话、发货时间、预计到达时间和货物数量。"
             "这五个要素缺一不可。", {"tags": ["发货"]}),
    Document("apology", "道歉短信", "seed.txt", "到货延误后，先诚恳道歉，说明原因，并承诺补救措施。客户最在意的是态度。", {}),
    Document("value", "顾客让渡价值", "seed.txt", "顾客让渡价值等于顾客总价值减去顾客总成本。总成本包括时间和精力。", {}),
]
NEW = Document("price", "价格谈判", "seed.txt", "客户压价时，先问清楚预算，再用价值说话，不要直接降价。让步要换条件。", {})


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> str:
    yield from chroma_server(tmp_path_factory.mktemp("chroma"))


@pytest.fixture
def server(chroma_url) -> str:
    """The module's server, emptied: each test starts with no knowledge base on it."""
    chroma = srv.client(chroma_url)
    for col in chroma.list_collections():
        chroma.delete_collection(col if isinstance(col, str) else col.name)
    return chroma_url


def _titles(retriever: Retriever, query: str) -> list[str]:
    return [p.title for p in retriever.search(query, k=3).passages]


def test_a_bot_on_another_machine_answers_from_what_one_ingested_as_the_embedded_index_does(server, tmp_path):
    KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server).ingest(documents=DOCS)
    elsewhere = Retriever(KnowledgeBase(tmp_path / "other-bot", FakeEmbedder(), server=server))
    embedded = KnowledgeBase(tmp_path / "embedded", FakeEmbedder())
    embedded.ingest(documents=DOCS)
    local = Retriever(embedded)
    for query in ("发货要告诉客户什么", "延误了怎么道歉", "什么是顾客让渡价值"):
        got, want = elsewhere.search(query, k=3), local.search(query, k=3)
        assert [p.chunk_id for p in got.passages] == [p.chunk_id for p in want.passages]
        assert [p.score for p in got.passages] == pytest.approx([p.score for p in want.passages], abs=1e-4)
    assert _titles(elsewhere, "发货要告诉客户什么")[0] == "发货通知五要素"
    # The other bot derived its lexical index from the server's passages; it holds no vectors itself.
    cached = elsewhere.generation.path
    assert any(cached.glob("bm25-*"))
    assert not (cached / "chroma").exists()


def test_a_bot_searching_during_an_ingest_answers_from_a_complete_generation(server, tmp_path, monkeypatch):
    ingester = KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server)
    ingester.ingest(documents=DOCS)
    bot = Retriever(KnowledgeBase(tmp_path / "bot", FakeEmbedder(), server=server))
    before = bot.generation.path.name
    during: list[list[str]] = []

    def search_meanwhile(done: int, total: int) -> None:  # embedding the new generation
        during.append(_titles(bot, "客户压价怎么办"))

    switch = srv.switch_to

    def search_then_switch(chroma, generation):  # the new generation is on the server, not yet live
        during.append(_titles(bot, "客户压价怎么办"))
        switch(chroma, generation)

    monkeypatch.setattr(srv, "switch_to", search_then_switch)
    report = ingester.ingest(documents=[*DOCS, NEW], on_embed=search_meanwhile)
    assert report.added == ["price"]
    assert len(during) >= 2
    assert all("价格谈判" not in titles and len(titles) == 3 for titles in during)
    assert bot.generation.path.name == before
    assert _titles(bot, "客户压价怎么办")[0] == "价格谈判"  # the next search moves to the new generation
    assert bot.generation.path.name != before


def test_re_ingesting_changes_nothing_and_old_generations_are_dropped(server, tmp_path):
    ingester = KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server)
    ingester.ingest(documents=DOCS)
    chroma = srv.client(server)
    first = srv.live_generation(chroma)
    assert not ingester.ingest(documents=DOCS).changed
    assert srv.live_generation(chroma) == first
    ingester.ingest(documents=[*DOCS, NEW])
    ingester.ingest(documents=DOCS, prune_sources=lambda d: True)  # "price" removed again
    names = {c if isinstance(c, str) else c.name for c in chroma.list_collections()}
    assert not any(first in name for name in names)  # two generations newer than it: it is gone
    live = srv.live_generation(chroma)
    assert {f"salescoach-{live}-passages", f"salescoach-{live}-meta", "salescoach-current"} <= names


def test_doctor_says_the_chroma_server_answers(server, tmp_path, monkeypatch):
    from bot.cli import app

    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_CHROMA_URL", server)
    monkeypatch.delenv("SALESCOACH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"✓ Chroma server {server}: answers; no knowledge base on it yet" in result.output
    KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server).ingest(documents=DOCS)
    result = CliRunner().invoke(app, ["doctor"])
    live = srv.live_generation(srv.client(server))
    assert f"✓ Chroma server {server}: answers; knowledge base {live} is live" in result.output


def test_a_wrong_chroma_url_is_one_line_naming_the_setting(monkeypatch, tmp_path):
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"SALESCOACH_CHROMA_URL='127\.0\.0\.1:8000': not a Chroma server URL"):
        load_settings(_env_file=None, data_dir=Path(tmp_path), chroma_url="127.0.0.1:8000")
