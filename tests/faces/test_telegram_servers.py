"""The Telegram bot end to end on shared servers: the real Application and a fake Bot API, with the state in
PostgreSQL and the knowledge base on a `chroma run` started here, next to the default (SQLite, embedded).
Two bots with their own tokens and data dirs share what a user did and what an admin uploaded."""

import pytest

from bot.tools.fakeapi import button, document, message
from tests.conftest import make_settings
from tests.servers import chroma_server, postgres_schema

from .helpers import Running, keyboard

QUOTE = "新品报价规范\n\n给大客户报新品价格时，先讲清总成本和交货保障，再谈单价，报价单有效期为十五天。".encode()


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    yield from chroma_server(tmp_path_factory.mktemp("chroma"))


@pytest.fixture
def servers(chroma_url):
    """The module's Chroma server, emptied (each test ingests the bundled knowledge anew), and a fresh
    PostgreSQL schema."""
    from bot.kb import server as srv

    chroma = srv.client(chroma_url)
    for col in chroma.list_collections():
        chroma.delete_collection(col if isinstance(col, str) else col.name)
    for url in postgres_schema():
        yield {"database_url": url, "chroma_url": chroma_url}


@pytest.fixture(params=["default", "servers"])
def mode(request):
    if request.param == "default":
        return {}
    return request.getfixturevalue("servers")


def _bot(tmp_path, name: str, token: str, **mode) -> Running:
    return Running(make_settings(tmp_path / name, telegram_token=token, admin_ids=[1], trainer_ids=[2], **mode))


async def test_an_answer_its_rating_a_language_and_a_role_play_turn_survive_a_restart(tmp_path, mode):
    bot = await _bot(tmp_path, "data", "123:ABC", **mode).start()
    try:
        await bot.send(message(bot.bot, "顾客让渡价值怎么算？"))
        buttons = dict(keyboard(bot.api.sent()[0]))
        await bot.send(button(bot.bot, buttons["👍"]))
        await bot.send(button(bot.bot, "lang:zh-TW"))
        await bot.send(button(bot.bot, "rp:go:late-delivery-complaint:normal", uid=43))
        await bot.send(message(bot.bot, "王总，非常抱歉，我马上核实车号和到货时间。", uid=43))
        await bot.restart()
        assert [r[2] for r in bot.services.store.ratings()] == [1]
        session = bot.services.store.active_roleplay(43)
        assert "王总，非常抱歉，我马上核实车号和到货时间。" in [t["text"] for t in session.state["transcript"]]
        bot.api.clear()
        await bot.send(message(bot.bot, "顾客让渡价值是什么？"))
        assert "<b>來源</b>" in bot.api.texts()[-1]
        assert "讓渡價值" in bot.api.texts()[-1]
    finally:
        await bot.stop()


async def test_two_bots_with_their_own_tokens_share_users_and_uploads(tmp_path, servers):
    north = await _bot(tmp_path, "north", "111:NORTH", **servers).start()
    south = await _bot(tmp_path, "south", "222:SOUTH", **servers).start()
    try:
        await north.send(document(north.bot, north.api, "报价规范.txt", QUOTE, uid=1))
        assert north.api.sent("editMessageText")[-1]["text"].startswith("✅《报价规范.txt》已加入")
        await north.send(button(north.bot, "lang:zh-TW", uid=50))
        await south.send(message(south.bot, "报价单有效期多久？", uid=50))
        answer = south.api.texts()[-1]
        assert "十五天" in answer  # uploaded to the north bot, answered by the south one
        assert "報價規範.txt" in answer or "报价规范.txt" in answer
        assert "<b>來源</b>" in answer  # the language chosen with the north bot
    finally:
        await north.stop()
        await south.stop()
