"""Role-play through the real Application and a fake Bot API: choose, read the rubric, talk, restart, score."""

import pytest

from bot.tools.fakeapi import button, message

from .helpers import FakeClock, Running, keyboard


@pytest.fixture
async def running(bot_settings):
    r = await Running(bot_settings).start()
    yield r
    await r.stop()


@pytest.fixture
async def clocked(bot_settings):
    """The bot on a clock the test moves."""
    r = await Running(bot_settings, clock=FakeClock()).start()
    yield r
    await r.stop()


def _button_data(params, label_start: str) -> str:
    return next(d for t, d in keyboard(params) if t.startswith(label_start))


async def _open_late_delivery(running, level="普通", title="第三次延误"):
    await running.send(message(running.bot, "/roleplay"))
    listing = running.api.sent()[-1]
    assert listing["text"].startswith("🎭")
    await running.send(button(running.bot, _button_data(listing, title)))
    levels = running.api.sent("editMessageText")[-1]
    assert "普通" in levels["text"]
    assert "困" in levels["text"]
    await running.send(button(running.bot, _button_data(levels, level)))
    brief = running.api.sent()[-1]
    return brief


async def test_roleplay_shows_brief_and_rubric_then_plays_restarts_and_scores(running):
    brief = await _open_late_delivery(running)
    # The rubric is visible before starting: every criterion with its weight, and the penalties.
    for item in ("真诚道歉并承担责任（20 分）", "告诉客户发货五要素（20 分）", "扣分项", "/hint"):
        assert item in brief["text"]
    await running.send(button(running.bot, _button_data(brief, "▶")))
    opening = running.api.texts()[-1]
    assert opening.startswith("🧑‍💼 韩立：")
    assert "20 吨铝板" in opening

    await running.send(message(running.bot, "韩经理，真对不起，这次延误是我们的责任，给您添麻烦了。"))
    first_reply = running.api.texts()[-1]
    assert first_reply.startswith("🧑‍💼 韩立：")
    assert "来源" not in first_reply  # a turn in the role-play, not a knowledge-base answer

    await running.restart()  # the bot restarts mid-session: the conversation carries on
    await running.send(message(running.bot, "/hint"))
    hint = running.api.texts()[-1]
    assert hint.startswith("💡 提示")
    await running.send(message(running.bot, "车牌苏E·5K723，司机电话 139-1234-5678，预计今天下午 3 点前到工地。"))
    assert running.api.texts()[-1].startswith("🧑‍💼 韩立：")

    running.api.clear()
    await running.send(message(running.bot, "/end"))
    card = running.api.texts()[0]
    assert "总分：" in card
    assert "✅ 达成 真诚道歉并承担责任（20 分）：「韩经理，真对不起，这次延误是我们的责任，给您添麻烦了。」" in card
    assert "✅ 达成 告诉客户发货五要素" in card
    assert "❌ 未达成 书面整改与回访" in card
    assert "🚀 开始做" in card
    assert "🎯 下一次练习" in card
    [photo] = running.api.sent("sendPhoto")
    assert photo["caption"].startswith("评分图：第三次延误")
    [(_, upload)] = running.api.uploads
    assert next(iter(upload["_files"].values())).startswith(b"\x89PNG")

    # Stored: history lists it, the transcript has every line, and the next text is a question again.
    await running.send(message(running.bot, "/history"))
    assert "第三次延误" in running.api.texts()[-1]
    assert "/100" in running.api.texts()[-1]
    [session] = running.services.store.roleplays(42)
    assert [r for r, _ in running.services.store.roleplay_transcript(session.session_id)] == \
        ["customer", "rep", "customer", "rep", "customer"]
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert "来源" in running.api.texts()[-1]


async def test_a_bad_conversation_loses_the_customer_and_ends_with_a_scorecard(running):
    brief = await _open_late_delivery(running, "困难")
    await running.send(button(running.bot, _button_data(brief, "▶")))
    await running.send(message(running.bot, "您别激动，这真不是我们的问题，是物流公司的问题。"))
    texts = running.api.texts()
    assert "远东板材" in texts[-3]  # the customer walks away ...
    assert texts[-2] == "🏁 这次练习结束了：客户离开了。评分在下面；再练一次发 /roleplay。"  # ... the rep is told ...
    assert "结果：客户离开了" in texts[-1]  # ... and the scorecard follows without /end
    assert "🛑 停止做" in texts[-1]
    await running.send(message(running.bot, "/end"))
    assert running.api.texts()[-1] == "现在没有进行中的练习。发 /roleplay 开始一个。"
    # A line meant for the customer after the meeting ended is not silently taken as a question.
    await running.send(message(running.bot, "韩经理，您听我解释一下"))
    notice = running.api.texts()[-2]
    assert notice.startswith("（《第三次延误：大客户来电投诉催货》的练习已经结束，客户听不到了。")
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert not running.api.texts()[-2].startswith("（《")  # told once, not before every question


def _rerun_after_a_crash(running, update, delivered: list[str]) -> None:
    """What the journal does at the next start (bot.telegram.inbox): `update` is re-run, and of its ending
    only `delivered` had reached the rep when the bot died."""
    running.app.bot_data.setdefault("replayed", set()).add(update.update_id)
    session = running.services.store.roleplays(42, limit=1)[0]
    session.state["delivered"] = delivered
    running.services.store.save_roleplay_turn(session.session_id, session.state, len(session.state["transcript"]))
    running.api.clear()


