"""Trainer tools in a team group: assign role-plays, see the team's results, a leaderboard, CSV export."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import Application

from bot.chat import trainer_views as views
from bot.chat.i18n import DEFAULT_LANG, level_name, t
from bot.coach import assignment
from bot.coach.assignment import DAY
from bot.coach.scenario import LEVELS
from bot.telegram.context import CoachContext
from bot.telegram.game import trainer_in_group
from bot.telegram.replies import send

log = logging.getLogger(__name__)
JOB_PREFIX = "assignment:"


async def _trainer_in_group(update: Update, context: CoachContext) -> bool:
    lang = context.lang(update)
    return await trainer_in_group(update, context, private=t("tr_cmd_in_group", lang), refused=t("tr_trainer_only", lang))


def _user_lang(context: CoachContext, uid: int) -> str:
    """A message to someone who did not just write: in the language they chose, else the default."""
    return context.services.store.user_lang(uid) or DEFAULT_LANG


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
    message, services, lang = update.effective_message, context.services, context.lang(update)
    scenarios = services.coach.scenarios()
    args = context.args or []
    usage = t("tr_assign_usage", lang, listing="\n".join(f"• {s.id}：{s.title}" for s in scenarios.values()))
    if not args or args[0] not in scenarios:
        await message.reply_text(usage)
        return
    scenario = scenarios[args[0]]
    level = args[1].lower() if len(args) > 1 else "normal"
    if level not in LEVELS:  # a typo must not silently become "normal"
        await message.reply_text(t("tr_no_level", lang, level=args[1], levels=t("list_sep", lang).join(LEVELS),
                                   scenario=scenario.id))
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
        await message.reply_text(t("tr_no_members", lang))
        return
    due = services.clock() + days * DAY
    invited, unreachable = [], []
    for uid, name in targets:
        assignment_id = services.store.add_assignment(update.effective_chat.id, update.effective_user.id, uid,
                                                      scenario.id, level, due)
        try:
            await send(context.bot, uid, views.invite(scenario, level, context.when(due), _user_lang(context, uid)))
            invited.append(name)
        except Forbidden:
            unreachable.append(name)
        _schedule_reminder(context.application, assignment_id, due)
    sep = t("list_sep", lang)
    text = t("tr_assigned", lang, title=scenario.title, level=level_name(level, lang), due=context.when(due),
             names=sep.join(n for _, n in targets))
    if unreachable:
        text += t("tr_unreachable", lang, names=sep.join(unreachable))
    await message.reply_text(text)


def _schedule_reminder(app: Application, assignment_id: int, due: float) -> None:
    now = app.bot_data["services"].clock()
    app.job_queue.run_once(_remind, when=assignment.reminder_at(due, now) - now, name=f"{JOB_PREFIX}{assignment_id}",
                           data=assignment_id)


def restore(app: Application) -> None:
    """At start-up: reminders for every open assignment not yet reminded."""
    services = app.bot_data["services"]
    now = services.clock()
    for a in services.store.assignments(open_only=True):
        if assignment.needs_reminder(a, now):
            _schedule_reminder(app, a["assignment_id"], a["due"])


async def _remind(context: CoachContext) -> None:
    store = context.services.store
    found = [a for a in store.assignments(open_only=True) if a["assignment_id"] == context.job.data]
    if not found or found[0]["reminded"]:
        return
    a = found[0]
    scenario = context.services.coach.scenarios().get(a["scenario"])
    title = scenario.title if scenario else a["scenario"]
    reply = views.reminder(title, a["scenario"], a["difficulty"], context.when(a["due"]),
                           _user_lang(context, a["user_id"]))
    try:
        await send(context.bot, a["user_id"], reply)
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
    lang, services = context.lang(update), context.services
    members = _team(update, context)
    report = views.team_report(members, _results(context, members), services.coach.scenarios(),
                               services.store.assignments(chat_id=update.effective_chat.id), services.store.certified,
                               services.clock(), context.when, lang)
    if in_group:
        await send(context.bot, update.effective_chat.id, report, update.effective_message)
        return
    try:
        await send(context.bot, update.effective_user.id, report)
    except Forbidden:  # the trainer never opened a private chat with the bot
        await update.effective_message.reply_text(t("tr_team_need_private", lang))
        return
    await update.effective_message.reply_text(t("tr_team_sent", lang))


async def leaderboard_command(update: Update, context: CoachContext) -> None:
    """/leaderboard: members ranked by the mean of their best score per scenario."""
    lang = context.lang(update)
    if update.effective_chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_text(t("tr_leaderboard_group", lang))
        return
    members = [m for m in context.services.store.members(update.effective_chat.id) if m[0] != context.bot.id]
    reply = views.leaderboard(members, _results(context, members), update.effective_user.id, lang)
    await send(context.bot, update.effective_chat.id, reply, update.effective_message)


async def export_command(update: Update, context: CoachContext) -> None:
    """/export: every role-play of the group's members as CSV, sent privately to the trainer."""
    if not await _trainer_in_group(update, context):
        return
    lang = context.lang(update)
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
    name = f"roleplay-results-{datetime.fromtimestamp(context.services.clock()):%Y%m%d}.csv"
    try:
        await context.bot.send_document(update.effective_user.id, io.BytesIO(data), filename=name,
                                        caption=t("tr_export_caption", lang))
        await update.effective_message.reply_text(t("tr_export_sent", lang))
    except Forbidden:
        await update.effective_message.reply_text(t("tr_export_need_private", lang))
