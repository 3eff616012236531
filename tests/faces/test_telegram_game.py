"""The key-account game in a group through the fake Bot API: a trainer, four players, a fake clock that the test
moves (the production job queue schedules the reminders and the end; the test runs them when their time comes)."""


import pytest
from telegram.ext import JobQueue

from bot.coach.game import (
    GameAlreadyOpen,
    GameError,
    GameStarted,
    NotPaused,
    NotRunning,
    NotTeamB,
    NotVoting,
    TeamsIncomplete,
    UnknownScene,
)
from bot.telegram import game as game_module
from bot.tools.fakeapi import button, message

from .helpers import A1, A2, B1, B2, GROUP, OUTSIDER, TRAINER, FakeClock, GameRunning, group, to


@pytest.fixture
async def running(face_settings, monkeypatch):
    clock = FakeClock()
    run_once = JobQueue.run_once

    def noting_due(queue, callback, when, *args, data=None, **kwargs):
        """Each game job notes when, in the fake clock, it was scheduled to run."""
        if callback is game_module._on_clock:
            data = {**data, "due": clock.t + when}
        return run_once(queue, callback, when, *args, data=data, **kwargs)

    monkeypatch.setattr(JobQueue, "run_once", noting_due)
    settings = face_settings(telegram_token="123:ABC", trainer_ids=[TRAINER],
                             game_minutes=30, game_reminders=[10, 5], game_vote_minutes=5)
    r = await GameRunning(settings, clock=clock).start()
    yield r
    await r.stop()


async def advance(running, seconds: float) -> None:
    """Move the fake clock on by `seconds`, running each game job that falls due on the way, in time order, as
    the job queue would (its real delays are minutes, so none runs by itself during a test)."""
    target = running.clock.t + seconds
    while True:
        due = [(j.data["due"], j) for j in running.app.job_queue.jobs()
               if j.name and j.name.startswith(game_module.JOB_PREFIX) and not j.removed]
        due = [(at, j) for at, j in due if at <= target]
        if not due:
            break
        at, job = min(due, key=lambda x: x[0])
        running.clock.t = max(running.clock.t, at)
        job.schedule_removal()
        await job.run(running.app)
    running.clock.t = target


