"""Role-play in the private chat: pick a scenario and difficulty, read the brief and rubric, talk, score.

Handlers only parse, call `services.coach`, and render. The session lives in the store, so a restart
between two messages changes nothing for the rep.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.chat.i18n import level_name, outcome_name, t
from bot.coach.roleplay import Scorecard
from bot.coach.scenario import LEVELS
from bot.coach.service import (
    MAX_TURN_CHARS,
    NoActiveSession,
    SessionActive,
    TurnTooLong,
    UnknownScenario,
    idle_too_long,
)
from bot.coach.text import brief_text, level_text, scorecard_text
from bot.store.store import StoredRolePlay
from bot.telegram.context import ChatTarget, CoachContext, send_html, typing
from bot.telegram.inbox import replayed
from bot.telegram.render import in_script

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- commands
async def roleplay_command(update: Update, context: CoachContext) -> None:
    """/roleplay: the scenario list, or the running session's status."""
    message, lang = update.effective_message, context.lang(update)
    if update.effective_chat.type != ChatType.PRIVATE:
        link = f"https://t.me/{context.bot.username}?start=roleplay"
        await message.reply_text(t("rp_private_only", lang), reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("rp_btn_private", lang), url=link)]]))
        return
    coach = context.services.coach
    running = coach.active(update.effective_user.id)
    if running is not None and running.scenario in coach.scenarios():
        title = coach.scenarios()[running.scenario].title
        await message.reply_text(
            in_script(t("rp_active", lang, title=title, level=level_name(running.difficulty, lang),
                        turns=running.state["turn"]), lang),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(t("rp_btn_continue", lang), callback_data="rp:cont"),
                                                InlineKeyboardButton(t("rp_btn_end", lang), callback_data="rp:end")]]))
        return
    await message.reply_text(t("rp_choose", lang), reply_markup=_scenario_keyboard(context, lang))


async def hint_command(update: Update, context: CoachContext) -> None:
    """/hint: one coaching tip from the knowledge base, without ending the session."""
    lang, services = context.lang(update), context.services
    try:
        hint = await services.run(services.coach.hint, update.effective_user.id, user=update.effective_user.id)
    except NoActiveSession:
        await update.effective_message.reply_text(t("rp_none", lang))
        return
    except UnknownScenario:
        await update.effective_message.reply_text(t("rp_gone", lang))
        return
    text = html.escape(in_script(t("rp_hint", lang, title=hint.criterion.title, tip=hint.criterion.tip), lang))
    if hint.passage:
        p = hint.passage
        text += (f"\n\n<b>{t('rp_hint_source', lang)}</b>：《{html.escape(in_script(p['title'], lang))}》"
                 f"<i>({html.escape(p['source'])})</i>\n{html.escape(in_script(p['text'], lang))}")
    await send_html(update.effective_message, text, None)


async def end_command(update: Update, context: CoachContext) -> None:
    """/end: end the session and send the scorecard (text and chart)."""
    if await replayed_ending(update, context):
        return
    await _end(update, context, update.effective_message)


async def history_command(update: Update, context: CoachContext) -> None:
    """/history: past sessions with scores."""
    lang = context.lang(update)
    coach = context.services.coach
    sessions = coach.history(update.effective_user.id, limit=15)
    if not sessions:
        await update.effective_message.reply_text(t("rp_history_empty", lang))
        return
    scenarios = coach.scenarios()
    lines = [t("rp_history_title", lang, n=len(sessions))]
    for s in sessions:
        title = scenarios[s.scenario].title if s.scenario in scenarios else s.scenario
        when = context.when(s.updated)
        lines.append(f"• {when} 《{title}》{level_name(s.difficulty, lang)} · "
                     f"{s.total if s.total is not None else '-'}/100 · {outcome_name(s.outcome, lang)}")
    await send_html(update.effective_message, html.escape(in_script("\n".join(lines), lang)), None)


