"""The Telegram bot end to end: the real Application from the production factory, a fake Bot API."""

import asyncio
import json
import re
import signal

import pytest

from bot.services import Services
from bot.telegram.render import split_message
from bot.tools.fakeapi import FakeBotAPI, button, inline, message

from .helpers import Running, keyboard


@pytest.fixture
async def running(bot_settings):
    r = await Running(bot_settings).start()
    yield r
    await r.stop()


async def test_start_sets_command_menus_and_offers_languages(running):
    assert tuple({n for n, _ in running.api.calls if n == "setMyCommands"}) == ("setMyCommands", )
    await running.send(message(running.bot, "/start"))
    [sent] = running.api.sent()
    assert "销售教练" in sent["text"]
    assert [t for t, _ in keyboard(sent)] == ["简体中文", "繁體中文", "English"]


def _menus(api) -> dict[tuple, dict[str, str]]:
    """The command menus set, keyed by (scope type, language): {command: description}."""
    menus = {}
    for params in api.sent("setMyCommands"):
        scope = params.get("scope")
        scope = json.loads(scope) if isinstance(scope, str) else scope
        commands = params["commands"]
        commands = json.loads(commands) if isinstance(commands, str) else commands
        key = ((scope or {}).get("type", "default"), params.get("language_code"))
        menus[key] = {c["command"]: c["description"] for c in commands}
    return menus


async def test_menus_for_chinese_english_and_group_chats_are_set_at_start(running):
    """What a user sees behind the "/" button: the default menu, the English one, the group one."""
    menus = _menus(running.api)
    assert menus[("default", None)]["roleplay"] == "角色扮演练习"
    english = menus[("default", "en")]
    assert english["roleplay"] == "Role-play practice"
    assert set(english) == set(menus[("default", None)])  # the same commands, in English
    assert not re.search(r"[\u4e00-\u9fff]", "".join(english.values()))
    group = menus[("all_group_chats", None)]
    assert {"ask", "game", "endgame", "leaderboard"} <= set(group)
    assert "learn" not in group  # study is private
    assert set(menus[("all_group_chats", "en")]) == set(group)
    assert not re.search(r"[\u4e00-\u9fff]", "".join(menus[("all_group_chats", "en")].values()))


async def test_answers_and_their_citation_titles_are_html_escaped(running):
    """A document with "<", ">" and "&" in its title and text: the user sees them as written, never as markup
    (unescaped, Telegram rejects the message or shows a wrong one)."""
    from bot.tools.fakeapi import document

    body = "R&D <新品> 报价规范\n\n给大客户报新品价格时，报价单有效期为十五天，单价 < 成本价 & 运费另计的报价一律不发。".encode()
    await running.send(document(running.bot, running.api, "quote.txt", body, uid=1))
    running.api.clear()
    await running.send(message(running.bot, "报价单有效期多久？", uid=1))
    [sent] = running.api.sent()
    answer, sources = sent["text"].split("<b>来源</b>")
    assert "单价 &lt; 成本价 &amp; 运费另计" in answer
    assert "[1] 《R&amp;D &lt;新品&gt; 报价规范》" in sources
    tags = re.findall(r"</?([a-z]+)[^>]*>", sent["text"])
    assert set(tags) <= {"b", "i"}  # only the markup we meant


async def test_private_question_gets_a_cited_answer_with_buttons(running):
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert running.api.sent("sendChatAction") == []  # a quick answer costs no "typing…" call
    [sent] = running.api.sent()
    assert sent["parse_mode"] == "HTML"
    assert "<b>来源</b>" in sent["text"]
    assert re.search(r"\[\d\] ", sent["text"])
    labels = [t for t, _ in keyboard(sent)]
    assert labels[-3:] == ["🔎 更多结果", "👍", "👎"]
    assert labels[0].startswith("📄 原文 [")