async def test_key_account_game_end_to_end(running):
    api, bot = running.api, running.bot
    for uid in (A1, B1, B2, TRAINER):  # they opened a private chat with the bot; A2 never did
        await running.send(message(bot, "/start", uid=uid))
    api.blocked.add(A2)

    await running.send(group(bot, "/game", OUTSIDER))
    assert to(api, GROUP)[-1] == "只有培训师（或群管理员）可以开游戏。"
    await running.send(group(bot, "/game", TRAINER))
    lobby = api.sent()[-1]
    assert lobby["text"].startswith("🎲 大客户维护游戏 ·《年度续约")
    labels = {b["text"]: b.get("callback_data", b.get("url")) for row in lobby["reply_markup"]["inline_keyboard"]
              for b in row}
    join_a = next(d for t, d in labels.items() if t.startswith("加入 A"))
    join_b = next(d for t, d in labels.items() if t.startswith("加入 B"))
    start = next(d for t, d in labels.items() if t.startswith("▶"))
    for uid, data in ((A1, join_a), (A2, join_a), (B1, join_b), (B2, join_b)):
        await running.send(button(bot, data, uid=uid, chat_id=GROUP))
    assert "A 组（供应商） 2/5" in api.sent("editMessageText")[-1]["text"]
    assert "私聊" in api.sent("answerCallbackQuery")[1]["text"]  # A2 is told to open a private chat first

    await running.send(button(bot, start, uid=A1, chat_id=GROUP))
    assert api.sent("answerCallbackQuery")[-1]["text"] == "只有培训师可以开始游戏。"
    await running.send(button(bot, start, uid=TRAINER, chat_id=GROUP))

    brief_a, brief_b = to(api, A1)[-1], to(api, B1)[-1]
    assert "你们是 A 组" in brief_a
    assert "底线" in brief_a
    assert "你们是 B 组" in brief_b
    assert "秘密需要" in brief_b
    assert "秘密需要" not in brief_a  # players cannot read the other team's brief
    assert "底线" not in brief_b
    assert "这些玩家还没私聊过我" in to(api, GROUP)[-1]
    assert "Rep12" in to(api, GROUP)[-1]
    api.blocked.discard(A2)
    await running.send(message(bot, "/start game", uid=A2))  # the deep link hands over the brief
    assert "你们是 A 组" in to(api, A2)[-1]

    before = len(to(api, GROUP))
    await running.send(group(bot, "今年三次延误，远东报价比你们低3%，你们怎么说？", B1))
    await running.send(group(bot, "王经理，延误是我们的责任。以后每批货一发出就把车号和司机电话发给您。", A1))
    await running.send(group(bot, "王经理，明年两个大项目您最担心的是什么？", A2))
    await running.send(group(bot, "远东那种小厂质量根本不行，您用了迟早出事。", A2))  # a red line in team A's brief
    await running.send(group(bot, "两个大项目我们派工程师做排版深化，一起想办法帮您省材料、缩短工期。", A2))
    await running.send(group(bot, "我们想想。", B2))
    assert len(to(api, GROUP)) == before  # the bot stays quiet during play

    for command in ("/pause", "/extend 5", "/endgame"):
        await running.send(group(bot, command, A1))
        assert to(api, GROUP)[-1] == "只有培训师可以控制游戏。"
    await running.send(group(bot, "/pause", TRAINER))
    assert to(api, GROUP)[-1].startswith("⏸ 暂停。还剩")
    await running.send(group(bot, "/resume", TRAINER))
    assert to(api, GROUP)[-1].startswith("▶ 继续！")

    await advance(running, 20 * 60 + 1)  # 30 minutes: the first reminder at 10 minutes left
    assert to(api, GROUP)[-1] == "⏰ 还剩 10 分钟。"
    await running.restart()  # mid-game: the clock is rebuilt from the stored deadline
    api = running.api  # same fake API object, kept across the restart
    await advance(running, 5 * 60)
    assert to(api, GROUP)[-1] == "⏰ 还剩 5 分钟。"
    assert not any(t.startswith("⏱ 时间到") for t in to(api, GROUP))
    await advance(running, 5 * 60)
    assert any(t.startswith("⏱ 时间到") for t in to(api, GROUP))
    reminders = [t for t in to(api, GROUP) if t.startswith("⏰")]
    assert len(reminders) == 2  # each reminder once, even across the restart

    vote = next(p for p in api.sent() if p["text"].startswith("⏱ 时间到"))
    assert "请投票：明年的框架协议（约 1800 吨）还和恒力续签吗？" in vote["text"]  # the scene's question
    renew = vote["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await running.send(button(bot := running.bot, renew, uid=A1, chat_id=GROUP))
    assert api.sent("answerCallbackQuery")[-1]["text"] == "只有 B 组（大客户）投票。"
    await running.send(button(bot, renew, uid=B1, chat_id=GROUP))
    await running.send(button(bot, renew, uid=B2, chat_id=GROUP))  # everyone in B voted: debrief now

    posted = to(api, GROUP)
    report = "\n".join(posted[next(i for i, t in enumerate(posted) if t.startswith("📋 复盘")):])
    # breaches first, with speaker and quote, and never credited as a good move
    assert report.index("⛔ 突破底线和红线（1 处）") < report.index("👍 做得好的地方")
    assert "• Rep12「远东那种小厂质量根本不行，您用了迟早出事。」→ 红线：贬低竞争对手" in report
    assert report.count("远东那种小厂") == 2  # the breach and the player's "to improve", nowhere else
    assert "• Rep11「王经理，延误是我们的责任。」" in report  # owning the failure, credited where it happened
    assert "• Rep12「王经理，明年两个大项目您最担心的是什么？」（开放式提问）" in report
    improve = report[report.index("🎯 A 组每个人要改进的"):]
    assert "《" in improve  # each point names the article to read
    assert "「远东那种小厂质量根本不行，您用了迟早出事。」→ 红线：贬低竞争对手。读《" in improve
    assert "B 组投票：2 票续约，0 票不续约 → 续约 ✅" in report
    assert "最高：伙伴型。证据：Rep12「两个大项目我们派工程师做排版深化，一起想办法帮您省材料、缩短工期。」" in report
    assert "✅ 没说出来的需要" in report  # the truck number and driver's phone
    assert "❌ 秘密需要" in report
    assert "顾客化营销" in report
    assert "Rep11（A 组）：1 条" in report
    [(_, doc)] = [(n, p) for n, p in api.uploads if n == "sendDocument"]
    assert int(doc["chat_id"]) == TRAINER
    transcript = next(iter(doc["_files"].values())).decode()
    assert "今年三次延误" in transcript
    assert "## 复盘" in transcript


async def test_game_permissions_and_edges(running):
    api, bot = running.api, running.bot
    await running.send(message(bot, "/game", uid=TRAINER))
    assert to(api, TRAINER)[-1].startswith("大客户维护游戏在团队群里进行")
    await running.send(group(bot, "/game no-such-scene", TRAINER))
    assert to(api, GROUP)[-1].startswith("没有这个场景：no-such-scene")
    await running.send(group(bot, "/endgame", TRAINER))
    assert to(api, GROUP)[-1] == "这个群里没有进行中的游戏。培训师发 /game 开一局。"
    await running.send(group(bot, "/game", TRAINER))
    lobby = api.sent()[-1]
    start = lobby["reply_markup"]["inline_keyboard"][1][1]["callback_data"]
    await running.send(button(bot, start, uid=TRAINER, chat_id=GROUP))
    assert api.sent("answerCallbackQuery")[-1]["text"] == "两组都至少要有一人才能开始。"
    await running.send(group(bot, "/game", TRAINER))
    assert to(api, GROUP)[-1].startswith("这个群里已经有一局游戏还没结束")
    await running.send(group(bot, "/extend abc", TRAINER))
    assert to(api, GROUP)[-1].startswith("用法：/extend")
    await running.send(group(bot, "/endgame", TRAINER))
    assert to(api, GROUP)[-1] == "已取消这局游戏。"
    await running.send(button(bot, "g:999:join:A", uid=A1, chat_id=GROUP))
    assert api.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效。"
    # A group admin who is not in SALESCOACH_TRAINER_IDS may run games too.
    api.chat_admins.add(OUTSIDER)
    await running.send(group(bot, "/game", OUTSIDER))
    assert api.sent()[-1]["text"].startswith("🎲 大客户维护游戏")


@pytest.mark.parametrize(("request_", "error", "text"), [
    ("create", GameAlreadyOpen(GROUP), "这个群里已经有一局游戏还没结束。培训师可以 /endgame 结束它。"),
    ("start", TeamsIncomplete(), "两组都至少要有一人才能开始。"),
    ("start", GameStarted("running"), "游戏已经开始了。"),
    ("vote", NotTeamB(A1), "只有 B 组（大客户）投票。"),
    ("vote", NotVoting("ended"), "投票已经结束。"),
    ("pause", NotRunning("paused"), "游戏没有在进行，不能暂停。"),
    ("resume", NotPaused("running"), "游戏没有暂停。"),
    ("extend", NotRunning("voting"), "游戏没有在进行，不能加时。"),
    ("debrief", UnknownScene("gone"), "游戏结束。场景文件已下线，无法复盘。"),
    ("debrief", GameError("debrief.yaml: bad"), "游戏结束。场景文件已下线，无法复盘。"),
])
def test_a_refused_game_request_tells_the_user_why(request_, error, text):
    assert game_module.refusal(request_, error, "zh-CN") == text


def test_at_start_each_bot_sharing_a_database_restores_only_its_own_games(store_location):
    """Two bots (two tokens) on one database, a game running in a group of each: each bot's start-up
    schedules the reminders and the end of its own game, none of the other's."""
    from types import SimpleNamespace

    from bot.coach.game import GameBook
    from bot.store import Store

    class Queue:
        def __init__(self):
            self.names = set()

        def run_once(self, callback, when, name=None, data=None):
            self.names.add(name)

        def get_jobs_by_name(self, name):
            return []

    stores, apps, ids = [Store(store_location, bot_id=111), Store(store_location, bot_id=222)], [], []
    for chat_id, store in zip((GROUP, GROUP - 1), stores, strict=True):
        book = GameBook(store, minutes=30, reminders=(10, 5))
        game_id, _ = book.create(chat_id, TRAINER, "renewal-late-delivery-price")
        book.update(game_id, lambda g: (g.join(A1, "甲", "A"), g.join(B1, "乙", "B"), g.start(1000.0)))
        services = SimpleNamespace(games=book, clock=lambda: 1000.0, settings=SimpleNamespace(game_vote_minutes=5))
        apps.append(SimpleNamespace(bot_data={"services": services}, job_queue=Queue()))
        ids.append(game_id)
    for app in apps:
        game_module.restore(app)
    assert apps[0].job_queue.names == {f"{game_module.JOB_PREFIX}{ids[0]}"}
    assert apps[1].job_queue.names == {f"{game_module.JOB_PREFIX}{ids[1]}"}
    for store in stores:
        store.close()