@pytest.mark.parametrize("ending", ["customer-left", "/end"])
async def test_an_ending_run_again_after_a_crash_sends_only_what_the_rep_missed(running, ending):
    """A re-run of the update that ended a role-play is neither a question nor a new turn, and what reached
    the rep before the crash is not sent again."""
    await running.send(button(running.bot, "rp:go:late-delivery-complaint:hard"))
    last = message(running.bot, "您别激动，这真不是我们的问题，是物流公司的问题。" if ending == "customer-left" else "/end")
    await running.send(last)
    assert sum("总分：" in x for x in running.api.texts()) == 1
    sessions = len(running.services.store.roleplays(42, status=None))

    _rerun_after_a_crash(running, last, ["line", "card", "chart"])  # everything had gone out
    await running.send(last)
    assert running.api.calls == []

    _rerun_after_a_crash(running, last, ["line", "card"])  # cut off while drawing the chart
    await running.send(last)
    assert running.api.texts() == []
    assert len(running.api.sent("sendPhoto")) == 1

    _rerun_after_a_crash(running, last, [])  # cut off before anything went out
    await running.send(last)
    texts = running.api.texts()
    if ending == "customer-left":
        assert "远东板材" in texts[0]
        assert texts[1].startswith("🏁 这次练习结束了：客户离开了")
    assert len(texts) == (3 if ending == "customer-left" else 1)
    assert "总分：" in texts[-1]
    assert ("结果：客户离开了" in texts[-1]) == (ending == "customer-left")
    assert len(running.api.sent("sendPhoto")) == 1
    assert len(running.services.store.roleplays(42, status=None)) == sessions  # nothing new was started
    assert running.services.coach.active(42) is None


async def test_roleplay_edges(running):
    await running.send(message(running.bot, "/hint"))
    assert running.api.texts()[-1] == "现在没有进行中的练习。发 /roleplay 开始一个。"
    await running.send(message(running.bot, "/history"))
    assert running.api.texts()[-1] == "你还没有完成过练习。发 /roleplay 开始。"
    await running.send(button(running.bot, "rp:s:no-such-scenario"))
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效，请重新提问。"
    await running.send(button(running.bot, "rp:go:late-delivery-complaint:impossible"))
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效，请重新提问。"

    brief = await _open_late_delivery(running)
    start = _button_data(brief, "▶")
    await running.send(button(running.bot, start))
    await running.send(button(running.bot, start))  # a second start while one runs
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "先结束当前的练习（/end），再开始新的。"
    await running.send(message(running.bot, "好" * 700))
    assert running.api.texts()[-1] == "这句话太长了（700 字）。对话里一次说一段，600 字以内。"
    await running.send(message(running.bot, "/roleplay"))
    status = running.api.sent()[-1]
    assert status["text"].startswith("你有一个进行中的练习：《第三次延误")
    await running.send(button(running.bot, _button_data(status, "💬")))
    assert running.api.texts()[-1].startswith("🧑‍💼 韩立：")
    await running.send(button(running.bot, _button_data(status, "🏁")))
    assert "总分：0/100" in running.api.texts()[-1]
    await running.send(button(running.bot, _button_data(status, "🏁")))  # stale: already ended
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "现在没有进行中的练习。发 /roleplay 开始一个。"


async def test_roleplay_in_a_group_points_to_the_private_chat(running):
    await running.send(message(running.bot, "/roleplay", chat_id=-100, chat_type="group"))
    sent = running.api.sent()[-1]
    assert sent["text"] == "角色扮演在私聊里进行，点下面的按钮来找我。"
    markup = sent["reply_markup"]
    assert "start=roleplay" in str(markup)
    await running.send(message(running.bot, "/start roleplay"))
    assert running.api.sent()[-1]["text"].startswith("🎭 选择一个练习场景")


async def test_traditional_script_users_get_the_customer_in_traditional(running):
    await running.send(button(running.bot, "lang:zh-TW"))
    brief = await _open_late_delivery(running, title="第三次延誤")
    assert "評分標準" in brief["text"]
    await running.send(button(running.bot, _button_data(brief, "▶")))
    assert running.api.texts()[-1].startswith("🧑‍💼 韓立：")


async def test_a_text_hours_after_the_last_turn_is_not_assumed_to_be_for_the_customer(clocked):
    running = clocked
    brief = await _open_late_delivery(running)
    await running.send(button(running.bot, _button_data(brief, "▶")))
    store = running.services.store
    running.clock.t += 5 * 3600  # five hours on, a text is still a line for the customer
    await running.send(message(running.bot, "您好，韩经理。"))
    assert running.api.texts()[-1].startswith("🧑‍💼 韩立：")
    running.clock.t += 7 * 3600  # the rep comes back 7 hours later
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    parked = running.api.sent()[-1]
    assert parked["text"] == "你有一个 7 小时前的练习《第三次延误：大客户来电投诉催货》还没结束。刚才这句话是说给客户的吗？"
    await running.send(button(running.bot, _button_data(parked, "❓")))
    assert "来源" in running.api.texts()[-1]  # answered as a question; the session is still open
    await running.send(button(running.bot, _button_data(parked, "❓")))  # pressed twice: nothing left to answer
    assert running.api.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效，请重新提问。"

    running.clock.t += 7 * 3600
    await running.send(message(running.bot, "韩经理，对不起，是我们的责任。"))
    parked = running.api.sent()[-1]
    await running.send(button(running.bot, _button_data(parked, "💬")))
    assert running.api.texts()[-1].startswith("🧑‍💼 韩立：")
    [session] = store.roleplays(42, status="active")
    assert session.state["transcript"][3] == {"role": "rep", "text": "韩经理，对不起，是我们的责任。"}