async def test_buttons_show_passage_more_results_and_store_ratings(running):
    await running.send(message(running.bot, "顾客让渡价值怎么算？"))
    buttons = dict((t, d) for t, d in keyboard(running.api.sent()[0]))
    running.api.clear()
    passage_data = next(d for t, d in buttons.items() if t.startswith("📄"))
    await running.send(button(running.bot, passage_data))
    assert "让渡价值" in running.api.texts()[0]
    running.api.clear()
    await running.send(button(running.bot, buttons["🔎 更多结果"]))
    assert running.api.texts()[0].startswith("<b>更多相关资料：</b>")
    await running.send(button(running.bot, buttons["👍"]))
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "谢谢评价！"
    assert [r[2] for r in running.services.store.ratings()] == [1]
    await running.send(button(running.bot, buttons["👎"], uid=77))  # someone else's answer
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "这是别人的提问，请自己发问题。"
    assert [r[2] for r in running.services.store.ratings()] == [1]


@pytest.mark.parametrize("data", ["p:99999:1", "r:1:5", "m:abc", "zz:1", "", "p:1:99", "lang:klingon"])
async def test_stale_or_forged_buttons_get_a_polite_answer(running, data):
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    running.api.clear()
    await running.send(button(running.bot, data))
    [reply] = running.api.sent("answerCallbackQuery")
    assert reply["text"] == "这个按钮已失效，请重新提问。"
    assert running.api.sent() == []


async def test_language_switch_changes_ui_and_passage_script_and_survives_restart(running):
    await running.send(button(running.bot, "lang:zh-TW"))
    assert running.api.sent("editMessageText")[0]["text"] == "已切換為繁體中文。"
    assert running.api.sent("setMyCommands")[-1]["scope"] == {"type": "chat", "chat_id": 42}
    await running.restart()
    await running.send(message(running.bot, "顾客让渡价值是什么？"))
    text = running.api.texts()[-1]
    assert "<b>來源</b>" in text
    assert "讓渡價值" in text


async def test_english_client_gets_english_ui(running):
    await running.send(message(running.bot, "/help", lang="en"))
    assert running.api.texts()[0].startswith("• Send a question")


async def test_groups_answer_only_when_mentioned_replied_or_asked(running):
    group = {"chat_id": -100, "chat_type": "group"}
    await running.send(message(running.bot, "大家今天辛苦了", **group))
    assert running.api.sent() == []
    assert running.api.sent("sendChatAction") == []
    await running.send(message(running.bot, "@coach_bot 大客户流失怎么防？", **group))
    await running.send(message(running.bot, "那投诉电话怎么接？", reply_to_bot=True, **group))
    await running.send(message(running.bot, "/ask 发货时要告诉客户什么", **group))
    answers = running.api.sent()
    assert len(answers) == 3
    assert all(a["chat_id"] == -100 for a in answers)
    assert all("来源" in a["text"] for a in answers)


async def test_inline_query_returns_passages(running):
    await running.send(inline(running.bot, "催货"))
    [call] = running.api.sent("answerInlineQuery")
    results = call["results"]
    results = json.loads(results) if isinstance(results, str) else results
    assert 1 <= len(results) <= 5
    assert results[0]["input_message_content"]["parse_mode"] == "HTML"


async def test_oversize_and_junk_input(running):
    await running.send(message(running.bot, "长" * 5000))
    assert running.api.texts()[-1] == "问题太长了（5000 字）。请精简到 1000 字以内再发。"
    await running.send(message(running.bot, "<script>&&&</script> 投诉"))
    text = running.api.texts()[-1]
    assert "<script>" not in text  # escaped or answered, never raw HTML


async def test_a_handler_failure_is_logged_and_the_user_gets_an_apology(running, monkeypatch, caplog):
    def boom(question):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(running.services.answerer, "answer", boom)
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert running.api.texts()[-1] == "抱歉，出了点问题，请稍后再试。"
    assert "unhandled error" in caplog.text


async def test_answer_buttons_still_work_after_a_restart(running):
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    more = dict(keyboard(running.api.sent()[0]))["🔎 更多结果"]
    await running.restart()
    await running.send(button(running.bot, more))
    assert running.api.texts()[-1].startswith("<b>更多相关资料：</b>")


def test_long_messages_split_on_sentence_boundaries_under_the_limit():
    text = "<b>标题</b>\n" + "客户价值是竞争优势的来源。" * 800
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.endswith("。") for p in parts[:-1])
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