# --------------------------------------------------------------------------- the conversation
async def rep_turn(update: Update, context: CoachContext) -> bool:
    """A private text while a session runs is the rep's turn; returns False when no session runs."""
    message, user = update.effective_message, update.effective_user
    services = context.services
    running = services.coach.active(user.id)
    if running is None:
        return False
    lang = context.lang(update)
    scenario = services.coach.scenarios().get(running.scenario)
    if replayed(context, update) and (line := _stored_reply(running.state, message.text)) is not None:
        # Re-run after a crash that came after this turn was stored: answer it, do not play it twice.
        await message.get_bot().send_message(message.chat_id, in_script(f"🧑‍💼 {_name(scenario)}：{line}", lang))
        return True
    now = services.clock()
    if idle_too_long(running, now):
        # Hours later, a text may be a question rather than a line for the customer: ask, keep the text.
        services.coach.park(user.id, message.text)
        keyboard = InlineKeyboardMarkup([
            [InlineKeyboardButton(t("rp_btn_send", lang), callback_data="rp:send")],
            [InlineKeyboardButton(t("rp_btn_ask", lang), callback_data="rp:ask")],
            [InlineKeyboardButton(t("rp_btn_end", lang), callback_data="rp:end")]])
        await message.reply_text(in_script(t("rp_parked", lang, title=scenario.title if scenario else running.scenario,
                                             hours=int((now - running.updated) // 3600)), lang), reply_markup=keyboard)
        return True
    await _turn(update, context, message, message.text, scenario, lang)
    return True


def _stored_reply(state: dict, text: str | None) -> str | None:
    """The customer's stored answer when the last stored rep turn is `text`, else None."""
    transcript = state.get("transcript") or []
    if len(transcript) >= 2 and transcript[-1].get("role") == "customer" and transcript[-2].get("role") == "rep" \
            and transcript[-2].get("text") == (text or "").strip():
        return transcript[-1]["text"]
    return None


async def _turn(update: Update, context: CoachContext, message: Message, text: str, scenario, lang: str) -> None:
    services, user = context.services, update.effective_user
    say = functools.partial(services.coach.say, user.id, text, origin=_origin(update))
    try:
        async with typing(context.bot, message.chat_id):
            reply = await services.run(say, user=user.id)
    except TurnTooLong as exc:
        await message.get_bot().send_message(message.chat_id, t("rp_too_long", lang, n=exc.length, max=MAX_TURN_CHARS))
        return
    except UnknownScenario:
        await message.get_bot().send_message(message.chat_id, t("rp_gone", lang))
        return
    except NoActiveSession:  # ended by another update in between
        await message.get_bot().send_message(message.chat_id, t("rp_none", lang))
        return
    if reply.card is None:
        await message.get_bot().send_message(message.chat_id,
                                             in_script(f"🧑‍💼 {_name(scenario)}：{reply.turn.text}", lang))
        return
    ended = services.coach.ended_by(user.id, _origin(update))
    await _send_ending(message, context, ended, reply.card, lang, last_line=reply.turn.text)


async def after_end_notice(update: Update, context: CoachContext) -> None:
    """A text minutes after a role-play ended: say the customer is gone before answering it as a question."""
    services, user = context.services, update.effective_user
    ended = await services.run(services.coach.just_ended, user.id, services.clock())
    if ended is None:
        return
    scenario = services.coach.scenarios().get(ended.scenario)
    lang = context.lang(update)
    title = in_script(scenario.title if scenario else ended.scenario, lang)
    await update.effective_message.reply_text(t("rp_after_end", lang, title=title))


# --------------------------------------------------------------------------- buttons
async def on_button(update: Update, context: CoachContext) -> None:
    """rp:list | rp:s:ID | rp:d:ID:LEVEL | rp:go:ID:LEVEL | rp:cont | rp:end; stale data gets a polite no."""
    query = update.callback_query
    lang = context.lang(update)
    coach = context.services.coach
    parts = (query.data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    scenarios = coach.scenarios()
    scenario = scenarios.get(parts[2]) if len(parts) > 2 else None
    level = parts[3] if len(parts) > 3 else None
    if action in ("end", "send") and await replayed_ending(update, context):
        return
    if action == "list":
        await query.answer()
        await _edit_or_send(query, context, t("rp_choose", lang), _scenario_keyboard(context, lang))
    elif action == "s" and scenario:
        await query.answer()
        text = in_script(f"《{scenario.title}》\n{scenario.summary}\n\n" + "\n".join(
            level_text(scenario, lv) for lv in LEVELS), lang) + "\n\n" + t("rp_choose_level", lang)
        keyboard = [[InlineKeyboardButton(level_name(lv, lang), callback_data=f"rp:d:{scenario.id}:{lv}")
                     for lv in LEVELS], [InlineKeyboardButton(t("rp_btn_back", lang), callback_data="rp:list")]]
        await _edit_or_send(query, context, text, InlineKeyboardMarkup(keyboard))
    elif action in ("d", "next") and scenario and level in LEVELS:
        await query.answer()
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t("rp_btn_start", lang),
                                                               callback_data=f"rp:go:{scenario.id}:{level}")],
                                         [InlineKeyboardButton(t("rp_btn_back", lang), callback_data="rp:list")]])
        await send_html(_target(query), html.escape(in_script(brief_text(scenario, level), lang)), keyboard,
                        reply=False)
    elif action == "go" and scenario and level in LEVELS:
        try:
            coach.start(query.from_user.id, query.from_user.id, scenario.id, level)
        except SessionActive:
            await query.answer(t("rp_busy", lang), show_alert=True)
            return
        await query.answer()
        target = _target(query)
        await target.get_bot().send_message(target.chat_id, t("rp_started", lang))
        await target.get_bot().send_message(
            target.chat_id, in_script(f"🧑‍💼 {scenario.persona.name}：{scenario.opening}", lang))
    elif action == "cont":
        running = coach.active(query.from_user.id)
        if running is None:
            await query.answer(t("rp_none", lang), show_alert=True)
            return
        await query.answer()
        last = running.state["transcript"][-1]
        name = _name(scenarios.get(running.scenario))
        target = _target(query)
        await target.get_bot().send_message(target.chat_id, in_script(f"🧑‍💼 {name}：{last['text']}", lang))
    elif action in ("send", "ask"):
        text = coach.unpark(query.from_user.id)
        if text is None:
            await query.answer(t("stale_button", lang), show_alert=True)
            return
        await query.answer()
        if action == "send":
            running = coach.active(query.from_user.id)
            await _turn(update, context, _target(query), text, scenarios.get(running.scenario), lang)
        else:
            from bot.telegram.app import answer_question  # the Q&A handler lives with the app

            await answer_question(update, context, text)
    elif action == "end":
        if coach.active(query.from_user.id) is None:
            await query.answer(t("rp_none", lang), show_alert=True)
            return
        await query.answer()
        await _end(update, context, _target(query))
    else:
        await query.answer(t("stale_button", lang), show_alert=True)


# --------------------------------------------------------------------------- helpers
async def _end(update: Update, context: CoachContext, target: Message) -> None:
    lang, services, user = context.lang(update), context.services, update.effective_user
    end = functools.partial(services.coach.end, user.id, origin=_origin(update))
    try:
        card = await services.run(end, user=user.id)
    except NoActiveSession:
        await target.get_bot().send_message(target.chat_id, t("rp_none", lang))
        return
    except UnknownScenario:
        await target.get_bot().send_message(target.chat_id, t("rp_gone", lang))
        return
    await _send_ending(target, context, services.coach.ended_by(user.id, _origin(update)), card, lang)


def _origin(update: Update) -> str:
    """What a session remembers as the request that ended it: the update, which a re-run after a crash keeps."""
    return f"update:{update.update_id}"


async def replayed_ending(update: Update, context: CoachContext) -> bool:
    """An update re-run after a crash (bot.telegram.inbox) that had already ended the rep's role-play (the turn
    the customer left on, /end, the end button): send what the crash kept from the rep of that ending, and
    nothing else. It is not a question for the knowledge base, nor a turn, nor a reason to say "no role-play
    is running"; and what reached the rep before the crash is not sent twice."""
    user = update.effective_user
    if user is None or not replayed(context, update):
        return False
    coach = context.services.coach
    ended = coach.ended_by(user.id, _origin(update))
    if ended is None:
        return False
    lang = context.lang(update)
    log.info("update %s had ended role-play %s before the crash; sending what is missing of its ending",
             update.update_id, ended.session_id)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # likely too old to answer by now
            await update.callback_query.answer()
    target = update.effective_message if isinstance(update.effective_message, Message) and \
        update.callback_query is None else ChatTarget(context.bot, update.effective_chat.id)
    if not ended.card:
        return True  # its scenario was gone: "rp_gone" was the whole ending
    last_line = ended.state["transcript"][-1]["text"] if ended.outcome != "ended" else None
    await _send_ending(target, context, ended, coach.scorecard(ended), lang, last_line=last_line)
    return True


async def _send_ending(target: Message, context: CoachContext, ended: StoredRolePlay | None, card: Scorecard,
                       lang: str, last_line: str | None = None) -> None:
    """The end of a session as the rep sees it, part by part: the customer's last line and "this practice is
    over" (when the customer ended it), the scorecard, the chart. Each part is remembered in the session once
    it is out, so sending the ending again after a crash sends only what is missing."""
    done = set(ended.state.get("delivered", [])) if ended is not None else set()
    coach, bot = context.services.coach, target.get_bot()

    def sent(part: str) -> None:
        if ended is not None:
            context.try_write(coach.delivered, ended, part)

    if last_line is not None and "line" not in done:
        scenario = coach.scenarios().get(card.scenario)
        await bot.send_message(target.chat_id, in_script(f"🧑‍💼 {_name(scenario)}：{last_line}", lang))
        outcome = outcome_name(card.outcome, lang)
        await bot.send_message(target.chat_id, t("rp_over", lang, outcome=outcome))
        sent("line")
    if "card" not in done:
        await _send_scorecard_text(target, card, lang)
        sent("card")
    if "chart" not in done and await _send_chart(target, context, card, lang):
        sent("chart")


async def _send_scorecard_text(target: Message, card: Scorecard, lang: str) -> None:
    keyboard = None
    if card.next_practice:
        nxt = card.next_practice
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
            t("rp_btn_next", lang), callback_data=f"rp:next:{nxt['scenario']}:{nxt['difficulty']}")]])
    await send_html(target, html.escape(in_script(scorecard_text(card), lang)), keyboard, reply=False)


