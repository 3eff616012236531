"""Split documents into passages on Chinese paragraph and sentence boundaries."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from bot.kb.documents import Document
from bot.kb.text import split_sentences

TARGET_CHARS = 400  # about one phone screen; ~250 tokens for the embedder (tuned on eval/)
MAX_CHARS = 600
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# Lines that start a list item or a numbered section: keep them on their own line.
_LIST_ITEM = re.compile(r"^(?:[-*+]\s|\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+[、.．]|[a-zA-Z][)）.]\s?|[①-⑳])")


@dataclass
class Chunk:
    """A passage with everything needed to cite it."""

    chunk_id: str
    doc_id: str
    title: str
    source: str
    section: str
    position: int
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\0{self.section}\0{self.text}".encode()).hexdigest()

    def to_json(self) -> dict:
        return asdict(self)


def sections(text: str, default: str) -> list[tuple[str, list[str]]]:
    """Group paragraphs under their Markdown headings (or one untitled section)."""
    sections: list[tuple[str, list[str]]] = [(default, [])]
    para: list[str] = []

    def flush() -> None:
        if para:
            sections[-1][1].append("\n".join(para))
            para.clear()

    for line in text.splitlines():
        m = _HEADING.match(line.strip())
        if m:
            flush()
            sections.append((m.group(2).strip(), []))
        elif not line.strip():
            flush()
        elif _LIST_ITEM.match(line.strip()) and para and not _LIST_ITEM.match(para[-1]):
            flush()
            para.append(line.strip())
        else:
            para.append(line.strip())
    flush()
    return [(title, paras) for title, paras in sections if paras]


def _split_long(paragraph: str) -> list[str]:
    """Break a paragraph longer than MAX_CHARS into sentence groups near TARGET_CHARS."""
    if len(paragraph) <= MAX_CHARS:
        return [paragraph]
    pieces: list[str] = []
    cur = ""
    for sentence in split_sentences(paragraph):
        while len(sentence) > MAX_CHARS:  # a run-on "sentence" with commas only
            cut = max(sentence.rfind("，", 0, MAX_CHARS), sentence.rfind(",", 0, MAX_CHARS))
            cut = cut + 1 if cut > TARGET_CHARS // 2 else MAX_CHARS
            if cur:
                pieces.append(cur)
                cur = ""
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if cur and len(cur) + len(sentence) > TARGET_CHARS:
            pieces.append(cur)
            cur = ""
        cur += sentence
    if cur:
        pieces.append(cur)
    return pieces


def chunk_document(doc: Document) -> list[Chunk]:
    """Pack paragraphs into passages of about TARGET_CHARS, never across a section heading."""
    chunks: list[Chunk] = []
    for section, paragraphs in sections(doc.text, ""):
        if section == doc.title:
            section = ""
        units = [u for p in paragraphs for u in _split_long(p)]
        cur: list[str] = []
        size = 0
        for unit in units:
            if cur and size + len(unit) > TARGET_CHARS and size >= TARGET_CHARS // 3:
                chunks.append(_make(doc, section, len(chunks), cur))
                cur, size = [], 0
            cur.append(unit)
            size += len(unit)
        if cur:
            # A short tail joins the previous passage of the same section instead of standing alone.
            if (
                chunks
                and size < TARGET_CHARS // 4
                and chunks[-1].section == section
                and len(chunks[-1].text) + size <= MAX_CHARS
            ):
                prev = chunks.pop()
                cur = [prev.text, *cur]
            chunks.append(_make(doc, section, len(chunks), cur))
    return chunks


def _make(doc: Document, section: str, position: int, units: list[str]) -> Chunk:
    return Chunk(
        chunk_id=f"{doc.doc_id}#{position}",
        doc_id=doc.doc_id,
        title=doc.title,
        source=doc.source,
        section=section,
        position=position,
        text="\n".join(units),
    )
