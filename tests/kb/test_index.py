"""Ingestion: idempotent, incremental, atomic; bad files reported while the rest goes in."""

from pathlib import Path

import pytest

from bot.kb.embed import FakeEmbedder
from bot.kb.index import KnowledgeBase
from bot.kb.retrieve import Retriever

ARTICLE = """---
id: {id}
title: {title}
topic: complaints
tags: [投诉]
source: seed.txt
summary_en: {en}
---
## 要点

{body}
"""


def write(folder: Path, name: str, title: str, body: str, en: str = "Complaint handling.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{name}.md"
    p.write_text(ARTICLE.format(id=name, title=title, body=body, en=en), encoding="utf-8")
    return p


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    write(docs, "shipment", "发货通知五要素", "发货时告诉客户车号、司机电话、发货时间、预计到达时间和货物数量。",
          "Five facts to send the customer at shipment.")
    write(docs, "apology", "道歉短信", "到货延误后，先诚恳道歉，说明原因，并承诺补救措施。", "How to apologise after a late delivery.")
    write(docs, "value", "顾客让渡价值", "顾客让渡价值等于顾客总价值减去顾客总成本。", "Customer delivered value.")
    (docs / "notes.pptx").write_bytes(b"PK\x03\x04")
    (docs / "empty.txt").write_text("")
    return docs


class CountingEmbedder(FakeEmbedder):
    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.embedded = 0
        self.fail_after = fail_after

    def embed_passages(self, texts, *, batch_size=32, progress=None):
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise KeyboardInterrupt  # Ctrl-C in the middle of embedding
        self.embedded += len(texts)
        return super().embed_passages(texts, progress=progress)


def test_ingest_reports_bad_files_and_indexes_the_rest(tmp_path, corpus):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    failures = []
    report = kb.ingest([corpus], on_file=lambda name, err: err and failures.append(name))
    assert sorted(report.added) == ["apology", "shipment", "value"]
    assert dict((Path(p).name, r) for p, r in report.failed) == {
        "empty.txt": "the file is empty",
        "notes.pptx": "unsupported file type .pptx; send .md, .txt, .html, .docx or .pdf",
    }
    assert sorted(failures) == ["empty.txt", "notes.pptx"]
    hits = Retriever(kb).search("发货的时候要告诉客户什么？", k=1).passages
    assert hits[0].title == "发货通知五要素"
    assert hits[0].source == "seed.txt"


def test_reingesting_the_same_files_changes_nothing(tmp_path, corpus):
    emb = CountingEmbedder()
    kb = KnowledgeBase(tmp_path / "kb", emb)
    kb.ingest([corpus])
    generation, embedded = kb.current_path(), emb.embedded
    again = kb.ingest([corpus])
    assert not again.changed
    assert sorted(again.unchanged) == ["apology", "shipment", "value"]
    assert kb.current_path() == generation
    assert emb.embedded == embedded


def test_an_edited_file_is_updated_and_only_its_passages_are_embedded(tmp_path, corpus):
    emb = CountingEmbedder()
    kb = KnowledgeBase(tmp_path / "kb", emb)
    kb.ingest([corpus])
    before = emb.embedded
    write(corpus, "value", "顾客让渡价值", "顾客让渡价值是总价值与总成本的差额，差额越大客户越满意。")
    report = kb.ingest([corpus])
    assert report.updated == ["value"]
    assert emb.embedded == before + 1
    assert "差额越大" in Retriever(kb).search("让渡价值", k=1).passages[0].text
    # The previous generation is kept one more round for processes still reading it, no longer.
    write(corpus, "value", "顾客让渡价值", "顾客让渡价值是总价值与总成本之差。")
    kb.ingest([corpus])
    assert len(list((tmp_path / "kb").glob("gen-*"))) == 2


def test_ctrl_c_mid_ingest_leaves_the_previous_index_fully_usable(tmp_path, corpus):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([corpus])
    live = kb.current_path()
    write(corpus, "visit", "拜访客户", "定期拜访大客户，面对面沟通最能建立信任。")
    crashing = KnowledgeBase(tmp_path / "kb", CountingEmbedder(fail_after=0))
    with pytest.raises(KeyboardInterrupt):
        crashing.ingest([corpus])
    assert kb.current_path() == live
    assert live.name in [p.name for p in (tmp_path / "kb").glob("gen-*")]
    assert not any(p.name.startswith(".CURRENT") for p in (tmp_path / "kb").iterdir())
    result = Retriever(kb).search("发货通知", k=3)
    assert result.passages
    assert "visit" not in {p.doc_id for p in result.passages}
    assert KnowledgeBase(tmp_path / "kb", CountingEmbedder()).ingest([corpus]).added == ["visit"]


def test_prune_removes_documents_no_longer_provided(tmp_path, corpus):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([corpus])
    (corpus / "apology.md").unlink()
    report = kb.ingest([corpus], prune_sources=lambda d: True)
    assert report.removed == ["apology"]
    assert "apology" not in kb.documents()


def test_searching_a_missing_knowledge_base_says_how_to_create_it(tmp_path):
    from bot.kb.errors import IndexMissing

    with pytest.raises(IndexMissing, match="salescoach ingest"):
        Retriever(KnowledgeBase(tmp_path / "nothing", FakeEmbedder()))


def test_traditional_and_english_queries_find_simplified_articles(tmp_path, corpus):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([corpus])
    r = Retriever(kb)
    assert r.search("顧客讓渡價值怎麼算", k=1).passages[0].doc_id == "value"
    assert r.search("how to apologise after a late delivery", k=1).passages[0].doc_id == "apology"


def test_changing_the_chunking_rebuilds_the_index(tmp_path, corpus, monkeypatch):
    from bot.kb import chunk

    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([corpus])
    first = kb.current_path()
    assert not kb.ingest([corpus]).changed
    assert kb.current_path() == first
    monkeypatch.setattr(chunk, "TARGET_CHARS", 100)
    kb.ingest([corpus])
    assert kb.current_path() != first


def test_a_running_retriever_picks_up_an_ingest_made_by_another_process(tmp_path, corpus):
    KnowledgeBase(tmp_path / "kb", CountingEmbedder()).ingest([corpus])
    bot_side = Retriever(KnowledgeBase(tmp_path / "kb", CountingEmbedder()))
    assert "visit" not in {p.doc_id for p in bot_side.search("拜访大客户", k=5).passages}
    write(corpus, "visit", "拜访客户", "定期拜访大客户，面对面沟通最能建立信任。")
    KnowledgeBase(tmp_path / "kb", CountingEmbedder()).ingest([corpus])  # e.g. `salescoach ingest`
    assert bot_side.search("拜访大客户", k=1).passages[0].doc_id == "visit"


def test_an_index_built_by_an_older_version_asks_for_a_rebuild_and_ingest_rebuilds_it(tmp_path, corpus):
    import json

    from bot.kb.errors import KnowledgeBaseError

    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([corpus])
    old = kb.current_path()
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format"] = manifest["layout"]["format"] = 3
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(KnowledgeBaseError, match="ingest --rebuild"):
        Retriever(kb)
    assert kb.ingest([corpus]).added == []  # same documents, rebuilt in the current format
    assert kb.current_path() != old
    assert Retriever(kb).search("发货 车号", k=1).passages[0].doc_id == "shipment"


def test_a_broad_passage_that_sounds_like_every_question_does_not_win_every_question(tmp_path):
    """The dense search subtracts the direction all typical questions share (hubness)."""
    docs = tmp_path / "docs"
    write(docs, "hub", "常见问题", "客户说我们该怎么办？怎么做才好？客户的问题该怎么回答？我们应该怎么处理客户？")
    write(docs, "bucket", "漏桶", "漏桶：企业一边拼命招揽新客户，一边让老客户从桶底的漏洞流走。")
    kb = KnowledgeBase(tmp_path / "kb", FakeEmbedder())
    kb.ingest([docs])
    dense_only = Retriever(kb, dense_weight=1.0)
    question = "漏桶是什么意思，老客户为什么会流走？"
    assert dense_only.search(question, k=1).passages[0].doc_id == "bucket"
    dense_only.generation.query_center = None  # what the search did before
    assert dense_only.search(question, k=1).passages[0].doc_id == "hub"
