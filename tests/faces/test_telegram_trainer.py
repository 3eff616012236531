"""Trainer tools in a team group: /assign with a reminder that survives a restart, /team, /leaderboard, /export."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import JobQueue

from bot.telegram import trainer as trainer_module
from bot.tools.fakeapi import button, message

from .helpers import GROUP, TRAINER, FakeClock, GameRunning, group, to

REP1, REP2, REP3 = 21, 22, 23


@pytest.fixture
async def running(face_settings):
    settings = face_settings(telegram_token="123:ABC", trainer_ids=[TRAINER])
    r = await GameRunning(settings).start()
    yield r
    await r.stop()


@pytest.fixture
async def clocked(face_settings, monkeypatch):
    """The bot on a clock the test moves; each reminder job notes when, on that clock, it falls due (its real
    delay is days, so none runs by itself during the test)."""
    clock, due = FakeClock(), {}
    run_once = JobQueue.run_once

    def noting_due(queue, callback, when, *args, name=None, **kwargs):
        if callback is trainer_module._remind:
            due[name] = clock.t + when
        return run_once(queue, callback, when, *args, name=name, **kwargs)

    monkeypatch.setattr(JobQueue, "run_once", noting_due)
    r = await GameRunning(face_settings(telegram_token="123:ABC", trainer_ids=[TRAINER]), clock=clock).start()
    r.reminder_due = due
    yield r
    await r.stop()


async def _run_due_reminders(running) -> None:
    for job in running.app.job_queue.jobs():
        if not job.removed and running.reminder_due.get(job.name, float("inf")) <= running.clock.t:
            job.schedule_removal()
            await job.run(running.app)


async def test_reminder_and_overdue_follow_the_clock(clocked):
    """A 3-day assignment: reminded a day before it is due, not earlier; shown as overdue once past due."""
    running, api, bot = clocked, clocked.api, clocked.bot
    await running.send(message(bot, "/start", uid=REP1))
    await running.send(group(bot, "在", REP1))
    await running.send(group(bot, "/assign needs-discovery easy 3", TRAINER))
    due = datetime.fromtimestamp(running.clock.t + 3 * 86400, ZoneInfo(running.settings.timezone))
    line = "Rep21：《初次拜访：摸清潜在大客户的需求》简单 "

    await running.send(group(bot, "/team group", TRAINER))
    assert line + f"截止 {due:%m-%d %H:%M}" in to(api, GROUP)[-1]
    running.clock.t += 1.5 * 86400
    await _run_due_reminders(running)
    assert not any(t.startswith("⏰") for t in to(api, REP1))
    running.clock.t += 1 * 86400  # half a day left: past the reminder, a day before the deadline
    await _run_due_reminders(running)
    assert to(api, REP1)[-1] == f"⏰ 提醒：练习《初次拜访：摸清潜在大客户的需求》的截止时间是 {due:%m-%d %H:%M}，还没完成哦。"
    await running.send(group(bot, "/team group", TRAINER))
    assert line + f"截止 {due:%m-%d %H:%M}" in to(api, GROUP)[-1]
    running.clock.t += 1 * 86400
    await running.send(group(bot, "/team group", TRAINER))
    assert line + "⚠️ 已过期" in to(api, GROUP)[-1]


async def test_assign_remind_track_and_export(clocked):
    running, api, bot = clocked, clocked.api, clocked.bot
    for uid in (REP1, REP2, TRAINER):
        await running.send(message(bot, "/start", uid=uid))
    for uid in (REP1, REP2, REP3, TRAINER):
        await running.send(group(bot, "大家好", uid))  # the bot learns who is in the team group
    api.blocked.add(REP3)

    await running.send(group(bot, "/assign price-objection", REP1))
    assert to(api, GROUP)[-1] == "只有培训师可以用这个命令。"
    await running.send(group(bot, "/assign nope", TRAINER))
    assert to(api, GROUP)[-1].startswith("用法：/assign")
    await running.send(group(bot, "/assign late-delivery-complaint hard 3", TRAINER))
    summary = to(api, GROUP)[-1]
    assert summary.startswith("已布置《第三次延误：大客户来电投诉催货》（困难）")
    assert "这些人还没私聊过我，收不到邀请：Rep23" in summary
    invite = next(p for p in api.sent() if int(p["chat_id"]) == REP1 and p["text"].startswith("📌 培训师布置了一个练习"))
    assert invite["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "rp:d:late-delivery-complaint:hard"
    assert not any(t.startswith("📌") for t in to(api, TRAINER))  # the trainer is not assigned to themselves

    running.reminder_due.clear()
    await running.restart()  # the reminder jobs are rebuilt from the store
    assert set(running.reminder_due) == {f"assignment:{i}" for i in (1, 2, 3)}  # one per member assigned
    running.clock.t += 2.5 * 86400  # a day before the deadline
    await _run_due_reminders(running)
    assert sum(t.startswith("⏰ 提醒") for t in to(api, REP2)) == 1
    running.clock.t += 1 * 86400  # past the deadline: open assignments are overdue

    # REP1 does the assigned role-play; REP2 does another one.
    await running.send(button(running.bot, "rp:go:late-delivery-complaint:hard", uid=REP1))
    for line in ("对不起，是我们的责任。", "车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。", "我记下来了，跟您核对一下。"):
        await running.send(message(running.bot, line, uid=REP1))
    await running.send(message(running.bot, "/end", uid=REP1))
    await running.send(button(running.bot, "rp:go:price-objection:easy", uid=REP2))
    await running.send(message(running.bot, "/end", uid=REP2))

    await running.send(group(running.bot, "/team", TRAINER))
    # Everyone's scores go to the trainer privately; the group only hears where they went.
    assert to(api, GROUP)[-1] == "📬 团队报告已私信发给你（要发在群里：/team group）。"
    team = to(api, TRAINER)[-1]
    assert "👥 团队练习情况（3 人）" in team
    assert "Rep21：1 次；最好成绩：第三次延误：大客户来电投诉催货" in team
    assert "😴 还没练过：Rep23" in team
    assert "📉 全队最常没做到的" in team
    assert "Rep21：《第三次延误：大客户来电投诉催货》困难 ✅ 已完成" in team
    assert "Rep22：《第三次延误：大客户来电投诉催货》困难 ⚠️ 已过期" in team  # REP2 practised something else

    await running.send(group(running.bot, "/leaderboard", REP2))
    board = to(api, GROUP)[-1]
    assert board.splitlines()[1].startswith("🥇 Rep21")
    assert "Rep22：0 分（1 个场景） ← 你" in board

    await running.send(group(running.bot, "/export", TRAINER))
    assert to(api, GROUP)[-1] == "成绩表已私聊发给你。"
    [(_, doc)] = [(n, p) for n, p in api.uploads if n == "sendDocument"]
    assert int(doc["chat_id"]) == TRAINER
    rows = list(csv.DictReader(io.StringIO(next(iter(doc["_files"].values())).decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == {"Rep21", "Rep22"}
    assert next(r for r in rows if r["name"] == "Rep21")["scenario"] == "late-delivery-complaint"

    # A one-turn try at the assigned scenario does not complete it, and the rep is told why.
    await running.send(button(running.bot, "rp:go:late-delivery-complaint:hard", uid=REP2))
    await running.send(message(running.bot, "韩经理，我先查一下这批货的情况。", uid=REP2))
    await running.send(message(running.bot, "/end", uid=REP2))
    card = next(t for t in reversed(to(api, REP2)) if t.startswith("📊"))
    assert "📌 这次只进行了 1 轮，不计入培训师布置的这个练习：至少 3 轮，或者一直练到客户表态，才算完成。" in card
    await running.send(group(running.bot, "/team group", TRAINER))
    assert "Rep22：《第三次延误：大客户来电投诉催货》困难 ⚠️ 已过期" in to(api, GROUP)[-1]  # still open, in the group
    api.blocked.add(TRAINER)  # a trainer who never opened a private chat: no scores in the group by accident
    await running.send(group(running.bot, "/team", TRAINER))
    assert to(api, GROUP)[-1].startswith("团队报告里有每个人的成绩，我只私信发给培训师，可你还没私聊过我")


async def test_assign_to_the_member_replied_to(running):
    api, bot = running.api, running.bot
    for uid in (REP1, REP2):
        await running.send(message(bot, "/start", uid=uid))
        await running.send(group(bot, "在", uid))
    await running.send(message(bot, "/assign needs-discovery easy 2", uid=TRAINER, chat_id=GROUP, chat_type="group",
                               reply_to_uid=REP2))
    assert to(api, GROUP)[-1].endswith("：Rep22")
    assert any(t.startswith("📌") for t in to(api, REP2))
    assert not any(t.startswith("📌") for t in to(api, REP1))