@pytest.mark.parametrize("unit", ["<b>大客户</b>&amp;", "客户&lt;价值&gt;<i>斜</i>", "一段很长的文字<b>粗</b>"])
def test_a_long_run_without_sentence_ends_is_never_cut_inside_a_tag_or_entity(unit):
    text = unit * (3 * 4096 // len(unit))
    parts = split_message(text)
    assert len(parts) > 2
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts) == text
    assert all(re.search(r"<[^>]*$|&[#\w]*$", p) is None for p in parts)  # no part ends in a cut tag or entity


@pytest.mark.parametrize("text", ["<" + "价" * 5000, "&" + "值" * 9000, "大客户<" + "价" * 5000])
def test_plain_text_with_an_unclosed_angle_bracket_or_ampersand_still_splits(text):
    """Plain text (a debrief, a report) can hold a "<" that opens no tag: it once looped for ever."""
    def hung(*_):
        raise TimeoutError("split_message looped")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        parts = split_message(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts) == text


async def test_admin_ingests_a_document_with_progress_and_can_ask_about_it(running):
    from bot.tools.fakeapi import document

    body = "新品报价规范\n\n给大客户报新品价格时，先讲清总成本和交货保障，再谈单价，报价单有效期为十五天。".encode()
    await running.send(document(running.bot, running.api, "报价规范.txt", body, uid=1))
    progress = [p["text"] for p in running.api.sent("editMessageText")]
    assert running.api.texts()[0] == "📥 收到《报价规范.txt》，正在读取…"
    assert progress[0] == "⚙️《报价规范.txt》：正在建立索引…"
    assert progress[-1].startswith("✅《报价规范.txt》已加入")
    running.api.clear()
    await running.send(message(running.bot, "报价单有效期多久？", uid=1))
    assert "十五天" in running.api.texts()[0]
    assert "报价规范.txt" in running.api.texts()[0]
    assert running.services.store.admin_actions()[-1] == (1, "ingest", "报价规范.txt")
    running.api.clear()
    await running.send(message(running.bot, "/kb", uid=1))
    assert "新品报价规范" in running.api.texts()[0]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("slides.pptx", b"PK\x03\x04", "unsupported file type .pptx"),
    ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
    ("empty.txt", b"", "the file is empty"),
])
async def test_admin_gets_a_clear_reason_for_a_bad_file(running, name, data, reason):
    from bot.tools.fakeapi import document

    await running.send(document(running.bot, running.api, name, data, uid=1))
    final = running.api.sent("editMessageText")[-1]["text"]
    assert final.startswith(f"❌ 无法添加《{name}》：")
    assert reason in final


async def test_non_admins_cannot_ingest_or_use_admin_commands(running):
    from bot.tools.fakeapi import document

    await running.send(document(running.bot, running.api, "x.txt", "一些内容足够长的文字用来测试。".encode(), uid=42))
    assert running.api.texts()[-1].startswith("只有管理员可以往知识库里添加文档")
    assert running.api.sent("getFile") == []
    for command in ("/kb", "/reload"):
        await running.send(message(running.bot, command, uid=42))
        assert running.api.texts()[-1] == "这个命令只有管理员能用。"


async def test_server_errors_and_network_failures_are_retried(running):
    from telegram.error import NetworkError

    running.api.failures = [502, NetworkError("connection reset")]
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    names = [n for n, _ in running.api.calls]
    assert sum(n.endswith(":failed") for n in names) == 2
    assert "来源" in running.api.texts()[-1]  # the user still gets the answer


