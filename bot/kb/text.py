"""Chinese-aware text normalisation and word segmentation shared by indexing and querying."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

# A pinyin reading inserted after a character by broken web converters: 關(guān), 營(yíng).
PINYIN_ANNOTATION = re.compile(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+(?:[.'][a-z0-9]+)*", re.IGNORECASE)

# Function words that carry no topic; kept short on purpose (BM25's idf handles the rest).
STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "或", "也", "就", "都", "而", "又", "把", "被", "让", "给", "对", "从", "向", "于", "以", "之", "其", "这", "那", "这个", "那个", "一个", "一种", "什么", "怎么", "怎样", "如何", "为什么", "哪些", "哪个", "吗", "呢", "吧", "啊", "呀", "么", "我", "你", "他", "她", "它", "我们", "你们", "他们", "可以", "能", "会", "要", "应该", "有", "没有", "个", "些", "等", "等等", "请问", "一下", "问", "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "was", "be", "what", "how", "why", "which", "who", "do", "does", "can", "i", "we", "you", "it", "that", "this", "with", "by", "as", "at", "from", "about", "my", "our", "your"]
)


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


# t2s keeps 著 (隨著, 意味著, 接著) because 著 is also a simplified character; outside the words
# where simplified writes 著 (著名, 显著, 名著, ...), it is the particle 着.
_ZHE_PARTICLE = re.compile(r"(?<![显名巨原土卓昭论编专遗译合])著(?![名作称书述录者])")


@functools.cache
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@functools.cache
def _s2tw():
    import opencc

    try:
        return opencc.OpenCC("s2twp")
    except Exception:  # the reimplementation may lack the phrase table
        return _s2t()


def strip_pinyin(text: str) -> str:
    return PINYIN_ANNOTATION.sub("", text)


def to_simplified(text: str) -> str:
    if not _HAN.search(text):
        return text
    text = _t2s().convert(text)
    return _ZHE_PARTICLE.sub("着", text) if "著" in text else text


def to_traditional(text: str) -> str:
    """Simplified → Traditional (Taiwan phrasing) for readers who asked in traditional script."""
    return _s2tw().convert(text) if _HAN.search(text) else text


def looks_traditional(text: str) -> bool:
    """True when converting to simplified changes a noticeable share of the Han characters."""
    han = _HAN.findall(text)
    if not han:
        return False
    simplified = to_simplified(text)
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b)
    return changed >= max(1, len(han) // 20)


def normalize(text: str, *, lower: bool = True) -> str:
    """The matching form of a text: NFKC, pinyin annotations removed, simplified script, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_pinyin(text)
    text = to_simplified(text)
    return text.lower() if lower else text


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


_vocabulary = [0]  # how many times add_words taught the segmenter: a cache of segmented text keys on it


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter domain terms (让渡价值, 大客户, ...) so they stay whole."""
    tk = _jieba()
    for w in words:
        w = normalize(w).strip()
        if 2 <= len(w) <= 12 and " " not in w:
            tk.add_word(w, freq=20000)
    _vocabulary[0] += 1


def vocabulary_version() -> int:
    """Changes whenever the segmenter learns words (text segmented before may now split differently)."""
    return _vocabulary[0]


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Index terms: jieba search-mode words plus Han character bigrams, stopwords dropped.

    Words give precision; bigrams keep recall when the segmenter splits a term differently in
    the question and in the passage (a classic failure of Chinese retrieval).
    """
    fields = lexical_fields(text, normalized=normalized)
    return fields["words"] + fields["bigrams"]


# The lexical index keeps three views of a text, each with its own BM25 and weight (tuned on eval/,
# see Retriever._lexical): words are precise, character bigrams survive a different segmentation
# of the same term, single characters survive a paraphrase that shares only key characters.
LEXICAL_FIELDS = ("words", "bigrams", "chars")


def lexical_fields(text: str, *, normalized: bool = False) -> dict[str, list[str]]:
    """The terms of ``text`` for each lexical field (see LEXICAL_FIELDS), stopwords dropped."""
    if not normalized:
        text = normalize(text)
    words = [t for t in (tok.strip() for tok in _jieba().cut_for_search(text))
             if t and t not in STOPWORDS and _WORD.search(t)]
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    bigrams = [run[i : i + 2] for run in runs for i in range(len(run) - 1)]
    chars = [c for run in runs for c in run if c not in STOPWORDS]
    return {"words": words, "bigrams": bigrams, "chars": chars}


@functools.cache
def _glossary(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    import yaml

    path = Path(__file__).with_name("data") / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # Longest phrases first, so "customer delivered value" wins over "customer".
    return tuple(sorted(((str(k).lower(), tuple(map(str, v))) for k, v in data.items()), key=lambda kv: -len(kv[0])))


def expand_query(query: str) -> str:
    """Append knowledge-base wording for English sales phrases and colloquial Chinese in ``query``.

    Used for the lexical index only: the dense model already bridges languages and registers,
    BM25 needs the words themselves (glossary.yaml, colloquial.yaml).
    """
    text = normalize(query)
    extra: list[str] = []
    if re.search(r"[a-z]{3,}", text):
        for phrase, terms in _glossary("glossary"):
            if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text):
                extra.extend(terms)
                text = text.replace(phrase, " ")
    for phrase, terms in _glossary("colloquial"):
        if phrase in text:
            extra.extend(terms)
    return query + (" " + " ".join(dict.fromkeys(extra)) if extra else "")


def split_sentences(text: str) -> list[str]:
    """Split on Chinese and Western sentence ends, keeping the punctuation and closing quotes."""
    parts = re.split(r"(?<=[。！？!?；;…])(?![”’」』）)])|(?<=\.)\s+", text)
    return [p for p in (s.strip() for s in parts) if p]


def is_english(text: str) -> bool:
    """A question written in English (Latin letters outnumber Chinese characters)."""
    latin = len(re.findall(r"[A-Za-z]", text))
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    return latin > 3 * han and latin >= 4
