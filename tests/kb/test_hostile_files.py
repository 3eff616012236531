"""Hostile files: every parser is bounded and says why it refused, in one line; a reader that runs
away anyway is stopped by the child process's wall clock and memory limit."""

from __future__ import annotations

import asyncio
import io
import resource
import time

import psutil
import pytest

from bot.kb import documents, extract
from bot.kb.documents import load_bytes
from bot.kb.errors import UnreadableDocument
from bot.kb.extract import ReadLimits, read_document
from tests.bombs import alias_bomb_markdown, docx_with_paragraphs


def _reason(name: str, data: bytes) -> str:
    with pytest.raises(UnreadableDocument) as info:
        load_bytes(name, data)
    reason = str(info.value)
    assert "\n" not in reason
    return reason


def _front_matter(yaml_text: str) -> bytes:
    return f"---\n{yaml_text}\n---\n# 标题\n\n客户一直催货时，先确认发货时间再回复客户。\n".encode()


def test_the_alias_bomb_is_refused_at_once_without_expanding():
    data = alias_bomb_markdown()
    assert len(data) < 600
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert _reason("bomb.md", data) == "front matter uses too many YAML aliases (more than 20)"
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20_000  # KB: nothing was expanded


def test_few_aliases_that_still_expand_to_millions_are_refused():
    # 3 aliases per level, 15 levels: under the alias limit, but 3**15 values once walked.
    lines = ["a0: &a0 [lol, lol, lol]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 7)]
    reason = _reason("bomb.md", _front_matter("\n".join(lines) + "\ntags: *a6"))
    assert reason.startswith("front matter expands to too many values")


@pytest.mark.parametrize(("yaml_text", "reason"), [
    ("tags: " + "[" * 50 + "x" + "]" * 50, "front matter is nested too deeply (more than 10 levels)"),
    ("summary_en: '" + "x" * 20_000 + "'", "front matter is too long (20,014 characters; the limit is 16,000)"),
    ("title: [a, b]", "front matter field 'title' must be text, not a list or mapping"),
    ("tags: [[a, b], c]", "front matter field 'tags' must be a list of words"),
    ("a: &x [*x]\ntags: *x", "front matter expands to too many values"),  # a recursive alias
    ("title: !!python/object/apply:os.system [echo hi]", "front matter is not valid YAML (ConstructorError)"),
])
def test_hostile_front_matter_gets_a_one_line_reason(yaml_text, reason):
    assert _reason("x.md", _front_matter(yaml_text)).startswith(reason)


def test_ordinary_front_matter_with_a_few_aliases_still_loads():
    doc = load_bytes("x.md", _front_matter("id: demo\nbase: &b [催货, 投诉]\ntags: *b\ntitle: 示例"))
    assert (doc.doc_id, doc.title, doc.meta["tags"]) == ("demo", "示例", ["催货", "投诉"])


def test_a_docx_that_unzips_to_a_huge_body_is_refused_before_python_docx_parses_it():
    # The case from the issue: ~1.5 million paragraphs in a few hundred KB. It used to hold the bot
    # for 96 s and then be refused as "scanned images".
    bomb = docx_with_paragraphs(1_500_000)
    assert len(bomb) < 500_000
    started = time.perf_counter()
    reason = _reason("bomb.docx", bomb)
    assert reason.startswith("the Word file holds ")
    assert reason.endswith("MB of XML; the limit is 30 MB")
    assert time.perf_counter() - started < 2


def test_a_docx_with_too_many_small_paragraphs_is_refused_by_count():
    reason = _reason("many.docx", docx_with_paragraphs(60_000, numbered=True))
    assert reason == "too many paragraphs in the Word file (more than 50,000, the limit)"


def test_a_docx_over_the_unzipped_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(documents, "MAX_UNZIPPED_BYTES", 1000)
    assert _reason("big.docx", docx_with_paragraphs(10)).startswith("the Word file unzips to ")


def test_a_pdf_with_too_many_pages_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(documents.MAX_PDF_PAGES + 1):
        writer.add_blank_page(10, 10)
    buf = io.BytesIO()
    writer.write(buf)
    assert _reason("pages.pdf", buf.getvalue()) == "too many pages (1,001; the limit is 1,000)"


def test_html_with_too_many_tags_and_text_too_long_to_index_are_refused():
    assert _reason("tags.html", b"<i>" * 600_000).startswith("too many HTML tags (600,000; the limit is 500,000)")
    text = ("客户一直催货时，先确认发货时间。" * 70_000).encode()  # 1.12 million characters
    assert _reason("book.txt", text).startswith("too much text (1,120,000 characters; the limit is 1,000,000)")


# --------------------------------------------------------------------------- the child process
async def test_a_real_file_reads_the_same_through_the_child_process():
    doc = await read_document("sales.docx", docx_with_paragraphs(3, "顾问式销售把价值重点从产品本身转到产品之外。", numbered=True))
    assert "产品之外" in doc.text
    with pytest.raises(UnreadableDocument, match="^front matter uses too many YAML aliases"):
        await read_document("bomb.md", alias_bomb_markdown())


async def test_a_reader_that_never_returns_is_killed_at_the_time_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:never_returns")
    monkeypatch.setenv("HOSTILE_PID_FILE", str(tmp_path / "pid"))
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument) as info:
        await read_document("slow.docx", b"PK", limits=ReadLimits(seconds=2))
    assert str(info.value) == "reading the file took longer than 2 s and was stopped"
    assert time.perf_counter() - started < 4
    pid = int((tmp_path / "pid").read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_a_reader_that_eats_memory_is_stopped_at_the_memory_limit_and_the_bot_does_not_grow(monkeypatch):
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:eats_memory")
    rss_before = psutil.Process().memory_info().rss
    with pytest.raises(UnreadableDocument) as info:
        await read_document("bomb.docx", b"PK", limits=ReadLimits(seconds=30, memory_bytes=400 << 20))
    assert str(info.value) == "reading the file needed more than 400 MB of memory and was stopped"
    assert psutil.Process().memory_info().rss - rss_before < 50_000_000


async def test_the_event_loop_keeps_running_while_a_file_is_read(monkeypatch):
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:never_returns")
    ticks: list[float] = []

    async def heartbeat():
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.05)

    beat = asyncio.create_task(heartbeat())
    with pytest.raises(UnreadableDocument):
        await read_document("slow.pdf", b"%PDF", limits=ReadLimits(seconds=1.5))
    beat.cancel()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 15
    assert max(gaps) < 0.5



