"""Read files (.md, .txt, .html, .docx, .pdf) into cleaned `Document`s with stable ids and hashes."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.kb.clean import clean_text
from bot.kb.errors import UnreadableDocument

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


@dataclass
class Document:
    """One source document, cleaned, ready to chunk."""

    doc_id: str
    title: str
    source: str
    text: str
    meta: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.doc_id, self.title, self.source, self.text, repr(sorted(self.meta.items()))):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def to_json(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "source": self.source, "text": self.text,
                "meta": self.meta}

    @classmethod
    def from_json(cls, d: dict) -> Document:
        return cls(d["doc_id"], d["title"], d["source"], d["text"], d.get("meta") or {})


def decode_bytes(data: bytes) -> str:
    """Decode text files written in UTF-8 (with or without BOM), GB18030 or Big5."""
    for enc in ("utf-8-sig", "gb18030", "big5"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("not a text file in UTF-8, GB18030 or Big5")


def _html_to_text(markup: str) -> tuple[str, str]:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(markup)
    title = ""
    if (node := tree.css_first("title")) is not None:
        title = node.text(strip=True)
    if (h1 := tree.css_first("h1")) is not None and h1.text(strip=True):
        title = h1.text(strip=True)
    for sel in ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg"):
        for node in tree.css(sel):
            node.decompose()
    body = tree.body or tree.root
    if body is None:
        return title, ""
    blocks = ("p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
              "blockquote", "pre", "table", "ul", "ol", "dd", "dt")
    for tag in blocks:
        for node in body.css(tag):
            node.insert_after("\n")
    text = body.text(separator="", strip=False)
    return title, text


def _docx_to_text(data: bytes) -> tuple[str, str]:
    import docx

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for broken zips
        raise UnreadableDocument(f"not a readable Word document ({exc.__class__.__name__})") from exc
    lines: list[str] = []
    title = (d.core_properties.title or "").strip()
    for p in d.paragraphs:
        text = p.text.strip()
        if not text:
            continue
        if not title and p.style is not None and (p.style.name or "").lower().startswith(("title", "heading")):
            title = text
        lines.append(text)
    for table in d.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" | ".join(dict.fromkeys(cells)))
    return title, "\n\n".join(lines)


def _pdf_to_text(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is password-protected")
        title = ""
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title).strip()
        pages = [(page.extract_text() or "") for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"not a readable PDF ({exc.__class__.__name__})") from exc
    # PDF text breaks lines mid-sentence: join lines inside a paragraph unless a line ends a sentence.
    text = "\n\n".join(pages)
    text = re.sub(r"(?<![。！？!?：:；;\n])\n(?!\n)", "", text)
    return title, text


def parse_markdown(raw: str) -> tuple[dict, str]:
    """Split YAML front matter from a Markdown body; a malformed header is an UnreadableDocument."""
    m = _FRONT_MATTER.match(raw)
    if not m:
        return {}, raw
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise UnreadableDocument("front matter is not a mapping")
    return meta, raw[m.end() :]


def _first_heading(text: str) -> str:
    """A Markdown heading, a short first line, or the first clause of a long one."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line:
            if len(line) <= 40:
                return line
            line = re.sub(r"^[\[【(（][^\]】)）]{1,8}[\]】)）]\s*", "", line)  # "[摘 要]" and the like
            clause = re.split(r"[，,。！？!?；;：:]", line)[0]
            return clause if len(clause) <= 30 else clause[:28] + "…"
    return ""


def load_bytes(name: str, data: bytes, *, max_bytes: int | None = None) -> Document:
    """Turn one file's bytes into a Document, or raise UnreadableDocument with a one-line reason."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(
            f"unsupported file type {suffix or '(none)'}; send .md, .txt, .html, .docx or .pdf"
        )
    if max_bytes is not None and len(data) > max_bytes:
        raise UnreadableDocument(f"too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
    if not data.strip():
        raise UnreadableDocument("the file is empty")
    meta: dict = {}
    title = ""
    if suffix in (".md", ".markdown"):
        meta, body = parse_markdown(decode_bytes(data))
        title = str(meta.get("title") or "") or _first_heading(body)
        text = clean_text(body)
    elif suffix == ".txt":
        text = clean_text(decode_bytes(data))
        title = _first_heading(text)
    elif suffix in (".html", ".htm"):
        title, text = _html_to_text(decode_bytes(data))
        text = clean_text(text)
    elif suffix == ".docx":
        title, text = _docx_to_text(data)
        text = clean_text(text)
    else:
        title, text = _pdf_to_text(data)
        text = clean_text(text)
    if len(re.sub(r"\s", "", text)) < 10:
        raise UnreadableDocument("no readable text in the file (scanned images or only boilerplate?)")
    stem = Path(name).stem
    doc_id = str(meta.get("id") or stem)
    keep = {k: meta[k] for k in ("topic", "tags", "summary_en") if k in meta}
    source = str(meta.get("source") or Path(name).name)
    return Document(doc_id=doc_id, title=(title or stem).strip(), source=source, text=text, meta=keep)


def load_file(path: Path, *, max_bytes: int | None = None) -> Document:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise UnreadableDocument(f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read the file ({exc.strerror or exc.__class__.__name__})") from exc
    return load_bytes(path.name, data, max_bytes=max_bytes)


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files given directly, and every file under given folders (sorted, hidden files skipped)."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    if f.name.lower() in ("readme.md",):
                        continue
                    yield f
        else:
            yield p
