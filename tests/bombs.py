"""Hostile files as they were sent to the bot: built here, byte for byte, instead of stored."""

from __future__ import annotations

import io
import zipfile


def alias_bomb_markdown() -> bytes:
    """The 540-byte-class Markdown whose front matter expands to 9**7 strings: `a0: &a0 [lol x9]`,
    seven levels of nine aliases each, `tags: *a7`."""
    lines = ["---", "title: 报价技巧", "a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines += ["tags: *a7", "---", "# 报价技巧", "", "报价时先讲清总成本和交货保障，再谈单价。"]
    return "\n".join(lines).encode()


def docx_with_paragraphs(paragraphs: int, text: str = "催货", *, numbered: bool = False) -> bytes:
    """A valid Word file whose body holds ``paragraphs`` copies of one short paragraph (numbered, so
    they survive the boilerplate filter, with ``numbered``). Unnumbered they compress 300-fold: a few
    hundred KB unzip to a body python-docx would build a tree of millions of elements from."""
    import docx

    d = docx.Document()
    d.add_paragraph("x")
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                head = data.decode().split("<w:body>")[0]
                body = "".join(f"<w:p><w:r><w:t>{text}{n if numbered else ''}</w:t></w:r></w:p>"
                               for n in range(paragraphs))
                data = (head + "<w:body>" + body + "</w:body></w:document>").encode()
            z.writestr(item, data)
    return out.getvalue()
