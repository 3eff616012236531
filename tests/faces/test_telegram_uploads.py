"""Admin uploads under attack and accident, end to end through the real Application and a fake Bot API:
what the admin sees, that everyone else keeps being answered, and that nothing uploaded is lost."""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest

from bot.kb import extract
from bot.kb.extract import ReadLimits
from bot.tools.fakeapi import document, message
from tests.bombs import alias_bomb_markdown, docx_with_paragraphs

from .helpers import Running


@pytest.fixture
def bot_settings(face_settings):
    return face_settings(telegram_token="123:ABC", admin_ids=[1], trainer_ids=[2])


@pytest.fixture
async def running(bot_settings):
    r = await Running(bot_settings).start()
    yield r
    await r.stop()


def _final_status(running) -> str:
    return running.api.sent("editMessageText")[-1]["text"]


async def test_the_alias_bomb_is_refused_in_one_line_and_memory_stays_flat(running):
    rss = psutil.Process().memory_info().rss
    started = time.perf_counter()
    await running.send(document(running.bot, running.api, "报价技巧.md", alias_bomb_markdown(), uid=1))
    assert _final_status(running) == \
        "❌ 无法添加《报价技巧.md》：front matter uses too many YAML aliases (more than 20)"
    assert time.perf_counter() - started < 5
    assert psutil.Process().memory_info().rss - rss < 100_000_000
    assert running.services.store.uploads()[-1].stage == "failed"


async def test_the_docx_bomb_gets_its_real_reason_not_scanned_images(running):
    await running.send(document(running.bot, running.api, "手册.docx", docx_with_paragraphs(1_500_000), uid=1))
    final = _final_status(running)
    assert final.startswith("❌ 无法添加《手册.docx》：the Word file holds ")
    assert "scanned images" not in final


async def test_help_is_answered_at_once_while_an_upload_is_being_read(running, monkeypatch):
    # A reader that never finishes stands in for any parser gone wrong; it is stopped at the limit.
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:never_returns")
    monkeypatch.setattr(extract, "DEFAULT_LIMITS", ReadLimits(seconds=3))
    upload = asyncio.create_task(running.send(document(running.bot, running.api, "慢.pdf", b"%PDF-1.4", uid=1)))
    await asyncio.sleep(0.5)
    asked = time.perf_counter()
    await asyncio.wait_for(running.send(message(running.bot, "/help", uid=42)), timeout=2)
    help_sent = next(at for name, at, p in running.api.times if name == "sendMessage" and p["chat_id"] == 42)
    assert help_sent - asked < 1
    assert not upload.done()
    await upload
    assert _final_status(running) == "❌ 无法添加《慢.pdf》：reading the file took longer than 3 s and was stopped"


async def test_a_memory_hungry_upload_is_stopped_and_the_bot_does_not_grow(running, monkeypatch):
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:eats_memory")
    monkeypatch.setattr(extract, "DEFAULT_LIMITS", ReadLimits(seconds=30, memory_bytes=400 << 20))
    rss = psutil.Process().memory_info().rss
    await running.send(document(running.bot, running.api, "炸弹.docx", b"PK\x03\x04", uid=1))
    assert _final_status(running) == \
        "❌ 无法添加《炸弹.docx》：reading the file needed more than 400 MB of memory and was stopped"
    assert psutil.Process().memory_info().rss - rss < 50_000_000


async def test_an_upload_named_like_a_bundled_article_sits_beside_it_and_survives_restarts(running):
    body = ("---\ntitle: 我们公司的投诉电话流程\n---\n# 我们公司的投诉电话流程\n\n"
            "接到投诉电话时，先报工号，再用蓝色登记表记下客户编号，十分钟内转给区域经理。").encode()
    await running.send(document(running.bot, running.api, "complaint-call-script.md", body, uid=1))
    final = _final_status(running)
    assert final.startswith("✅《complaint-call-script.md》已加入")
    assert "内置知识库里有同名文章《投诉电话怎么接：规范话术与接诉流程》：两篇都保留，互不覆盖。" in final
    for _ in range(2):  # each start syncs knowledge/ into the index: the upload must outlive it
        await running.restart()
        docs = running.services.retriever.generation.docs
        assert docs["upload:complaint-call-script"].title == "我们公司的投诉电话流程"
        assert docs["complaint-call-script"].title == "投诉电话怎么接：规范话术与接诉流程"
        running.api.clear()
        await running.send(message(running.bot, "投诉电话用什么颜色的登记表？", uid=1))
        assert "蓝色登记表" in running.api.texts()[0]
    await running.send(message(running.bot, "/reload", uid=1))
    assert running.api.texts()[-1] == "已重新加载：0 篇新增，0 篇更新，0 篇移除。"
    assert "upload:complaint-call-script" in running.services.retriever.generation.docs


