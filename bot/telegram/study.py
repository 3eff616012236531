"""Self-study in the private chat: /learn, /quiz, /review, /progress, /exam, /remind."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.chat.i18n import DEFAULT_LANG, t
from bot.chat.study_views import exam_result_text, feedback_text, question_text
from bot.coach.self_study import ExamLocked, Feedback, Showing, StudyError, short_key
from bot.coach.study import LETTERS, Question
from bot.telegram.context import CoachContext, parse_id
from bot.telegram.render import in_script

log = logging.getLogger(__name__)
JOB_PREFIX = "remind:"
MAX_FREE_ANSWER = 500


def _study(context: CoachContext):
    return context.services.study


async def _say(update: Update, context: CoachContext, text: str, keyboard=None) -> None:
    lang = context.lang(update)
    chat_id = update.effective_chat.id if update.effective_chat else update.effective_user.id
    await context.bot.send_message(chat_id, in_script(text, lang), reply_markup=keyboard)


# --------------------------------------------------------------------------- lessons
async def learn_command(update: Update, context: CoachContext) -> None:
    """/learn: the next lesson screen, where the learner left off."""
    await _lesson(update, context, None, 0)


async def _lesson(update: Update, context: CoachContext, article: str | None, screen: int) -> None:
    study, lang = _study(context), context.lang(update)
    try:
        lesson = study.lesson(update.effective_user.id, article, screen)
    except StudyError:
        await _say(update, context, t("st_lesson_gone", lang))
        return
    module = next(m for m in study.path.modules if m.id == lesson.module)
    head = t("st_lesson_head", lang, module=module.title, title=lesson.article.title, screen=lesson.screen + 1,
             screens=lesson.screens)
    row = []
    if lesson.next:
        label = "st_btn_next_page" if lesson.next[0] == lesson.article.id else "st_btn_next_lesson"
        row.append(InlineKeyboardButton(t(label, lang), callback_data=f"st:l:{lesson.next[0]}:{lesson.next[1]}"))
    row.append(InlineKeyboardButton(t("st_btn_quiz_me", lang), callback_data=f"st:q:{lesson.module}"))
    await _say(update, context, f"{head}\n\n{lesson.text}", InlineKeyboardMarkup([row]))


# --------------------------------------------------------------------------- questions
def _options_keyboard(showing: Showing, prefix: str) -> InlineKeyboardMarkup | None:
    """One button per option, labelled with its letter on screen; the data names the option itself, so an old
    message's buttons still mean what they showed after the options were shuffled again."""
    if not showing.question.is_choice:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(LETTERS[i], callback_data=f"{prefix}:{option}")
                                  for i, option in enumerate(showing.order)]])


async def quiz_command(update: Update, context: CoachContext) -> None:
    """/quiz: a question from the current module."""
    await _ask(update, context, None)


async def _ask(update: Update, context: CoachContext, module: str | None, *, review: bool = False) -> None:
    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    if review:
        due = study.due(uid)
        if not due:
            await _say(update, context, t("st_no_reviews", lang))
            return
        q, head = due[0], t("st_review_head", lang, n=len(due))
    else:
        try:
            q = study.quiz(uid, module)
        except StudyError:
            await _say(update, context, t("st_no_questions", lang))
            return
        head = t("st_quiz_head", lang)
    showing = study.show(uid, q.id, "review" if review else "quiz")
    kind = "r" if review else "a"
    await _say(update, context, question_text(showing, head, t("st_how", lang) if q.is_choice else "", lang),
               _options_keyboard(showing, f"st:{kind}:{short_key(q.id)}"))


async def review_command(update: Update, context: CoachContext) -> None:
    """/review: what the spaced-review schedule says is due."""
    await _ask(update, context, None, review=True)


