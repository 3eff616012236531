"""Read files (.md, .txt, .html, .docx, .pdf) into cleaned `Document`s with stable ids and hashes.

Files come from outside (an admin's upload, a folder on the server), so every parser here is
bounded: YAML front matter by size, depth, aliases and expanded nodes; Word files by unzipped size
and paragraphs before python-docx sees them; PDFs by pages; HTML by tags; all by extracted text.
Going over a limit is an UnreadableDocument with a one-line reason. Time and memory are bounded
by running this module in a child process (see `bot.kb.extract`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.kb.clean import clean_text
from bot.kb.errors import UnreadableDocument

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)

# Limits on what an outside file may make a parser do. Real input stays far below them: the bundled
# articles' front matter is under 1 KB, never nested deeper than 2 and without aliases; a 300-page
# Word manual has ~6 000 paragraphs and ~5 MB of XML; a book of 500 pages is ~400 000 characters.
MAX_FRONT_MATTER_CHARS = 16_000
MAX_YAML_DEPTH = 10
MAX_YAML_ALIASES = 20
MAX_YAML_NODES = 5_000  # nodes once aliases are expanded: what using the metadata would cost
MAX_TEXT_CHARS = 1_000_000  # extracted text; more would hold the index builder for many minutes
MAX_UNZIPPED_BYTES = 100_000_000  # every part of a .docx, pictures included (python-docx loads them all)
MAX_DOCX_XML_BYTES = 30_000_000  # the XML parts python-docx parses into a tree
MAX_DOCX_PARTS = 2_000
MAX_PARAGRAPHS = 50_000
MAX_PDF_PAGES = 1_000
TITLE_SEARCH_PARAGRAPHS = 200
MAX_HTML_TAGS = 500_000


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

    if (tags := markup.count("<")) > MAX_HTML_TAGS:
        raise UnreadableDocument(f"too many HTML tags ({tags:,}; the limit is {MAX_HTML_TAGS:,})")
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


def _check_docx(data: bytes) -> None:
    """Refuse a Word file whose parts would expand past the limits, before python-docx parses them.

    The sizes come from the zip's directory; a part that lies about its size fails its CRC check
    when read, and the paragraphs are counted by a streaming parse that keeps no tree.
    """
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
            if len(parts) > MAX_DOCX_PARTS:
                raise UnreadableDocument(f"too many parts in the Word file ({len(parts):,}; the limit is "
                                         f"{MAX_DOCX_PARTS:,})")
            total = sum(p.file_size for p in parts)
            if total > MAX_UNZIPPED_BYTES:
                raise UnreadableDocument(f"the Word file unzips to {total / 1e6:.0f} MB; the limit is "
                                         f"{MAX_UNZIPPED_BYTES / 1e6:.0f} MB")
            xml = sum(p.file_size for p in parts if p.filename.endswith((".xml", ".rels")))
            if xml > MAX_DOCX_XML_BYTES:
                raise UnreadableDocument(f"the Word file holds {xml / 1e6:.0f} MB of XML; the limit is "
                                         f"{MAX_DOCX_XML_BYTES / 1e6:.0f} MB")
            if "word/document.xml" not in z.namelist():
                return  # python-docx gives the reason
            paragraph = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
            count = 0
            with z.open("word/document.xml") as fh:
                for _, element in etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True,
                                                  huge_tree=False):
                    if element.tag == paragraph:
                        count += 1
                        if count > MAX_PARAGRAPHS:
                            raise UnreadableDocument(f"too many paragraphs in the Word file (more than "
                                                     f"{MAX_PARAGRAPHS:,}, the limit)")
                        element.clear(keep_tail=False)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, etree.XMLSyntaxError, EOFError) as exc:
        raise UnreadableDocument(f"not a readable Word document ({exc.__class__.__name__})") from exc


def _docx_to_text(data: bytes) -> tuple[str, str]:
    import docx

    _check_docx(data)
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for broken zips
        raise UnreadableDocument(f"not a readable Word document ({exc.__class__.__name__})") from exc
    lines: list[str] = []
    title = (d.core_properties.title or "").strip()
    for n, p in enumerate(d.paragraphs):
        text = p.text.strip()
        if not text:
            continue
        # A title is near the top; looking a paragraph's style up costs ~1 ms (python-docx scans
        # every style), which made a 45 000-paragraph file take 33 s when it had no heading.
        if not title and n < TITLE_SEARCH_PARAGRAPHS and p.style is not None \
                and (p.style.name or "").lower().startswith(("title", "heading")):
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
        if (count := len(reader.pages)) > MAX_PDF_PAGES:
            raise UnreadableDocument(f"too many pages ({count:,}; the limit is {MAX_PDF_PAGES:,})")
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > 2 * MAX_TEXT_CHARS:  # raw PDF text is padded with spaces: judge the clean text
                raise UnreadableDocument(_too_much_text(chars))
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"not a readable PDF ({exc.__class__.__name__})") from exc
    # PDF text breaks lines mid-sentence: join lines inside a paragraph unless a line ends a sentence.
    text = "\n\n".join(pages)
    text = re.sub(r"(?<![。！？!?：:；;\n])\n(?!\n)", "", text)
    return title, text


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing deep nesting and many aliases while it composes the node graph.

    Safe loading alone does not stop an alias bomb: nine references to a list of nine references,
    seven levels deep, load in microseconds as shared objects and become 4.8 million strings the
    moment anything walks them (hashing, JSON, indexing the tags).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise UnreadableDocument(f"front matter uses too many YAML aliases (more than {MAX_YAML_ALIASES})")
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise UnreadableDocument(f"front matter is nested too deeply (more than {MAX_YAML_DEPTH} levels)")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_nodes(root: yaml.Node, budget: int) -> int:
    """How many nodes the graph has once aliases are expanded, counting no further than ``budget``+1."""
    count, stack = 0, [root]
    while stack and count <= budget:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return count


def load_front_matter(text: str) -> object:
    """YAML from outside, bounded in size, depth, aliases and expanded nodes; UnreadableDocument beyond."""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise UnreadableDocument(f"front matter is too long ({len(text):,} characters; the limit is "
                                 f"{MAX_FRONT_MATTER_CHARS:,})")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise UnreadableDocument(f"front matter expands to too many values (more than {MAX_YAML_NODES:,}; "
                                     "YAML aliases?)")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    except RecursionError as exc:  # a construct the depth count does not see; never expected
        raise UnreadableDocument("front matter is nested too deeply") from exc
    finally:
        loader.dispose()


def parse_markdown(raw: str) -> tuple[dict, str]:
    """Split YAML front matter from a Markdown body; a malformed or oversized header is an UnreadableDocument."""
    m = _FRONT_MATTER.match(raw)
    if not m:
        return {}, raw
    meta = load_front_matter(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise UnreadableDocument("front matter is not a mapping")
    for key in ("id", "title", "source", "topic", "summary_en"):
        if key in meta and isinstance(meta[key], list | dict):
            raise UnreadableDocument(f"front matter field '{key}' must be text, not a list or mapping")
    if "tags" in meta and not (isinstance(meta["tags"], list)
                               and all(not isinstance(t, list | dict) for t in meta["tags"])):
        raise UnreadableDocument("front matter field 'tags' must be a list of words")
    glosses = meta.get("sections_en")
    if glosses is not None and not (isinstance(glosses, dict) and all(
            isinstance(k, str | None) and isinstance(v, str) for k, v in glosses.items())):
        raise UnreadableDocument("front matter field 'sections_en' must map each heading to an English sentence")
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


def _too_much_text(chars: int) -> str:
    return f"too much text ({chars:,} characters; the limit is {MAX_TEXT_CHARS:,}): split the file"


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
    if len(text) > MAX_TEXT_CHARS:
        raise UnreadableDocument(_too_much_text(len(text)))
    if len(re.sub(r"\s", "", text)) < 10:
        raise UnreadableDocument("no readable text in the file (scanned images or only boilerplate?)")
    stem = Path(name).stem
    doc_id = str(meta.get("id") or stem)
    keep = {k: meta[k] for k in ("topic", "tags", "summary_en", "sections_en") if k in meta}
    source = str(meta.get("source") or Path(name).name)
    return Document(doc_id=doc_id, title=(title or stem).strip(), source=source, text=text, meta=keep)


def read_file_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """A file's bytes, refused with one line when it is too large or unreadable."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise UnreadableDocument(f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read the file ({exc.strerror or exc.__class__.__name__})") from exc


def load_file(path: Path, *, max_bytes: int | None = None) -> Document:
    return load_bytes(path.name, read_file_bytes(path, max_bytes), max_bytes=max_bytes)


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
