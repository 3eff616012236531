"""Self-study, written once for both faces: lessons, quiz and review questions (answered by button, letter,
the option's words or free text), progress, and the exam with its time left.

The question on the learner's screen lives in the store (`SelfStudy.show`), so a typed answer finds it after
a restart, in either face, and it expires as the bot's does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.i18n import chart_text, t, when
from bot.chat.reply import (
    Action,
    Button,
    Caller,
    Outcome,
    Reply,
    StAnswer,
    StExamAnswer,
    StExamStart,
    StLesson,
    StQuiz,
    StReview,
    buttons,
    say,
)
from bot.chat.study_views import exam_result_text, feedback_text, question_text
from bot.coach.self_study import ExamLocked, Feedback, Showing, StudyError, short_key
from bot.coach.study import LETTERS, Question

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_FREE_ANSWER = 500


# --------------------------------------------------------------------------- lessons
def lesson(services: Services, who: Caller, article: str | None = None, screen: int = 0) -> Outcome:
    """/learn: the next lesson screen, where the learner left off (or the one a button names)."""
    study, lang = services.study, who.lang
    try:
        ls = study.lesson(who.user, article, screen)
    except StudyError:
        return Outcome([say(t("st_lesson_gone", lang), lang)])
    module = next(m for m in study.path.modules if m.id == ls.module)
    head = t("st_lesson_head", lang, module=module.title, title=ls.article.title, screen=ls.screen + 1,
             screens=ls.screens)
    row = []
    if ls.next:
        label = "st_btn_next_page" if ls.next[0] == ls.article.id else "st_btn_next_lesson"
        row.append(Button(t(label, lang), StLesson(*ls.next)))
    row.append(Button(t("st_btn_quiz_me", lang), StQuiz(ls.module)))
    return Outcome([say(f"{head}\n\n{ls.text}", lang, buttons=buttons(row))])


# --------------------------------------------------------------------------- questions
def _options(showing: Showing, action) -> tuple:
    """One button per option, labelled with its letter on screen; the action names the option itself, so an
    old message's buttons still mean what they showed after the options were shuffled again."""
    if not showing.question.is_choice:
        return ()
    return buttons([Button(LETTERS[i], action(option)) for i, option in enumerate(showing.order)])


def ask(services: Services, who: Caller, module: str | None = None, *, review: bool = False) -> Outcome:
    """/quiz (a question from the current module) or /review (the first one the spaced schedule says is due)."""
    study, lang = services.study, who.lang
    if review:
        due = study.due(who.user)
        if not due:
            return Outcome([say(t("st_no_reviews", lang), lang)])
        q, head = due[0], t("st_review_head", lang, n=len(due))
    else:
        try:
            q = study.quiz(who.user, module)
        except StudyError:
            return Outcome([say(t("st_no_questions", lang), lang)])
        head = t("st_quiz_head", lang)
    showing = study.show(who.user, q.id, "review" if review else "quiz")
    key = short_key(q.id)
    text = question_text(showing, head, t("st_how", lang) if q.is_choice else "", lang)
    return Outcome([say(text, lang, buttons=_options(showing, lambda o: StAnswer(key, o, review=review)))])


def typed_answer(services: Services, who: Caller, text: str) -> Outcome | None:
    """A typed answer to the question on screen: free text, or a letter or an option's words for a choice
    question (in a quiz, a review or the exam). None when it is not an answer (then it is a question)."""
    study, lang = services.study, who.lang
    text = text.strip()
    typed = study.typed(who.user, text)
    if typed is None:
        return None
    showing = typed.showing
    last = LETTERS[len(showing.options) - 1] if showing.options else "A"
    if showing.context == "exam":
        if typed.answer is None:
            return Outcome([say(t("st_exam_letter", lang, last=last), lang)])
        return _exam_answer(services, who, showing.attempt, showing.index, typed.answer)
    if typed.answer is None and typed.by_letter:
        return Outcome([say(t("st_no_such_option", lang, last=last), lang)])
    if typed.answer is None:
        return None  # not one of the options: a question for the knowledge base; the quiz question still waits
    if not showing.question.is_choice and len(text) > MAX_FREE_ANSWER:
        return Outcome([say(t("st_answer_too_long", lang, n=len(text), max=MAX_FREE_ANSWER), lang)])
    fb = study.answer(who.user, showing.question.id, typed.answer, showing.context)
    return _feedback(fb, lang, review=showing.context == "review")


def _feedback(fb: Feedback, lang: str, *, review: bool) -> Outcome:
    nxt = Button(t("st_btn_next_review" if review else "st_btn_next_question", lang),
                 StReview() if review else StQuiz(fb.question.module))
    return Outcome([say(feedback_text(fb, lang), lang, buttons=buttons(
        [nxt, Button(t("st_btn_keep_learning", lang), StLesson())]))])


def _check_option(q: Question | None, option: int) -> None:
    """A chosen option must be one of the question's buttons: callback data can be forged."""
    if q is None or not q.is_choice or not 0 <= option < len(q.options):
        raise StudyError("no such option")