async def test_a_timed_out_send_is_not_repeated_but_a_timed_out_read_is():
    from telegram.error import TimedOut

    from bot.telegram.retry import RetryingRequest

    sleeps = []

    async def no_sleep(s):
        sleeps.append(s)

    inner = FakeBotAPI()
    inner.failures = [TimedOut()]
    req = RetryingRequest(inner, sleep=no_sleep)
    with pytest.raises(TimedOut):
        await req.do_request("https://x/bot1:A/sendMessage", "POST")
    inner.failures = [TimedOut(), 503]
    code, _ = await req.do_request("https://x/bot1:A/getMe", "POST")
    assert code == 200
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize("webhook", [None, "https://coach.example.com/tg"])
def test_run_uses_polling_or_a_webhook_by_setting(bot_settings, monkeypatch, webhook):
    from telegram.ext import Application

    from bot.telegram import app as app_module

    calls = {}
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.setdefault("polling", kw))
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: calls.setdefault("webhook", kw))
    settings = bot_settings.model_copy(update={"webhook_url": webhook})
    services = Services.open(settings)
    try:
        app_module.run(services)
    finally:
        services.close()
    if webhook is None:
        assert list(calls) == ["polling"]
    else:
        kw = calls["webhook"]
        assert kw["webhook_url"].startswith("https://coach.example.com/tg/")
        assert kw["port"] == 8443
        assert "123:ABC" not in kw["url_path"]  # the token never appears in the URL


async def test_the_production_polling_loop_answers_a_question(bot_settings):
    """Not process_update: the real Updater polls the fake API's getUpdates, as in production."""
    import asyncio

    runner = await Running(bot_settings).start()
    app, api = runner.app, runner.api
    await app.start()
    await app.updater.start_polling(poll_interval=0.01, timeout=0)
    try:
        api.push(message(app.bot, "客户一直催货怎么办？", uid=5))
        for _ in range(500):
            if api.sent():
                break
            await asyncio.sleep(0.02)
        [sent] = api.sent()
        assert sent["chat_id"] == 5
        assert "来源" in sent["text"]
    finally:
        await app.updater.stop()
        await app.stop()
        await runner.stop()


async def test_a_slow_answer_shows_typing_first(running, monkeypatch):
    import bot.telegram.context as ctx

    monkeypatch.setattr(ctx, "TYPING_AFTER", 0.0)
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert running.api.sent("sendChatAction")[0]["action"] == "typing"


class _Refuse:
    def in_scope(self, signals, english):
        return False


async def test_an_out_of_scope_question_is_declined_with_buttons_to_the_closest_topics(running):
    running.services.answerer.relevance = _Refuse()
    await running.send(message(running.bot, "明天北京会下雨吗？"))
    [sent] = running.api.sent()
    assert sent["text"].startswith("知识库里没有这方面的内容")
    assert "来源" not in sent["text"]  # nothing is cited for a question the base does not answer
    buttons = keyboard(sent)
    assert buttons
    assert all(t.startswith("📄 ") for t, _ in buttons)
    running.api.clear()
    await running.send(button(running.bot, buttons[0][1]))  # a topic button opens that passage
    [shown] = running.api.sent()
    assert shown["text"].startswith("<b>[1] 《")


async def test_article_markdown_renders_as_telegram_bold_and_sources_show_titles(running):
    await running.send(message(running.bot, "让渡价值的公式是什么？总价值减什么？"))
    [sent] = running.api.sent()
    assert "**" not in sent["text"]
    assert "<b>" in sent["text"].split("<b>来源</b>")[0]  # a heading or a bold formula in the body
    sources = sent["text"].split("<b>来源</b>")[1]
    assert re.search(r"\[1\] 《[^》]+》", sources)
    assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", sent["text"])  # no seed file hashes


async def test_a_group_gets_telegrams_twenty_messages_a_minute_and_nobody_else_waits_for_it(bot_settings):
    """The production rate limiter: a burst of 20 to one group, then one every 3 s; a private chat is not held up."""
    runner = await Running(bot_settings, group_pace=True).start()
    try:
        group = {"chat_id": -100, "chat_type": "group"}
        for _ in range(20):
            await runner.send(message(runner.bot, "/help", uid=5, **group))
        assert len(runner.api.sent()) == 20
        paced = asyncio.create_task(runner.send(message(runner.bot, "/help", uid=5, **group)))
        await asyncio.sleep(0.2)
        await runner.send(message(runner.bot, "/help", uid=6))  # private: answered while the group waits
        sent = runner.api.sent()
        assert [p["chat_id"] for p in sent[20:]] == [6]
        await paced
        times = [t for name, t, _ in runner.api.times if name == "sendMessage"]
        assert [p["chat_id"] for p in runner.api.sent()[20:]] == [6, -100]
        assert times[-1] - times[0] > 2.5
    finally:
        await runner.stop()