async def typed_answer(update: Update, context: CoachContext) -> bool:
    """A typed answer to the question on screen: free text, or a letter or an option's words for a choice
    question (in a quiz, a review or the exam). False when it is not an answer (then it is a question)."""
    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    text = (update.effective_message.text or "").strip()
    typed = study.typed(uid, text)
    if typed is None:
        return False
    showing = typed.showing
    if showing.context == "exam":
        if typed.answer is None:
            await _say(update, context, t("st_exam_letter", lang, last=LETTERS[len(showing.options) - 1]))
            return True
        await _exam_answer(update, context, showing.attempt, showing.index, typed.answer)
        return True
    if typed.answer is None and typed.by_letter:
        await _say(update, context, t("st_no_such_option", lang, last=LETTERS[len(showing.options) - 1]))
        return True
    if typed.answer is None:
        return False  # not one of the options: a question for the knowledge base; the quiz question still waits
    if not showing.question.is_choice and len(text) > MAX_FREE_ANSWER:
        await _say(update, context, t("st_answer_too_long", lang, n=len(text), max=MAX_FREE_ANSWER))
        return True
    fb = await context.services.run(study.answer, uid, showing.question.id, typed.answer, showing.context, user=uid)
    await _feedback(update, context, fb, "r" if showing.context == "review" else "a")
    return True


async def _feedback(update: Update, context: CoachContext, fb: Feedback, kind: str) -> None:
    lang = context.lang(update)
    next_button = InlineKeyboardButton(t("st_btn_next_review" if kind == "r" else "st_btn_next_question", lang),
                                       callback_data="st:r" if kind == "r" else f"st:q:{fb.question.module}")
    await _say(update, context, feedback_text(fb, lang), InlineKeyboardMarkup(
        [[next_button, InlineKeyboardButton(t("st_btn_keep_learning", lang), callback_data="st:l")]]))


# --------------------------------------------------------------------------- progress
async def progress_command(update: Update, context: CoachContext) -> None:
    """/progress: modules, accuracy by topic, streak, due reviews, role-play scores; text and a chart."""
    from bot.coach.chart import progress_png

    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    p = study.progress(uid)
    scenarios = context.services.coach.scenarios()
    lines = [t("st_progress_title", lang), ""]
    for m in p.modules:
        acc = f"{100 * m.right / m.answered:.0f}%" if m.answered else "-"
        lines.append(t("st_progress_module", lang, mark="✅" if m.done else "▫️", title=m.title, read=m.read,
                       lessons=m.lessons, answered=m.answered, acc=acc))
    lines += ["", t("st_progress_streak", lang, streak=p.streak, due=p.due)]
    rules = study.path.exam
    lines.append(t("st_progress_roleplays", lang, scores=t("sep", lang).join(
        f"{scenarios[s].title if s in scenarios else s} {p.roleplays.get(s, '-')}" for s in rules.roleplays)))
    lines.append(t("st_progress_exam_best", lang, pct=p.exam_best * 100) if p.exam_best is not None
                 else t("st_progress_no_exam", lang))
    if p.certified:
        lines.append(t("st_certified", lang))
    else:
        gaps = study.certification_gaps(uid)
        names = [t("st_gap_exam", lang) if g == "exam" else
                 t("st_gap_roleplay", lang, title=scenarios[g].title if g in scenarios else g, score=rules.roleplay_pass)
                 for g in gaps]
        lines.append(t("st_cert_gaps", lang, gaps=t("list_sep", lang).join(names)))
    await _say(update, context, "\n".join(lines))
    try:
        png = await context.services.run(progress_png, p)
    except Exception:
        log.exception("progress chart failed")
        return
    await context.bot.send_photo(update.effective_chat.id, png, caption=t("st_progress_chart", lang))


# --------------------------------------------------------------------------- exam
async def exam_command(update: Update, context: CoachContext) -> None:
    """/exam: the rules, then a start button; in a group, a link to take it privately (the questions and
    the learner's answers are nobody else's business, and others could copy them)."""
    lang = context.lang(update)
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
            t("st_btn_exam_private", lang), url=f"https://t.me/{context.bot.username}?start=exam")]])
        await update.effective_message.reply_text(t("st_exam_private", lang), reply_markup=keyboard)
        return
    rules = _study(context).path.exam
    text = t("st_exam_rules", lang, questions=rules.questions, minutes=rules.minutes, pass_mark=rules.pass_mark,
             attempts=rules.max_attempts, cooldown=rules.cooldown_hours, rp_pass=rules.roleplay_pass)
    await _say(update, context, text,
               InlineKeyboardMarkup([[InlineKeyboardButton(t("st_btn_exam_start", lang), callback_data="st:x")]]))


