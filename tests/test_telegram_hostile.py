"""Hostile and broken conditions through the real Application and the fake Bot API: what users, admins
and the operator's log see when the store cannot be written, callbacks are forged, messages are edited."""

from __future__ import annotations

import logging

import pytest

from bot.telegram.fakeapi import message

from .conftest import make_settings
from .test_telegram import Running

ADMIN = 1


@pytest.fixture
async def running(tmp_path):
    r = await Running(make_settings(tmp_path / "data", telegram_token="123:ABC", admin_ids=[ADMIN],
                                    trainer_ids=[2])).start()
    yield r
    await r.stop()


async def test_an_unwritable_store_is_said_plainly_and_the_admins_hear_once(running, caplog):
    running.services.store.db.execute("PRAGMA query_only = ON")  # what a read-only file or full disk looks like
    caplog.set_level(logging.INFO)
    for uid in (42, 43):
        await running.send(message(running.bot, "/start", uid=uid))
    to_users = [p["text"] for p in running.api.sent() if int(p["chat_id"]) in (42, 43)]
    assert to_users == ["⚠️ 服务器暂时无法保存数据，你刚才的操作没有记录下来。管理员已收到通知，请稍后再试。"] * 2
    to_admin = [p["text"] for p in running.api.sent() if int(p["chat_id"]) == ADMIN]
    assert len(to_admin) == 1  # not once per update
    assert to_admin[0].startswith("⚠️ 存储写不进去了：the store ")
    assert "readonly" in to_admin[0]
    assert "抱歉，出了点问题" not in str(running.api.texts())
    assert "Traceback" not in caplog.text
    assert "unhandled error" not in caplog.text
    running.services.store.db.execute("PRAGMA query_only = OFF")  # space freed: it works again, no restart
    running.api.clear()
    await running.send(message(running.bot, "/start", uid=42))
    assert "销售教练" in running.api.texts()[0]
