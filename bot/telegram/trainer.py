"""Trainer tools in a team group: assign role-plays, see the team's results, a leaderboard, CSV export."""

from __future__ import annotations

import csv
import html
import io
import logging
import time
from collections import Counter
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden
from telegram.ext import Application

from bot.coach.scenario import LEVELS
from bot.coach.text import LEVEL_NAMES, OUTCOME_NAMES
from bot.telegram import render
from bot.telegram.context import CoachContext, send_html
from bot.telegram.game import trainer_in_group

log = logging.getLogger(__name__)
JOB_PREFIX = "assignment:"
DAY = 86400.0


async def _trainer_in_group(update: Update, context: CoachContext) -> bool:
    return await trainer_in_group(update, context, private="这个命令在团队群里用：它针对的是群里的成员。",
                                  refused="只有培训师可以用这个命令。")


def _team(update: Update, context: CoachContext) -> list[tuple[int, str]]:
    """The members seen in this group, without the trainer who asks and without the bot."""
    me = update.effective_user.id
    return [(uid, name) for uid, name in context.services.store.members(update.effective_chat.id)
            if uid not in (me, context.bot.id)]


# --------------------------------------------------------------------------- /assign
async def assign_command(update: Update, context: CoachContext) -> None:
    """/assign SCENARIO [easy|normal|hard] [DAYS]: to everyone seen in the group, or to the member replied to."""
    if not await _trainer_in_group(update, context):
        return
    message, services = update.effective_message, context.services
    scenarios = services.coach.scenarios()
    args = context.args or []
    usage = ("用法：/assign 场景id [easy|normal|hard] [天数]，例如 /assign price-objection normal 3\n"
             "回复某人的消息再发，就只布置给他。可选场景：\n" + "\n".join(f"• {s.id}：{s.title}" for s in scenarios.values()))
    if not args or args[0] not in scenarios:
        await message.reply_text(usage)
        return
    scenario = scenarios[args[0]]
    level = args[1].lower() if len(args) > 1 else "normal"
    if level not in LEVELS:  # a typo must not silently become "normal"
        await message.reply_text(f"没有“{args[1]}”这个难度。可选：{'、'.join(LEVELS)}，"
                                 f"例如 /assign {scenario.id} hard 3")
        return
    try:
        days = float(args[2]) if len(args) > 2 else services.settings.assignment_days
        if not 0 < days <= 60:
            raise ValueError
    except ValueError:
        await message.reply_text(usage)
        return
    replied = message.reply_to_message.from_user if message.reply_to_message else None
    if replied is not None and not replied.is_bot:
        targets = [(replied.id, replied.full_name)]
    else:
        targets = _team(update, context)
    if not targets:
        await message.reply_text("我还没在这个群里见过其他成员：请大家先在群里说句话，或回复某人的消息再布置。")
        return
    due = time.time() + days * DAY
    invited, unreachable = [], []
    for uid, name in targets:
        assignment_id = services.store.add_assignment(update.effective_chat.id, update.effective_user.id, uid,
                                                      scenario.id, level, due)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("📋 查看简介和评分标准", callback_data=f"rp:d:{scenario.id}:{level}")]])
        try:
            await context.bot.send_message(uid, f"📌 培训师布置了一个练习：《{scenario.title}》（{LEVEL_NAMES[level]}），"
                                                f"请在 {context.when(due)} 前完成。\n{scenario.summary}", reply_markup=keyboard)
            invited.append(name)
        except Forbidden:
            unreachable.append(name)
        _schedule_reminder(context.application, assignment_id, due)
    text = f"已布置《{scenario.title}》（{LEVEL_NAMES[level]}），截止 {context.when(due)}：" + "、".join(n for _, n in targets)
    if unreachable:
        text += f"\n⚠️ 这些人还没私聊过我，收不到邀请：{'、'.join(unreachable)}。请他们私聊我发 /roleplay。"
    await message.reply_text(text)


def _schedule_reminder(app: Application, assignment_id: int, due: float) -> None:
    now = time.time()
    when = max(now, due - min(DAY, (due - now) / 2))
    app.job_queue.run_once(_remind, when=when - now, name=f"{JOB_PREFIX}{assignment_id}", data=assignment_id)


def restore(app: Application) -> None:
    """At start-up: reminders for every open assignment not yet reminded."""
    store = app.bot_data["services"].store
    for a in store.assignments(open_only=True):
        if not a["reminded"] and a["due"] > time.time():
            _schedule_reminder(app, a["assignment_id"], a["due"])


async def _remind(context: CoachContext) -> None:
    store = context.services.store
    found = [a for a in store.assignments(open_only=True) if a["assignment_id"] == context.job.data]
    if not found or found[0]["reminded"]:
        return
    a = found[0]
    scenario = context.services.coach.scenarios().get(a["scenario"])
    title = scenario.title if scenario else a["scenario"]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("📋 现在就练", callback_data=f"rp:d:{a['scenario']}:{a['difficulty']}")]])
    try:
        await context.bot.send_message(a["user_id"], f"⏰ 提醒：练习《{title}》的截止时间是 {context.when(a['due'])}，还没完成哦。",
                                       reply_markup=keyboard)
    except Forbidden:
        log.info("assignment %s: user %s cannot be reminded", a["assignment_id"], a["user_id"])
    store.mark_assignment(a["assignment_id"], reminded=True)


# --------------------------------------------------------------------------- /team, /leaderboard, /export
def _results(context: CoachContext, members: list[tuple[int, str]]):
    store = context.services.store
    return {uid: store.roleplays(uid, limit=500) for uid, _ in members}


