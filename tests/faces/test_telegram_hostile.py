"""Hostile and broken conditions through the real Application and the fake Bot API: what users, admins
and the operator's log see when the store cannot be written, callbacks are forged, messages are edited."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.tools.fakeapi import button, message

from .helpers import Running

ADMIN = 1


@pytest.fixture
async def running(face_settings):
    r = await Running(face_settings(telegram_token="123:ABC", admin_ids=[ADMIN], trainer_ids=[2])).start()
    yield r
    await r.stop()


async def test_an_unwritable_store_is_said_plainly_and_the_admins_hear_once(running, caplog):
    store = running.services.store
    store.db.execute("PRAGMA query_only = ON" if store.dialect == "sqlite"  # a read-only file or a full disk
                     else "SET default_transaction_read_only = on")  # a read-only standby
    caplog.set_level(logging.INFO)
    for uid in (42, 43):
        await running.send(button(running.bot, "lang:en", uid=uid))  # a write: refused in one line
    to_users = [p["text"] for p in running.api.sent() if int(p["chat_id"]) in (42, 43)]
    assert to_users == ["⚠️ 服务器暂时无法保存数据，你刚才的操作没有记录下来。管理员已收到通知，请稍后再试。"] * 2
    await running.send(message(running.bot, "/start", uid=44))  # only reads: answered as usual
    assert "销售教练" in running.api.texts()[-1]
    to_admin = [p["text"] for p in running.api.sent() if int(p["chat_id"]) == ADMIN]
    assert len(to_admin) == 1  # not once per update
    assert to_admin[0].startswith("⚠️ 存储写不进去了：the store ")
    assert "readonly" in to_admin[0] or "read-only" in to_admin[0]
    assert "抱歉，出了点问题" not in str(running.api.texts())
    assert "Traceback" not in caplog.text
    assert "unhandled error" not in caplog.text
    store.db.execute("PRAGMA query_only = OFF" if store.dialect == "sqlite"  # space freed: works again, no restart
                     else "SET default_transaction_read_only = off")
    running.api.clear()
    await running.send(message(running.bot, "/start", uid=42))
    assert "销售教练" in running.api.texts()[0]
    assert [p["text"] for p in running.api.sent() if int(p["chat_id"]) == ADMIN] == ["✅ 存储恢复了，又能保存数据了。"]


# --------------------------------------------------------------------------- the journal after a crash
def _cut_off(store, update, attempts: int) -> None:
    """What a crash leaves in the journal: `update` kept, and its handling begun `attempts` times."""
    store.receive_update(update.update_id, json.dumps(update.to_dict(), ensure_ascii=False))
    for _ in range(attempts):
        store.start_update(update.update_id)


async def test_re_runs_after_a_crash_go_one_at_a_time_so_only_the_one_that_crashes_is_charged(running,
                                                                                               monkeypatch):
    from bot.telegram import messages as messages_module
    from bot.telegram.inbox import replay_unfinished

    store = running.services.store
    first, second = message(running.bot, "客户一直催货怎么办？", uid=51), message(running.bot, "怎么做需求挖掘？", uid=52)
    for update in (first, second):
        _cut_off(store, update, 1)  # both were under way when the bot died
    release, started, first_began = asyncio.Event(), [], asyncio.Event()

    async def answer(update, context, question):
        started.append(update.effective_user.id)
        if update.effective_user.id == 51:
            first_began.set()
            await release.wait()  # the first hangs (or would bring the bot down again)

    monkeypatch.setattr(messages_module, "answer_question", answer)
    queued = await replay_unfinished(running.app)
    assert [u.update_id for u in queued] == [first.update_id, second.update_id]
    runs = [asyncio.create_task(running.app.process_update(running.app.update_queue.get_nowait())) for _ in queued]
    fresh = message(running.bot, "/help", uid=53)
    await asyncio.wait_for(running.send(fresh), 5)  # a new update is not held up by the re-runs
    await asyncio.wait_for(first_began.wait(), 5)  # the first reaches its answer (routed off the event loop)
    assert started == [51]  # the second has not begun: a crash now charges the first only
    assert [(u, a) for u, _, _, a in store.unfinished_updates()] == [(first.update_id, 2), (second.update_id, 1)]
    release.set()
    await asyncio.gather(*runs)
    assert started == [51, 52]
    assert store.unfinished_updates() == []


async def test_an_update_cut_off_three_times_is_dropped_and_its_sender_told_which_once(running, caplog):
    from bot.telegram.inbox import replay_unfinished

    store = running.services.store
    poison = message(running.bot, "这条消息每次处理都会让机器人崩溃，三次以后就放弃它吧", uid=54)
    _cut_off(store, poison, 3)
    caplog.set_level(logging.WARNING)
    assert await replay_unfinished(running.app) == []
    assert running.api.texts() == ["⚠️ 你发的消息「这条消息每次处理都会让机器人崩溃，三次以后就放弃它吧」处理了 3 次都没能完成，已经放弃。"
                                   "请换个说法再发，或者告诉管理员。"]
    assert f"journaled update {poison.update_id} (message) dropped: its handling was cut off 3 times" in caplog.text
    assert store.unfinished_updates() == []
    assert await replay_unfinished(running.app) == []  # the next start says nothing more
    assert len(running.api.texts()) == 1


# --------------------------------------------------------------------------- game buttons in context
@pytest.fixture
async def game(face_settings):
    from .helpers import GameRunning

    settings = face_settings(telegram_token="123:ABC", trainer_ids=[TRAINER], game_minutes=5, game_vote_minutes=5)
    r = await GameRunning(settings).start()
    for uid in (A1, B1, OUTSIDER, TRAINER):
        await r.send(message(r.bot, "/start", uid=uid))
    r.api.clear()
    yield r
    await r.stop()


TRAINER, A1, B1, OUTSIDER = 2, 11, 13, 50
GROUP, OTHER_GROUP = -100, -200


def _alerts(api) -> list[str]:
    return [p.get("text") for p in api.sent("answerCallbackQuery")]


async def _open_lobby(r) -> int:
    from .helpers import group

    await r.send(group(r.bot, "/game", TRAINER))
    game_id, _ = r.services.games.open(GROUP)
    return game_id


async def _start_game(r) -> int:
    from bot.tools.fakeapi import button

    game_id = await _open_lobby(r)
    await r.send(button(r.bot, f"g:{game_id}:join:A", uid=A1, chat_id=GROUP))
    await r.send(button(r.bot, f"g:{game_id}:join:B", uid=B1, chat_id=GROUP))
    await r.send(button(r.bot, f"g:{game_id}:start", uid=TRAINER, chat_id=GROUP))
    return game_id


@pytest.mark.parametrize("where", [OTHER_GROUP, OUTSIDER])  # another group, a private chat
async def test_a_game_button_from_another_chat_cannot_join_read_the_brief_or_vote(game, where):
    from bot.tools.fakeapi import button

    from .helpers import to

    game_id = await _open_lobby(game)
    await game.send(button(game.bot, f"g:{game_id}:join:B", uid=OUTSIDER, chat_id=where))
    assert _alerts(game.api)[-1] == "这个按钮只在开这局游戏的群里有效。"
    assert game.services.games.get(game_id).team_of(OUTSIDER) is None

    await game.send(button(game.bot, f"g:{game_id}:join:A", uid=A1, chat_id=GROUP))
    await game.send(button(game.bot, f"g:{game_id}:join:B", uid=B1, chat_id=GROUP))
    await game.send(button(game.bot, f"g:{game_id}:start", uid=TRAINER, chat_id=where))  # even a trainer's
    assert game.services.games.get(game_id).status == "lobby"
    await game.send(button(game.bot, f"g:{game_id}:start", uid=TRAINER, chat_id=GROUP))
    assert not any("你们是 B 组" in text for text in to(game.api, OUTSIDER))

    from .helpers import group

    await game.send(group(game.bot, "/endgame", TRAINER))  # time is up: team B votes
    assert game.services.games.get(game_id).status == "voting"
    await game.send(button(game.bot, f"g:{game_id}:vote:0", uid=B1, chat_id=where))  # a player, elsewhere
    assert _alerts(game.api)[-1] == "这个按钮只在开这局游戏的群里有效。"
    assert game.services.games.get(game_id).state["votes"] == {}


async def test_the_vote_button_before_the_vote_says_it_has_not_started(game):
    from bot.tools.fakeapi import button

    game_id = await _start_game(game)
    await game.send(button(game.bot, f"g:{game_id}:vote:1", uid=B1, chat_id=GROUP))
    assert _alerts(game.api)[-1] == "投票还没开始：时间到了，B 组才投票。"
    assert game.services.games.get(game_id).state["votes"] == {}


@pytest.mark.parametrize("data", [
    "p:" + "9" * 42, "r:" + "9" * 42 + ":1", "p:1:" + "9" * 42, "g:" + "9" * 42 + ":join:A", "g:-1:join:A",
    "g:１:join:A", "g:1_0:join:A", "g:{gid}:join:C", "g:{gid}:join:A:x", "g:{gid}:vote:7", "g:{gid}:nope",
    "st:e:" + "9" * 42 + ":0:0", "st:e:1:" + "9" * 42 + ":0", "st:a:zzz:" + "9" * 42, "st:l:x:" + "9" * 42,
])
async def test_forged_callback_ids_get_a_polite_no_never_an_error(game, data, caplog):
    from bot.tools.fakeapi import button

    game_id = await _open_lobby(game)
    game.api.clear()
    await game.send(button(game.bot, data.format(gid=game_id), uid=A1, chat_id=GROUP))
    [answer] = game.api.sent("answerCallbackQuery")
    assert "失效" in answer["text"]
    assert "抱歉，出了点问题" not in str(game.api.texts())
    assert "unhandled error" not in caplog.text
    assert game.services.games.get(game_id).state["players"] == {}


async def test_a_join_during_the_lobby_post_is_not_erased(game, monkeypatch):
    """/game saved the game it read before posting the lobby: a join that landed meanwhile was lost."""
    import asyncio

    from bot.tools.fakeapi import button

    from .helpers import group

    posted, release = asyncio.Event(), asyncio.Event()
    real = game.api.do_request

    async def slow_lobby(url, method, request_data=None, **kw):
        params = request_data.parameters if request_data else {}
        if url.endswith("/sendMessage") and str(params.get("text", "")).startswith("🎲"):
            posted.set()
            await release.wait()
        return await real(url, method, request_data, **kw)

    monkeypatch.setattr(game.api, "do_request", slow_lobby)
    command = asyncio.create_task(game.send(group(game.bot, "/game", TRAINER)))
    await asyncio.wait_for(posted.wait(), 10)
    game_id, _ = game.services.games.open(GROUP)
    await game.send(button(game.bot, f"g:{game_id}:join:A", uid=A1, chat_id=GROUP))
    assert _alerts(game.api)[-1].startswith("你在 A 组")
    release.set()
    await command
    stored = game.services.games.get(game_id)
    assert stored.team_of(A1) == "A"  # what he was told
    assert stored.state["lobby_message"] is not None


# --------------------------------------------------------------------------- edited messages
async def test_an_edited_game_line_replaces_the_line_instead_of_adding_one(game):
    from bot.tools.fakeapi import edited

    from .helpers import group

    game_id = await _start_game(game)
    game.api.clear()
    line = group(game.bot, "我们可以给 5% 折扣。", A1)
    await game.send(line)
    await game.send(edited(game.bot, line, "我们先把交货保障做好，再谈价格。"))
    lines = [(m["user_id"], m["text"]) for m in game.services.store.game_messages(game_id)]
    assert lines == [(A1, "我们先把交货保障做好，再谈价格。")]
    assert [p for p in game.api.sent() if int(p["chat_id"]) == GROUP] == []  # the bot stays quiet in the group during play


async def test_an_edited_command_is_not_run_again(game):
    from bot.tools.fakeapi import edited

    from .helpers import group

    game_id = await _start_game(game)
    await game.send(edited(game.bot, group(game.bot, "好的", TRAINER), "/endgame"))
    assert game.services.games.get(game_id).status == "running"


async def test_an_edited_message_in_a_role_play_is_not_a_new_turn(running):
    from bot.tools.fakeapi import edited

    running.services.coach.start(42, 42, "late-delivery-complaint")
    turn = message(running.bot, "韩经理，真对不起，这次延误是我们的责任。")
    await running.send(turn)
    transcript = running.services.store.roleplay_transcript(running.services.coach.active(42).session_id)
    running.api.clear()
    await running.send(edited(running.bot, turn, "韩经理，对不起，是我们的责任，车号马上发您。"))
    assert running.api.texts() == ["✏️ 改过的消息不算新的一轮，客户只回应新发的消息。想补充或改口，请直接再发一条。"]
    session = running.services.coach.active(42)
    assert running.services.store.roleplay_transcript(session.session_id) == transcript


# --------------------------------------------------------------------------- trainer and exam input
async def test_assign_with_an_unknown_level_names_the_valid_ones(game):
    from .helpers import group, to

    await game.send(group(game.bot, "大家好", A1))
    await game.send(group(game.bot, "/assign price-objection insane", TRAINER))
    assert to(game.api, GROUP)[-1] == ("没有“insane”这个难度。可选：easy、normal、hard，"
                                       "例如 /assign price-objection hard 3")
    assert game.services.store.assignments() == []


async def test_exam_in_a_group_is_taken_privately_through_a_deep_link(game):
    from bot.tools.fakeapi import button

    from .helpers import group, to

    await game.send(group(game.bot, "/exam", A1))
    [post] = [p for p in game.api.sent() if int(p["chat_id"]) == GROUP]
    assert post["text"] == "认证考试在私聊里进行：点下面的按钮，私聊我就能开始。"
    [[link]] = post["reply_markup"]["inline_keyboard"]
    assert link["url"] == "https://t.me/coach_bot?start=exam"
    await game.send(button(game.bot, "st:x", uid=A1, chat_id=GROUP))  # an old start button in the group
    assert _alerts(game.api)[-1] == "认证考试在私聊里进行：私聊我发 /exam。"
    assert not any(text.startswith("📝 考试 第") for text in to(game.api, GROUP))
    await game.send(message(game.bot, "/start exam", uid=A1))
    assert to(game.api, A1)[-1].startswith("📝 认证考试：")


async def test_an_exam_option_out_of_range_is_refused_not_stored(game):
    from bot.tools.fakeapi import button

    await game.send(button(game.bot, "st:x", uid=A1))
    [exam] = game.services.store.exams(A1)
    question = game.services.study.questions[exam["questions"][0]]
    await game.send(button(game.bot, f"st:e:{exam['attempt_id']}:0:{len(question.options)}", uid=A1))
    assert "失效" in _alerts(game.api)[-1]
    assert game.services.store.exam(exam["attempt_id"])["answers"] == []
    await game.send(button(game.bot, f"st:e:{exam['attempt_id']}:0:0", uid=A1))
    assert game.services.store.exam(exam["attempt_id"])["answers"] == [0]


async def test_a_second_poller_on_the_token_is_one_log_line_not_a_traceback_per_poll(running, caplog):
    """Polling errors reach the application's error handler (run_polling wires them there)."""
    from telegram.error import Conflict

    for _ in range(5):
        await running.app.process_error(update=None, error=Conflict("terminated by other getUpdates request"))
    lines = [r for r in caplog.records if r.name == "bot.telegram.app"]
    assert [r.getMessage() for r in lines] == [
        "another process is getting this bot's updates (Telegram says Conflict): stop it; "
        "only one salescoach may run per token"]
    assert lines[0].exc_info is None
    assert running.api.sent() == []
