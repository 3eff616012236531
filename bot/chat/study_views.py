"""Study questions, verdicts and exam results as plain text in the reader's language, for both faces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.i18n import t

if TYPE_CHECKING:
    from bot.coach.self_study import Feedback, Showing
    from bot.coach.study import ExamResult


def question_text(showing: Showing, head: str, how: str = "", lang: str = "zh-CN") -> str:
    """A question as shown: the stem, then the options in this showing's order, then how to answer."""
    from bot.coach.study import LETTERS

    q = showing.question
    lines = [head, "", q.prompt]
    if q.is_choice:
        lines += [""] + [f"{LETTERS[i]}. {o}" for i, o in enumerate(showing.options)]
    lines += ["", how or t("st_how_typed" if q.is_choice else "st_how_free", lang)]
    return "\n".join(lines)


def feedback_text(fb: Feedback, lang: str = "zh-CN") -> str:
    """After an answer: the verdict (free text: with what was said and what is missing), why, and the article."""
    q = fb.question
    if not q.is_choice:
        reason = fb.reason_in(lang)
        head = t(f"st_grade_{fb.grade}", lang) + (f"\n{reason}" if reason else "")
    elif fb.correct:
        head = t("st_grade_right", lang)
    else:
        head = t("st_right_answer_was", lang, letter=fb.right_letter, answer=fb.right_answer)
    return f"{head}\n\n{q.explanation}\n\n{t('st_based_on', lang, title=fb.article_title)}"


def exam_result_text(result: ExamResult, pass_mark: float, lang: str = "zh-CN") -> str:
    """The score, then every wrong answer with the right one and the article to read."""
    text = t("st_exam_result", lang, right=result.right, total=result.total, score=result.score)
    text += t("st_exam_late", lang) if result.late else ""
    text += t("st_exam_pass", lang) if result.passed else t("st_exam_fail", lang, pass_mark=pass_mark)
    if result.mistakes:
        text += "\n\n" + t("st_exam_mistakes", lang)
        for n, m in enumerate(result.mistakes, 1):
            stem = " ".join(m.question.prompt.split())
            stem = stem if len(stem) <= 60 else stem[:59] + "…"
            given = t("st_exam_given", lang, given=m.given) if m.given is not None else t("st_exam_not_answered", lang)
            text += f"\n{n}. {stem}\n   " + t("st_exam_mistake", lang, given=given, right=m.right, title=m.article_title)
        text += "\n\n" + t("st_exam_mistakes_review", lang)
    return text
