"""Self-study in the private chat: /learn, /quiz, /review, /progress, /exam, /remind."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.coach.self_study import ExamLocked, Feedback, Showing, StudyError, short_key
from bot.coach.study import LETTERS, Question
from bot.coach.text import exam_result_text, feedback_text, question_text
from bot.telegram.context import CoachContext, parse_id
from bot.telegram.render import in_script

log = logging.getLogger(__name__)
JOB_PREFIX = "remind:"
MAX_FREE_ANSWER = 500
_HOW = "点按钮，或直接回复字母（如 B）或选项的内容。"


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
    study = _study(context)
    try:
        lesson = study.lesson(update.effective_user.id, article, screen)
    except StudyError:
        await _say(update, context, "这一课已经不在学习路径里了。发 /learn 从你学到的地方继续。")
        return
    module = next(m for m in study.path.modules if m.id == lesson.module)
    head = f"📖 {module.title} ·《{lesson.article.title}》（{lesson.screen + 1}/{lesson.screens}）"
    row = []
    if lesson.next:
        row.append(InlineKeyboardButton("下一页 ▶" if lesson.next[0] == lesson.article.id else "下一课 ▶",
                                        callback_data=f"st:l:{lesson.next[0]}:{lesson.next[1]}"))
    row.append(InlineKeyboardButton("📝 考考我", callback_data=f"st:q:{lesson.module}"))
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
    study, uid = _study(context), update.effective_user.id
    if review:
        due = study.due(uid)
        if not due:
            await _say(update, context, "🎉 现在没有要复习的题。答错的题会按间隔重复算法安排回来，发 /quiz 做新题。")
            return
        q, head = due[0], f"🔁 复习（还有 {len(due)} 题到期）"
    else:
        try:
            q = study.quiz(uid, module)
        except StudyError:
            await _say(update, context, "这个模块还没有题目。发 /learn 继续学习。")
            return
        head = "📝 小测验"
    showing = study.show(uid, q.id, "review" if review else "quiz")
    kind = "r" if review else "a"
    await _say(update, context, question_text(showing, head, _HOW if q.is_choice else ""),
               _options_keyboard(showing, f"st:{kind}:{short_key(q.id)}"))


async def review_command(update: Update, context: CoachContext) -> None:
    """/review: what the spaced-review schedule says is due."""
    await _ask(update, context, None, review=True)


async def typed_answer(update: Update, context: CoachContext) -> bool:
    """A typed answer to the question on screen: free text, or a letter or an option's words for a choice
    question (in a quiz, a review or the exam). False when it is not an answer (then it is a question)."""
    study, uid = _study(context), update.effective_user.id
    text = (update.effective_message.text or "").strip()
    typed = study.typed(uid, text)
    if typed is None:
        return False
    showing = typed.showing
    if showing.context == "exam":
        if typed.answer is None:
            await _say(update, context, f"考试进行中：请回复 A–{LETTERS[len(showing.options) - 1]} 中的一个字母，"
                                        "或写出选项的内容（也可以点题目下的按钮）。")
            return True
        await _exam_answer(update, context, showing.attempt, showing.index, typed.answer)
        return True
    if typed.answer is None and typed.by_letter:
        await _say(update, context, f"没有这个选项：请回复 A–{LETTERS[len(showing.options) - 1]} 中的一个字母，或选项的内容。")
        return True
    if typed.answer is None:
        return False  # not one of the options: a question for the knowledge base; the quiz question still waits
    if not showing.question.is_choice and len(text) > MAX_FREE_ANSWER:
        await _say(update, context, f"回答太长了（{len(text)} 字），请控制在 {MAX_FREE_ANSWER} 字以内。")
        return True
    fb = await context.services.run(study.answer, uid, showing.question.id, typed.answer, showing.context, user=uid)
    await _feedback(update, context, fb, "r" if showing.context == "review" else "a")
    return True


async def _feedback(update: Update, context: CoachContext, fb: Feedback, kind: str) -> None:
    next_button = InlineKeyboardButton("🔁 下一道复习题" if kind == "r" else "📝 下一题",
                                       callback_data="st:r" if kind == "r" else f"st:q:{fb.question.module}")
    await _say(update, context, feedback_text(fb),
               InlineKeyboardMarkup([[next_button, InlineKeyboardButton("📖 继续学习", callback_data="st:l")]]))


# --------------------------------------------------------------------------- progress
async def progress_command(update: Update, context: CoachContext) -> None:
    """/progress: modules, accuracy by topic, streak, due reviews, role-play scores; text and a chart."""
    from bot.coach.chart import progress_png

    study, uid = _study(context), update.effective_user.id
    p = study.progress(uid)
    scenarios = context.services.coach.scenarios()
    lines = ["📈 学习进度", ""]
    for m in p.modules:
        acc = f"{100 * m.right / m.answered:.0f}%" if m.answered else "-"
        lines.append(f"{'✅' if m.done else '▫️'} {m.title}：课程 {m.read}/{m.lessons}，测验 {m.answered} 题，正确率 {acc}")
    lines += ["", f"🔥 连续学习 {p.streak} 天 · 🔁 待复习 {p.due} 题"]
    rules = study.path.exam
    lines.append("🎭 角色扮演最好成绩：" + "，".join(
        f"{scenarios[s].title if s in scenarios else s} {p.roleplays.get(s, '-')}" for s in rules.roleplays))
    lines.append(f"📝 考试最好成绩：{p.exam_best * 100:.0f}%" if p.exam_best is not None else "📝 还没参加考试（/exam）")
    if p.certified:
        lines.append("🎓 已通过认证")
    else:
        gaps = study.certification_gaps(uid)
        names = ["考试" if g == "exam" else f"《{scenarios[g].title if g in scenarios else g}》≥{rules.roleplay_pass} 分"
                 for g in gaps]
        lines.append("🎓 认证还差：" + "、".join(names))
    await _say(update, context, "\n".join(lines))
    try:
        png = await context.services.run(progress_png, p)
    except Exception:
        log.exception("progress chart failed")
        return
    await context.bot.send_photo(update.effective_chat.id, png, caption="学习进度图")


# --------------------------------------------------------------------------- exam
async def exam_command(update: Update, context: CoachContext) -> None:
    """/exam: the rules, then a start button; in a group, a link to take it privately (the questions and
    the learner's answers are nobody else's business, and others could copy them)."""
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
            "📝 私聊我开始考试", url=f"https://t.me/{context.bot.username}?start=exam")]])
        await update.effective_message.reply_text("认证考试在私聊里进行：点下面的按钮，私聊我就能开始。",
                                                  reply_markup=keyboard)
        return
    rules = _study(context).path.exam
    text = (f"📝 认证考试：{rules.questions} 题，覆盖全部模块，限时 {rules.minutes:g} 分钟，"
            f"答对 {rules.pass_mark:.0%} 及格；最多考 {rules.max_attempts} 次，两次之间间隔 {rules.cooldown_hours:g} 小时。\n"
            f"认证还需要四个角色扮演各拿到 {rules.roleplay_pass} 分以上。")
    await _say(update, context, text, InlineKeyboardMarkup([[InlineKeyboardButton("开始考试", callback_data="st:x")]]))


async def _exam_start(update: Update, context: CoachContext) -> None:
    study, uid = _study(context), update.effective_user.id
    try:
        attempt, questions = study.exam_start(uid)
    except ExamLocked as exc:
        if exc.reason == "passed":
            text = "你已经通过考试了。发 /progress 看认证还差什么。"
        elif exc.reason == "attempts":
            text = "考试次数已用完。请联系培训师。"
        else:
            text = f"两次考试之间要间隔一段时间，{context.when(exc.until)} 之后可以再考。"
        await _say(update, context, text)
        return
    answered = len(study.store.exam(attempt)["answers"])
    await _exam_question(update, context, attempt, answered, questions)


async def _exam_question(update, context, attempt: int, i: int, questions: list[Question]) -> None:
    study = _study(context)
    exam = study.store.exam(attempt)
    left = max(0, int(exam["deadline"] - study.clock()))
    showing = study.show(update.effective_user.id, questions[i].id, "exam", attempt=attempt, index=i)
    head = f"📝 考试 第 {i + 1}/{len(questions)} 题（剩余 {left // 60} 分 {left % 60} 秒）"
    await _say(update, context, question_text(showing, head, _HOW if showing.question.is_choice else ""),
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
    await _say(update, context, exam_result_text(result, study.path.exam.pass_mark))
    if result.passed:
        await _certify(update, context)


async def _certify(update: Update, context: CoachContext) -> None:
    study, uid = _study(context), update.effective_user.id
    if study.try_certify(uid):
        await _say(update, context, f"🎓 恭喜 {update.effective_user.full_name}！你已通过销售教练认证：考试和四个角色扮演都达标。"
                                    "培训师可以在 /team 里看到。")
    else:
        await _say(update, context, "离认证还差角色扮演成绩：发 /progress 看看还差哪个，发 /roleplay 去练。")


# --------------------------------------------------------------------------- daily reminder
async def remind_command(update: Update, context: CoachContext) -> None:
    """/remind HH:MM | off: a daily study reminder, restored after restarts."""
    study, uid = _study(context), update.effective_user.id
    arg = (context.args or [""])[0]
    state = study.store.study_state(uid)
    if arg == "off":
        state.pop("remind", None)
        study.store.save_study_state(uid, state)
        _unschedule(context.application, uid)
        await _say(update, context, "已关闭每日提醒。")
        return
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", arg):
        current = state.get("remind")
        await _say(update, context, ("现在每天 " + current + " 提醒你。" if current else "") +
                   "用法：/remind 08:30 设置每日学习提醒（北京时间），/remind off 关闭。")
        return
    state["remind"] = arg
    study.store.save_study_state(uid, state)
    _schedule(context.application, uid, arg)
    await _say(update, context, f"好的，每天 {arg} 提醒你学习。")


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
    if study.store.study_state(data["user_id"]).get("remind") != data["at"]:
        return  # changed or switched off meanwhile
    p = study.progress(data["user_id"])
    text = f"⏰ 学习时间到！连续学习 {p.streak} 天，待复习 {p.due} 题。发 /learn 继续，或 /review 复习。"
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
                await query.answer("认证考试在私聊里进行：私聊我发 /exam。", show_alert=True)
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
        await query.answer("这个按钮已失效。发 /learn、/quiz 或 /exam 重新开始。", show_alert=True)