async def _send_chart(target: Message, context: CoachContext, card: Scorecard, lang: str) -> bool:
    from bot.coach.chart import scorecard_png

    try:
        png = await context.services.run(scorecard_png, card)
    except Exception:  # the text scorecard has gone out; a missing chart must not look like a crash
        log.exception("scorecard chart failed")
        return False
    await target.get_bot().send_photo(target.chat_id, png, caption=in_script(
        t("rp_chart_caption", lang, title=card.title, total=card.total), lang))
    return True


def _scenario_keyboard(context: CoachContext, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(in_script(s.title, lang) if lang != "en" else s.title_en,
                                                       callback_data=f"rp:s:{s.id}")]
                                 for s in context.services.coach.scenarios().values()])


def _target(query) -> Message:
    """The message a button was on; when Telegram no longer shows it, a stand-in in the user's chat."""
    if query.message is not None and isinstance(query.message, Message):
        return query.message
    return ChatTarget(query.get_bot(), query.from_user.id)


async def _edit_or_send(query, context: CoachContext, text: str, keyboard: InlineKeyboardMarkup) -> None:
    if query.message is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, reply_markup=keyboard)
    else:
        await context.bot.send_message(query.from_user.id, text, reply_markup=keyboard)


def _name(scenario) -> str:
    return scenario.persona.name if scenario else "客户"
