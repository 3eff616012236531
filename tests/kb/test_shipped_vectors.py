"""The passage vectors that ship with the bundled articles: they cover every bundled text, an ingest takes them
instead of embedding, and whatever they do not hold is embedded as before."""

from __future__ import annotations

import numpy as np

from bot.kb.embed import FakeEmbedder
from bot.kb.index import EmbeddingCache, KnowledgeBase, ShippedVectors
from bot.kb.service import shipped_vectors, sync_bundled

DEFAULT_NAME = "multilingual-e5-small"


class Counting(FakeEmbedder):
    """Named as the default model, so the shipped file is the one looked up; counts what it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(384)
        self.name = DEFAULT_NAME
        self.embedded: list[str] = []

    def embed_passages(self, texts, **kw):
        self.embedded += texts
        return super().embed_passages(texts, **kw)


def test_the_shipped_vectors_cover_every_bundled_text(settings, tmp_path):
    """Fails after an edit of knowledge/ until `salescoach models vectors` is run (else every fresh install and
    every CI run embeds the edited articles itself: ~100 s on one core for all of them)."""
    embedder = Counting()
    report = sync_bundled(settings, KnowledgeBase(tmp_path / "kb", embedder, shipped=shipped_vectors(settings)))
    assert report.chunks > 200
    assert embedder.embedded == [], (f"{len(embedder.embedded)} bundled texts have no shipped vector, e.g. "
                                     f"{embedder.embedded[0][:60]!r}: run `salescoach models vectors`")
    assert report.shipped > report.chunks  # the passages and their sentence windows


def test_an_ingest_takes_shipped_vectors_and_embeds_only_the_rest(settings, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# 催货\n\n发货时告诉客户车号、司机电话和预计到达时间。\n", encoding="utf-8")
    folder = tmp_path / "vectors"
    first = KnowledgeBase(tmp_path / "one", Counting())
    first.ingest([docs])
    cache = EmbeddingCache(tmp_path / "one" / "embeddings.sqlite")
    shipped = {h: v + 1.0 for h, v in cache.all(DEFAULT_NAME).items()}  # marked, to see which were used
    cache.close()
    ShippedVectors.write(folder / f"{DEFAULT_NAME}.npz", shipped)

    (docs / "b.md").write_text("# 投诉\n\n先道歉，再记录订单号。\n", encoding="utf-8")
    embedder = Counting()
    kb = KnowledgeBase(tmp_path / "two", embedder, shipped=ShippedVectors(folder))
    report = kb.ingest([docs])
    assert report.shipped == len(shipped)
    assert embedder.embedded
    assert all("投诉" in t or "订单" in t or "道歉" in t for t in embedder.embedded)
    two = EmbeddingCache(tmp_path / "two" / "embeddings.sqlite")
    cached = two.all(DEFAULT_NAME)
    two.close()
    for h, v in shipped.items():  # taken as shipped, and kept in the install's own cache from then on
        assert np.allclose(cached[h], v)


def test_an_unreadable_shipped_file_is_ignored_and_everything_embedded(settings, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# 催货\n\n发货时告诉客户车号。\n", encoding="utf-8")
    folder = tmp_path / "vectors"
    folder.mkdir()
    (folder / f"{DEFAULT_NAME}.npz").write_bytes(b"not a zip")
    embedder = Counting()
    report = KnowledgeBase(tmp_path / "kb", embedder, shipped=ShippedVectors(folder)).ingest([docs])
    assert report.shipped == 0
    assert embedder.embedded
