"""Self-study in the private chat: the handlers of the shared flow (bot.chat.study) for Telegram, and the
daily reminder (a job per learner, restored from the store at start)."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.chat import study as flow
from bot.chat.i18n import DEFAULT_LANG, in_script, t
from bot.chat.reply import StExamStart, decode
from bot.telegram.context import CoachContext, link
from bot.telegram.replies import run_flow

log = logging.getLogger(__name__)
JOB_PREFIX = "remind:"


def _study(context: CoachContext):
    return context.services.study


async def _say(update: Update, context: CoachContext, text: str) -> None:
    lang = context.lang(update)
    chat_id = update.effective_chat.id if update.effective_chat else update.effective_user.id
    await context.bot.send_message(chat_id, in_script(text, lang))


async def learn_command(update: Update, context: CoachContext) -> None:
    """/learn: the next lesson screen, where the learner left off."""
    await run_flow(update, context, flow.lesson)


async def quiz_command(update: Update, context: CoachContext) -> None:
    """/quiz: a question from the current module."""
    await run_flow(update, context, flow.ask)


async def review_command(update: Update, context: CoachContext) -> None:
    """/review: what the spaced-review schedule says is due."""
    await run_flow(update, context, flow.ask, review=True)


async def progress_command(update: Update, context: CoachContext) -> None:
    """/progress: modules, accuracy by topic, streak, due reviews, role-play scores; text and a chart."""
    await run_flow(update, context, flow.progress)


async def exam_command(update: Update, context: CoachContext) -> None:
    """/exam: the rules, then a start button; in a group, a link to take it privately (the questions and
    the learner's answers are nobody else's business, and others could copy them)."""
    lang = context.lang(update)
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(t("st_exam_private", lang), reply_markup=link(
            t("st_btn_exam_private", lang), f"https://t.me/{context.bot.username}?start=exam"))
        return
    await run_flow(update, context, flow.exam_rules)


# --------------------------------------------------------------------------- daily reminder
async def remind_command(update: Update, context: CoachContext) -> None:
    """/remind HH:MM | off: a daily study reminder, restored after restarts."""
    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    arg = (context.args or [""])[0]
    if arg == "off":
        study.set_reminder(uid, None)
        _unschedule(context.application, uid)
        await _say(update, context, t("st_remind_off", lang))
        return
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", arg):
        current = study.reminder(uid)
        await _say(update, context, (t("st_remind_current", lang, at=current) if current else "") +
                   t("st_remind_usage", lang))
        return
    study.set_reminder(uid, arg)
    _schedule(context.application, uid, arg)
    await _say(update, context, t("st_remind_set", lang, at=arg))


def _schedule(app: Application, uid: int, hhmm: str) -> None:
    _unschedule(app, uid)
    study = app.bot_data["services"].study
    app.job_queue.run_once(_remind, when=max(0.0, study.next_daily(hhmm) - study.clock()),
                           name=f"{JOB_PREFIX}{uid}", data={"user_id": uid, "at": hhmm})


def _unschedule(app: Application, uid: int) -> None:
    for job in app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{uid}"):
        job.schedule_removal()


def restore(app: Application) -> None:
    """At start-up: every learner's daily reminder, from the store."""
    for uid, state in app.bot_data["services"].store.study_states():
        if state.get("remind"):
            _schedule(app, uid, state["remind"])


async def _remind(context: CoachContext) -> None:
    data = context.job.data
    study = context.services.study
    if study.reminder(data["user_id"]) != data["at"]:
        return  # changed or switched off meanwhile
    p = study.progress(data["user_id"])
    lang = study.store.user_lang(data["user_id"]) or DEFAULT_LANG
    text = in_script(t("st_remind_due", lang, streak=p.streak, due=p.due), lang)
    try:
        await context.bot.send_message(data["user_id"], text)
    finally:
        _schedule(context.application, data["user_id"], data["at"])  # tomorrow, same time


# --------------------------------------------------------------------------- buttons
async def on_button(update: Update, context: CoachContext) -> None:
    """A study button (bot.chat.reply names them); a stale or forged one gets a polite no."""
    query = update.callback_query
    action = decode(query.data)
    if isinstance(action, StExamStart) and query.message is not None and query.message.chat.type != ChatType.PRIVATE:
        await query.answer(t("st_exam_private_alert", context.lang(update)), show_alert=True)
        return
    await run_flow(update, context, flow.press, action)