# --------------------------------------------------------------------------- progress
def progress(services: Services, who: Caller) -> Outcome:
    """/progress: modules, accuracy, streak, due reviews, role-play scores, the exam, what certification
    still needs; then the chart."""
    from bot.coach.chart import progress_png

    study, lang, uid = services.study, who.lang, who.user
    p = study.progress(uid)
    scenarios = services.coach.scenarios()
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
        names = [t("st_gap_exam", lang) if g == "exam" else
                 t("st_gap_roleplay", lang, title=scenarios[g].title if g in scenarios else g,
                   score=rules.roleplay_pass)
                 for g in study.certification_gaps(uid)]
        lines.append(t("st_cert_gaps", lang, gaps=t("list_sep", lang).join(names)))
    replies = [say("\n".join(lines), lang)]
    try:
        replies.append(say(t("st_progress_chart", lang), lang, image=progress_png(p, chart_text(lang)),
                            image_name=f"progress-{uid}.png"))
    except Exception:  # the text went out; a missing chart must not look like a crash
        log.exception("progress chart failed")
    return Outcome(replies)


# --------------------------------------------------------------------------- exam
def exam_rules(services: Services, who: Caller) -> Outcome:
    """/exam: the rules, then a start button."""
    rules, lang = services.study.path.exam, who.lang
    text = t("st_exam_rules", lang, questions=rules.questions, minutes=rules.minutes, pass_mark=rules.pass_mark,
             attempts=rules.max_attempts, cooldown=rules.cooldown_hours, rp_pass=rules.roleplay_pass)
    return Outcome([say(text, lang, buttons=buttons([Button(t("st_btn_exam_start", lang), StExamStart())]))])


def exam_start(services: Services, who: Caller) -> Outcome:
    study, lang = services.study, who.lang
    try:
        attempt, questions = study.exam_start(who.user)
    except ExamLocked as exc:
        if exc.reason == "passed":
            text = t("st_exam_passed_already", lang)
        elif exc.reason == "attempts":
            text = t("st_exam_no_attempts", lang)
        else:
            text = t("st_exam_cooldown", lang, when=when(services, exc.until))
        return Outcome([say(text, lang)])
    return _exam_question(services, who, attempt, len(study.store.exam(attempt)["answers"]), questions)


def _exam_question(services: Services, who: Caller, attempt: int, i: int, questions: list[Question]) -> Outcome:
    """An exam question under its number and the time left."""
    study, lang = services.study, who.lang
    left = max(0, int(study.store.exam(attempt)["deadline"] - study.clock()))
    showing = study.show(who.user, questions[i].id, "exam", attempt=attempt, index=i)
    head = t("st_exam_head", lang, n=i + 1, total=len(questions), min=left // 60, sec=left % 60)
    how = t("st_how", lang) if showing.question.is_choice else ""
    return Outcome([say(question_text(showing, head, how, lang), lang,
                         buttons=_options(showing, lambda o: StExamAnswer(attempt, i, o)))])


def _exam_answer(services: Services, who: Caller, attempt: int, i: int, option: int) -> Outcome:
    study, uid, lang = services.study, who.user, who.lang
    exam = study.store.exam(attempt)
    if exam is None or exam["user_id"] != uid or not 0 <= i < len(exam["questions"]):
        raise StudyError("stale exam")
    _check_option(study.questions.get(exam["questions"][i]), option)
    nxt = study.exam_answer(uid, attempt, i, option)
    if nxt is not None:
        exam = study.store.exam(attempt)
        return _exam_question(services, who, attempt, nxt, [study.questions[q] for q in exam["questions"]])
    result = study.exam_finish(uid, attempt)
    replies = [say(exam_result_text(result, study.path.exam.pass_mark, lang), lang)]
    if result.passed:
        replies.append(say(t("st_certified_congrats", lang, name=who.name) if study.try_certify(uid)
                            else t("st_cert_needs_roleplays", lang), lang))
    return Outcome(replies)


# --------------------------------------------------------------------------- buttons
def press(services: Services, who: Caller, action: Action) -> Outcome:
    """A study button; one that names a question, option or exam that is not there is stale."""
    study = services.study
    try:
        match action:
            case StLesson(article, screen):
                return lesson(services, who, article, screen)
            case StQuiz(module):
                return ask(services, who, module)
            case StReview():
                return ask(services, who, review=True)
            case StAnswer(key, option, review):
                q = study.by_key.get(key)
                _check_option(q, option)
                fb = study.answer(who.user, q.id, option, "review" if review else "quiz")
                return _feedback(fb, who.lang, review=review)
            case StExamStart():
                return exam_start(services, who)
            case StExamAnswer(attempt, index, option):
                return _exam_answer(services, who, attempt, index, option)
    except StudyError:
        pass
    return Outcome([Reply(t("st_stale", who.lang), alert=True)])