async def _exam_start(update: Update, context: CoachContext) -> None:
    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    try:
        attempt, questions = study.exam_start(uid)
    except ExamLocked as exc:
        if exc.reason == "passed":
            text = t("st_exam_passed_already", lang)
        elif exc.reason == "attempts":
            text = t("st_exam_no_attempts", lang)
        else:
            text = t("st_exam_cooldown", lang, when=context.when(exc.until))
        await _say(update, context, text)
        return
    answered = len(study.store.exam(attempt)["answers"])
    await _exam_question(update, context, attempt, answered, questions)


async def _exam_question(update, context, attempt: int, i: int, questions: list[Question]) -> None:
    study, lang = _study(context), context.lang(update)
    exam = study.store.exam(attempt)
    left = max(0, int(exam["deadline"] - study.clock()))
    showing = study.show(update.effective_user.id, questions[i].id, "exam", attempt=attempt, index=i)
    head = t("st_exam_head", lang, n=i + 1, total=len(questions), min=left // 60, sec=left % 60)
    how = t("st_how", lang) if showing.question.is_choice else ""
    await _say(update, context, question_text(showing, head, how, lang),
               _options_keyboard(showing, f"st:e:{attempt}:{i}"))



def _check_option(q: Question | None, option: int) -> None:
    """A chosen option must be one of the question's buttons: callback data can be forged."""
    if q is None or not q.is_choice or not 0 <= option < len(q.options):
        raise StudyError("no such option")


async def _exam_answer(update: Update, context: CoachContext, attempt: int, i: int, option: int) -> None:
    study, uid = _study(context), update.effective_user.id
    exam = study.store.exam(attempt)
    if exam is None or exam["user_id"] != uid or not 0 <= i < len(exam["questions"]):
        raise StudyError("stale exam")
    _check_option(study.questions.get(exam["questions"][i]), option)
    nxt = study.exam_answer(uid, attempt, i, option)
    if nxt is not None:
        exam = study.store.exam(attempt)
        await _exam_question(update, context, attempt, nxt, [study.questions[q] for q in exam["questions"]])
        return
    result = study.exam_finish(uid, attempt)
    await _say(update, context, exam_result_text(result, study.path.exam.pass_mark, context.lang(update)))
    if result.passed:
        await _certify(update, context)


async def _certify(update: Update, context: CoachContext) -> None:
    study, uid, lang = _study(context), update.effective_user.id, context.lang(update)
    if study.try_certify(uid):
        await _say(update, context, t("st_certified_congrats", lang, name=update.effective_user.full_name))
    else:
        await _say(update, context, t("st_cert_needs_roleplays", lang))


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
    """st:l[:ARTICLE:SCREEN] | st:q:MODULE | st:a:KEY:OPT | st:r[:KEY:OPT] | st:x | st:e:ATTEMPT:I:OPT."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    study, uid = _study(context), query.from_user.id
    try:
        kind = parts[1]
        if kind == "l":
            screen = parse_id(parts[3], upper=10_000) if len(parts) == 4 else 0
            await query.answer()
            if len(parts) == 4:
                await _lesson(update, context, parts[2], screen)
            else:
                await _lesson(update, context, None, 0)
        elif kind == "q":
            await query.answer()
            await _ask(update, context, parts[2] if len(parts) > 2 else None)
        elif kind in ("a", "r") and len(parts) == 4:
            q = study.by_key.get(parts[2])
            option = parse_id(parts[3], upper=len(LETTERS))
            _check_option(q, option)
            await query.answer()
            fb = await context.services.run(study.answer, uid, q.id, option, "review" if kind == "r" else "quiz",
                                            user=uid)
            await _feedback(update, context, fb, kind)
        elif kind == "r":
            await query.answer()
            await _ask(update, context, None, review=True)
        elif kind == "x":
            if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
                await query.answer(t("st_exam_private_alert", context.lang(update)), show_alert=True)
                return
            await query.answer()
            await _exam_start(update, context)
        elif kind == "e" and len(parts) == 5:
            attempt, i, option = parse_id(parts[2]), parse_id(parts[3], upper=1000), parse_id(parts[4], upper=1000)
            await _exam_answer(update, context, attempt, i, option)
            await query.answer()
        else:
            raise StudyError("stale")
    except (StudyError, ValueError, IndexError):
        await query.answer(t("st_stale", context.lang(update)), show_alert=True)