async def test_a_document_without_size_over_the_download_limit_gets_a_clear_reason(running, caplog):
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    await running.send(document(running.bot, running.api, "年度报告.pdf", big, uid=1, with_size=False))
    assert running.api.texts() == ["📥 收到《年度报告.pdf》，正在读取…"]  # no apology, no second message
    assert _final_status(running) == ("❌ 无法添加《年度报告.pdf》：too large: Telegram lets bots download "
                                      "files of up to 20 MB; the limit here is 20 MB")
    assert "Traceback" not in caplog.text
    assert "unhandled error" not in caplog.text
    assert running.services.store.uploads()[-1].stage == "failed"


async def test_an_unexpected_failure_still_finishes_the_status(running, monkeypatch):
    def broken(document):
        raise OSError("No space left on device")

    monkeypatch.setattr(running.services, "ingest", broken)
    body = "新品报价规范\n\n报价单有效期为十五天，过期需重新审批。".encode()
    await running.send(document(running.bot, running.api, "报价.txt", body, uid=1))
    assert _final_status(running) == "❌ 无法添加《报价.txt》：处理时出了意外错误（已记录），请稍后再试。"


async def test_the_admin_is_told_at_the_next_start_that_a_crash_interrupted_an_upload(running, monkeypatch):
    monkeypatch.setattr(extract, "READER", "tests.hostile_readers:never_returns")
    upload = asyncio.create_task(running.send(document(running.bot, running.api, "合同模板.docx", b"PK", uid=1)))
    for _ in range(100):  # until the file is being read
        await asyncio.sleep(0.05)
        if running.services.store.uploads() and running.services.store.uploads()[-1].stage == "reading":
            break
    upload.cancel()  # the process dies here: nothing after this line of the handler runs
    with pytest.raises(asyncio.CancelledError):
        await upload
    status_id = running.services.store.uploads()[-1].status_message_id
    assert running.api.sent("editMessageText") == []  # stuck at "reading…"
    running.api.clear()
    await running.restart()
    [edit] = running.api.sent("editMessageText")
    assert (edit["message_id"], edit["text"]) == (status_id, "❌ 无法添加《合同模板.docx》：处理时机器人中断了。")
    assert running.api.texts() == ["⚠️ 机器人刚刚重启：上次处理《合同模板.docx》时（读取时）中断了，文档没有加入知识库。"
                                   "请重新发送，重复发送不会产生重复内容。"]
    running.api.clear()
    await running.restart()  # told once, not at every start
    assert running.api.texts() == []


async def test_an_upload_interrupted_after_its_index_was_swapped_in_is_reported_as_added(running, monkeypatch):
    body = "新品报价规范\n\n报价单有效期为十五天，过期需重新审批。".encode()
    original = running.services.store.set_upload_stage

    def crash_before_done(upload_id, stage, detail=""):
        if stage == "done":
            raise asyncio.CancelledError  # killed between the index swap and the last write
        original(upload_id, stage, detail)

    monkeypatch.setattr(running.services.store, "set_upload_stage", crash_before_done)
    with pytest.raises(asyncio.CancelledError):
        await running.send(document(running.bot, running.api, "报价规范.txt", body, uid=1))
    monkeypatch.undo()
    running.api.clear()
    await running.restart()
    assert running.api.texts() == ["⚠️ 机器人刚刚重启：上次处理《报价规范.txt》时中断了，但文档已经完整加入知识库，无需重发。"]
