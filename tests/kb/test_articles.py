"""The article chooser: a trained reading of the whole question decides which article answers, over what
retrieval found; an article it does not know is chosen on retrieval's evidence alone."""

import numpy as np
import pytest

from bot.kb import articles
from bot.kb.answer import Answerer
from bot.kb.articles import FEATURES, ArticleChooser, default_chooser
from bot.kb.index import KnowledgeBase
from bot.kb.linear import Head
from bot.kb.retrieve import Retriever

from .test_index import CountingEmbedder, write

QUESTION = "客户老是流失，有什么防线能守住？"


@pytest.fixture
def two_articles(tmp_path):
    """Retrieval ranks the service standard first for QUESTION (it shares 流失 and 防线 twice); the article that
    answers it is the one on defences."""
    docs = tmp_path / "docs"
    write(docs, "standard", "服务标准", "服务标准是防止客户流失的防线，也是防止客户流失的一道有效防线：态度积极，体系标准。")
    write(docs, "defences", "五道防线", "守住大客户：顾问式销售、做品牌、打响品牌、标准服务、营销管理。")
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([docs])
    return Retriever(kb)


def chooser(labels: list[str], gram_weights: dict[str, list[float]], weights: dict[str, float], dim: int) -> ArticleChooser:
    """A hand-set chooser: the classifier reads only the given character n-grams (one weight per label); the
    reranker weighs the named features."""
    vocabulary = {g: i for i, g in enumerate(gram_weights)}
    coef = np.zeros((len(vocabulary) + dim, len(labels)), np.float32)
    for g, row in gram_weights.items():
        coef[vocabulary[g]] = row
    head = Head(labels, vocabulary, np.ones(len(vocabulary), np.float32), 2, 0.0, coef,
                np.zeros(len(labels), np.float32), np.zeros(len(labels), np.float32))
    return ArticleChooser(head, np.array([weights.get(f, 0.0) for f in FEATURES], np.float32), 0.0, "fake-256")


def test_retrieval_alone_answers_from_the_article_it_ranks_first(two_articles):
    answer = Answerer(two_articles, relevance=None, articles=None).answer(QUESTION)
    assert answer.passages[0].doc_id == "standard"


def test_the_chooser_answers_from_the_article_the_question_is_about(two_articles):
    pick = chooser(["defences", "standard"], {"守住": [8.0, -8.0], "有什": [4.0, -4.0]},
                   {"best": 1.0, "classifier": 2.0}, dim=256)
    answer = Answerer(two_articles, relevance=None, articles=pick).answer(QUESTION)
    assert answer.passages[0].doc_id == "defences"
    assert answer.text.startswith("**五道防线**") or "顾问式销售、做品牌" in answer.text.split("[1]")[0]
    assert "态度积极" not in answer.text.split("[1]")[0]


def test_an_article_the_classifier_never_saw_is_chosen_on_retrievals_evidence(two_articles):
    """An upload: the classifier knows only 'standard' and some other article. One known candidate has nothing to be
    compared with, so its classifier term is neutral, and retrieval's first article stands."""
    pick = chooser(["standard", "elsewhere"], {"守住": [-8.0, 8.0]}, {"best": 1.0, "classifier": 2.0}, dim=256)
    ranked = pick.rank(QUESTION, np.zeros(256, np.float32), two_articles.search(QUESTION, k=12).passages,
                       two_articles.generation.docs)
    assert ranked[0] == "standard"
    first = articles.candidates(QUESTION, two_articles.search(QUESTION, k=12).passages, two_articles.generation.docs,
                                {"standard": 0.001})[0]
    assert first.doc_id == "standard"
    assert dict(zip(FEATURES, first.features, strict=True))["classifier"] == 0.0  # the only known one: no comparison


def test_the_chooser_is_saved_and_loaded_and_only_used_with_its_embedding_model(tmp_path, monkeypatch, two_articles):
    pick = chooser(["defences", "standard"], {"守住": [8.0, -8.0]}, {"best": 1.0, "classifier": 2.0}, dim=256)
    path = tmp_path / "articles.npz"
    pick.save(path)
    loaded = ArticleChooser.load(path)
    passages = two_articles.search(QUESTION, k=12).passages
    docs = two_articles.generation.docs
    assert loaded.rank(QUESTION, np.zeros(256), passages, docs) == pick.rank(QUESTION, np.zeros(256), passages, docs)
    assert loaded.rank(QUESTION, np.zeros(256), passages, docs)[0] == "defences"

    monkeypatch.setattr(articles, "DATA_FILE", path)
    monkeypatch.setattr(articles, "_cache", {})
    assert default_chooser("fake-256") is not None
    assert default_chooser("multilingual-e5-small") is None  # trained on other vectors: retrieval's order stands


def test_an_unreadable_chooser_file_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    path = tmp_path / "articles.npz"
    path.write_bytes(b"not a numpy archive")
    monkeypatch.setattr(articles, "DATA_FILE", path)
    monkeypatch.setattr(articles, "_cache", {})
    assert default_chooser("fake-256") is None
    assert "article chooser not loaded" in caplog.text


def test_the_shipped_chooser_knows_every_bundled_article():
    from bot.config import PROJECT_ROOT

    shipped = ArticleChooser.load()
    bundled = {p.stem for p in (PROJECT_ROOT / "knowledge").glob("*.md")}
    assert set(shipped.head.labels) == bundled
    assert shipped.embedder == "multilingual-e5-small"
    assert shipped.head.meta["questions"] >= 1000


def test_a_chooser_at_odds_with_the_index_is_skipped_and_the_question_still_answered(two_articles, caplog):
    wrong_size = chooser(["defences", "standard"], {"守住": [8.0, -8.0]}, {"classifier": 2.0}, dim=10)
    answer = Answerer(two_articles, relevance=None, articles=wrong_size).answer(QUESTION)
    assert answer.found
    assert answer.passages[0].doc_id == "standard"
    assert "article chooser failed" in caplog.text