async def team_command(update: Update, context: CoachContext) -> None:
    """/team: each member's role-play results, the team's weakest criteria, who has not practised.

    The report names everyone's scores, so it goes to the trainer privately; `/team group` posts it here."""
    if not await _trainer_in_group(update, context):
        return
    in_group = (context.args or [""])[0].lower() == "group"
    members = _team(update, context)
    scenarios = context.services.coach.scenarios()
    results = _results(context, members)
    lines = [f"👥 团队练习情况（{len(members)} 人）", ""]
    weak: Counter = Counter()
    for uid, name in members:
        sessions = results[uid]
        if not sessions:
            continue
        best: dict[str, int] = {}
        for s in sessions:
            best[s.scenario] = max(best.get(s.scenario, 0), s.total or 0)
            for c in (s.card or {}).get("criteria", []):
                if c["status"] != "met":
                    weak[c["title"]] += 1
        scores = "，".join(f"{scenarios[k].title if k in scenarios else k} {v}" for k, v in best.items())
        last = sessions[0]
        cert = " 🎓已认证" if context.services.store.certified(uid) else ""
        lines.append(f"• {name}{cert}：{len(sessions)} 次；最好成绩：{scores}；最近 {context.when(last.updated)} "
                     f"{last.total}/100 {OUTCOME_NAMES.get(last.outcome, last.outcome)}")
    idle = [name for uid, name in members if not results[uid]]
    if weak:
        lines += ["", "📉 全队最常没做到的："] + [f"• {title}（{n} 次）" for title, n in weak.most_common(5)]
    lines += ["", "😴 还没练过：" + ("、".join(idle) if idle else "没有，全员都练过了 👍")]
    assignments = context.services.store.assignments(chat_id=update.effective_chat.id)
    names = dict(members)
    if assignments:
        lines += ["", "📌 布置的练习："]
        for a in assignments:
            state = "✅ 已完成" if a["done_session"] else ("⚠️ 已过期" if a["due"] < time.time() else f"截止 {context.when(a['due'])}")
            title = scenarios[a["scenario"]].title if a["scenario"] in scenarios else a["scenario"]
            lines.append(f"• {names.get(a['user_id'], a['user_id'])}：《{title}》{LEVEL_NAMES.get(a['difficulty'], '')} {state}")
    if in_group:
        await send_html(update.effective_message, html.escape("\n".join(lines)), None)
        return
    try:
        for part in render.split_message(html.escape("\n".join(lines))):
            await context.bot.send_message(update.effective_user.id, part, parse_mode=ParseMode.HTML,
                                           disable_web_page_preview=True)
    except Forbidden:  # the trainer never opened a private chat with the bot
        await update.effective_message.reply_text(
            "团队报告里有每个人的成绩，我只私信发给培训师，可你还没私聊过我：先私聊我发 /start，再回来发 /team"
            "（要发在群里：/team group）。")
        return
    await update.effective_message.reply_text("📬 团队报告已私信发给你（要发在群里：/team group）。")


async def leaderboard_command(update: Update, context: CoachContext) -> None:
    """/leaderboard: members ranked by the mean of their best score per scenario."""
    if update.effective_chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_text("排行榜在团队群里看：它比较的是群里的成员。")
        return
    me = update.effective_user.id
    members = [m for m in context.services.store.members(update.effective_chat.id) if m[0] != context.bot.id]
    results = _results(context, members)
    rows = []
    for uid, name in members:
        best: dict[str, int] = {}
        for s in results[uid]:
            best[s.scenario] = max(best.get(s.scenario, 0), s.total or 0)
        if best:
            rows.append((sum(best.values()) / len(best), len(best), name, uid))
    if not rows:
        await update.effective_message.reply_text("还没有人完成练习。私聊我发 /roleplay 开始，成绩会出现在这里。")
        return
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    medals = ["🥇", "🥈", "🥉"]
    lines = ["🏆 排行榜（各场景最好成绩的平均分）"]
    for i, (score, n, name, uid) in enumerate(rows[:10]):
        mark = " ← 你" if uid == me else ""
        lines.append(f"{medals[i] if i < 3 else f'{i + 1}.'} {name}：{score:.0f} 分（{n} 个场景）{mark}")
    await send_html(update.effective_message, html.escape("\n".join(lines)), None)


async def export_command(update: Update, context: CoachContext) -> None:
    """/export: every role-play of the group's members as CSV, sent privately to the trainer."""
    if not await _trainer_in_group(update, context):
        return
    members = _team(update, context)
    results = _results(context, members)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["user_id", "name", "session_id", "scenario", "difficulty", "total", "outcome", "ended",
                     "criteria_missed"])
    for uid, name in members:
        for s in sorted(results[uid], key=lambda x: x.session_id):
            missed = "; ".join(c["title"] for c in (s.card or {}).get("criteria", []) if c["status"] != "met")
            writer.writerow([uid, name, s.session_id, s.scenario, s.difficulty, s.total, s.outcome,
                             context.when(s.updated, "%Y-%m-%d %H:%M:%S"), missed])
    data = ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens the Chinese correctly
    name = f"roleplay-results-{datetime.now():%Y%m%d}.csv"
    try:
        await context.bot.send_document(update.effective_user.id, io.BytesIO(data), filename=name,
                                        caption="团队练习成绩（CSV）")
        await update.effective_message.reply_text("成绩表已私聊发给你。")
    except Forbidden:
        await update.effective_message.reply_text("请先私聊我发 /start，我才能把成绩表私下发给你。")