# --------------------------------------------------------------------------- the command line
@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("SALESCOACH_LLM_PROVIDER", "none")
    return tmp_path


def test_cli_ingest_reads_files_in_the_child_and_reports_a_bomb_in_one_line(cli_env):
    from typer.testing import CliRunner

    from bot.cli import app

    docs = cli_env / "docs"
    docs.mkdir()
    (docs / "bomb.md").write_bytes(alias_bomb_markdown())
    (docs / "huge.docx").write_bytes(docx_with_paragraphs(1_500_000))
    (docs / "good.txt").write_text("拜访客户\n\n面对面的拜访最能建立信任。", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(docs), "--kb", str(cli_env / "kb")])
    assert result.exit_code == 2
    assert "bomb.md: front matter uses too many YAML aliases (more than 20)" in result.output
    assert "huge.docx: the Word file holds " in result.output
    assert "1 added" in result.output


def test_cli_ingest_stops_a_runaway_reader(cli_env, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:never_returns")
    monkeypatch.setattr(extract, "DEFAULT_LIMITS", ReadLimits(seconds=2))
    (cli_env / "slow.pdf").write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(app, ["ingest", str(cli_env / "slow.pdf"), "--kb", str(cli_env / "kb")])
    assert "slow.pdf: reading the file took longer than 2 s and was stopped" in result.output


def test_cli_ingest_into_the_default_kb_never_replaces_a_bundled_article(cli_env):
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.config import Settings
    from bot.kb.service import knowledge_base

    mine = cli_env / "complaint-call-script.md"
    mine.write_text("# 我们的投诉流程\n\n接到投诉电话时先报工号，再用蓝色登记表记下客户编号。", encoding="utf-8")
    assert CliRunner().invoke(app, ["ingest", str(mine)]).exit_code == 0
    assert CliRunner().invoke(app, ["ingest"]).exit_code == 0  # a later sync of knowledge/
    docs = knowledge_base(Settings(_env_file=None)).documents()
    assert docs["upload:complaint-call-script"].title == "我们的投诉流程"
    assert docs["complaint-call-script"].meta["origin"] == "bundled"


async def test_a_long_word_file_without_headings_reads_in_seconds():
    # 40 000 paragraphs, none a heading: python-docx's style lookup per paragraph took ~33 s.
    started = time.perf_counter()
    doc = await read_document("manual.docx", docx_with_paragraphs(40_000, "客户催货时先确认发货时间", numbered=True))
    assert doc.text.count("先确认发货时间") == 40_000
    assert time.perf_counter() - started < 12
