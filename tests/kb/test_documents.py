import io

import pytest

from bot.kb.chunk import MAX_CHARS, chunk_document
from bot.kb.documents import Document, load_bytes
from bot.kb.errors import UnreadableDocument

MD = """---
id: demo
title: 示例文章
topic: value
tags: [让渡价值]
source: seed.txt
summary_en: A demo article.
---
# 示例文章

## 第一节

顾客让渡价值等于总价值减去总成本。总价值包括产品、服务、人员和形象价值。

## 第二节

1. 货币成本
2. 时间成本
"""


def test_markdown_front_matter_becomes_metadata_and_sections_become_chunks():
    doc = load_bytes("demo.md", MD.encode())
    assert (doc.doc_id, doc.title, doc.source) == ("demo", "示例文章", "seed.txt")
    assert doc.meta["summary_en"] == "A demo article."
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == ["第一节", "第二节"]
    assert chunks[1].text == "1. 货币成本\n2. 时间成本"
    assert [c.position for c in chunks] == [0, 1]
    assert chunks[0].chunk_id == "demo#0"


def test_gb18030_text_and_html_are_read():
    doc = load_bytes("旧文章.txt", "大客户管理\n\n客户一直催货时，先确认发货时间。".encode("gb18030"))
    assert doc.title == "大客户管理"
    assert "催货" in doc.text
    html = "<html><head><title>页</title><script>x=1</script></head><body><nav>首页 | 登录</nav>" \
           "<h1>投诉处理</h1><p>先道歉，再确认问题。</p><footer>版权所有</footer></body></html>"
    doc = load_bytes("page.html", html.encode())
    assert doc.title == "投诉处理"
    assert "先道歉，再确认问题。" in doc.text
    assert "x=1" not in doc.text
    assert "版权所有" not in doc.text


def test_docx_is_read_with_its_tables():
    import docx

    d = docx.Document()
    d.add_heading("顾问式销售", level=1)
    d.add_paragraph("顾问式销售把价值重点从产品本身转到产品之外。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "关系型销售"
    table.rows[0].cells[1].text = "淡化价格"
    buf = io.BytesIO()
    d.save(buf)
    doc = load_bytes("sales.docx", buf.getvalue())
    assert doc.title == "顾问式销售"
    assert "产品之外" in doc.text
    assert "关系型销售 | 淡化价格" in doc.text


def test_pdf_is_read():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "Customer delivered value is total value minus total cost.")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    plt.close(fig)
    doc = load_bytes("value.pdf", buf.getvalue())
    assert "total value minus total cost" in doc.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("slides.pptx", b"PK\x03\x04", "unsupported file type .pptx"),
        ("empty.txt", b"   \n", "the file is empty"),
        ("broken.docx", b"this is not a zip", "not a readable Word document"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("binary.txt", bytes(range(128, 256)) * 8, "not a text file"),
        ("chrome.txt", "下载 相关 举报\n第1页 / 共13页\n".encode(), "no readable text"),
        ("glosses.md", "---\nsections_en: [one, two]\n---\n## 要点\n发货时告诉客户车号和司机电话。\n".encode(),
         "'sections_en' must map each heading to an English sentence"),
    ],
)
def test_bad_files_get_a_one_line_reason(name, data, reason):
    with pytest.raises(UnreadableDocument) as info:
        load_bytes(name, data)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_oversized_files_are_refused():
    with pytest.raises(UnreadableDocument, match="too large"):
        load_bytes("big.txt", "销售".encode() * 1000, max_bytes=100)


def test_long_paragraphs_split_on_sentence_boundaries():
    sentence = "客户价值是竞争优势的最大来源，企业必须提供比竞争者更多的价值。"
    doc = Document("long", "长文", "long.txt", sentence * 40)
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == sentence * 40
