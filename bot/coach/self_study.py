"""A learner's self-study, kept in the store: lessons, quizzes, reviews, progress, the exam, certification.

Both faces (terminal, Telegram) call this; the clock is injected so streaks, reviews, exam time limits
and cooldowns are testable.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.coach.freetext import FreeTextGrader, Grade, Verdict, default_grader
from bot.coach.results import best_scores
from bot.coach.study import (
    LETTERS,
    PATH_FILE,
    Article,
    ExamMistake,
    ExamResult,
    LearningPath,
    Question,
    exam_questions,
    lesson_screens,
    load_articles,
    load_path,
    looks_like_letter,
    question_bank,
    read_choice,
    review,
    shuffled_order,
    stable_hash,
    streak,
)
from bot.errors import SalescoachError
from bot.store import Store

MODULE_DONE_ACCURACY = 0.7
MODULE_DONE_ANSWERS = 5
PENDING_SECONDS = 30 * 60


class StudyError(SalescoachError):
    """A study request that cannot be served; the message is for the learner."""


class ExamLocked(StudyError):
    def __init__(self, reason: str, until: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.until = reason, until


@dataclass
class Lesson:
    module: str
    article: Article
    screen: int
    screens: int
    text: str
    next: tuple[str, int] | None  # (article, screen) to read next, None at the end of the path


@dataclass
class Showing:
    """A question as one learner sees it this time: its options in a fresh order."""

    question: Question
    order: list[int]  # shown position -> index in question.options
    context: str  # quiz | review | exam
    attempt: int | None = None
    index: int | None = None

    @property
    def options(self) -> list[str]:
        return [self.question.options[i] for i in self.order]

    def letter(self, option: int) -> str:
        """The letter an option (index in question.options) had on screen."""
        return LETTERS[self.order.index(option)] if option in self.order else LETTERS[option]


@dataclass
class Feedback:
    question: Question
    correct: bool
    right_answer: str
    article_title: str
    grade: Grade = "wrong"
    reason: str = ""  # free text: what was said and what is missing
    right_letter: str = ""  # the right option's letter as it was shown
    reason_en: str = ""  # the reason for a reader of the English interface

    def reason_in(self, lang: str) -> str:
        """The reason in the reader's language (zh-TW: the Chinese, which the faces put in traditional script)."""
        return (self.reason_en or self.reason) if lang == "en" else self.reason

    @property
    def verdict(self) -> Verdict | None:
        return Verdict(self.grade, self.reason) if self.question.kind == "free" else None


@dataclass
class Typed:
    """What a typed line means while a question is showing."""

    showing: Showing
    answer: int | str | None  # the option (index in question.options), the free text, or None: not an answer
    by_letter: bool = False  # the line picks a letter, even one the question does not have ("Z")


@dataclass
class ModuleProgress:
    id: str
    title: str
    read: int
    lessons: int
    answered: int
    right: int

    @property
    def done(self) -> bool:
        return (self.read == self.lessons and self.answered >= MODULE_DONE_ANSWERS
                and self.right / self.answered >= MODULE_DONE_ACCURACY)


@dataclass
class Progress:
    modules: list[ModuleProgress]
    streak: int
    due: int
    roleplays: dict[str, int]  # scenario -> best total
    exam_best: float | None
    certified: bool


class SelfStudy:
    def __init__(self, store: Store, knowledge_dir: Path, *, clock=time.time, timezone: str = "Asia/Shanghai",
                 path_file: Path = PATH_FILE, grader: FreeTextGrader | None = None) -> None:
        self.store, self.knowledge_dir, self.clock = store, knowledge_dir, clock
        self._grader = grader
        self.tz = ZoneInfo(timezone)
        self.path: LearningPath = load_path(path_file)
        self.articles = load_articles(knowledge_dir)
        self.questions = {q.id: q for q in question_bank(knowledge_dir, path_file)}
        # Telegram's callback data holds 64 bytes: buttons carry a short, stable key instead of the id.
        self.by_key = {short_key(q.id): q for q in self.questions.values()}

    @property
    def grader(self) -> FreeTextGrader:
        if self._grader is None:
            self._grader = default_grader()
        return self._grader

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock(), self.tz).date().isoformat()

    # ------------------------------------------------------------------ lessons
    def _order(self) -> list[tuple[str, str]]:
        return [(m.id, a) for m in self.path.modules for a in m.lessons if a in self.articles]

    def lesson(self, user_id: int, article_id: str | None = None, screen: int = 0) -> Lesson:
        """A screen of a lesson (default: where the learner left off); reading it is recorded."""
        order = self._order()
        ids = [a for _, a in order]
        wanted = (article_id, screen)

        def read_it(state: dict) -> tuple[str, int]:
            read = state.setdefault("read", {})
            where = wanted
            if where[0] is None:
                where = next(((a, read.get(a, 0)) for _, a in order if read.get(a, 0) < len(
                    lesson_screens(self.articles[a]))), (order[0][1], 0))
            if where[0] not in ids:
                raise StudyError("no such lesson")
            shown = max(0, min(where[1], len(lesson_screens(self.articles[where[0]])) - 1))
            read[where[0]] = max(read.get(where[0], 0), shown + 1)
            self._touch(state)
            return where[0], shown

        article_id, screen = self.store.update_study_state(user_id, read_it)
        article = self.articles[article_id]
        screens = lesson_screens(article)
        if screen + 1 < len(screens):
            nxt = (article_id, screen + 1)
        else:
            i = ids.index(article_id)
            nxt = (ids[i + 1], 0) if i + 1 < len(ids) else None
        module = next(m for m, a in order if a == article_id)
        return Lesson(module, article, screen, len(screens), screens[screen], nxt)

    def _touch(self, state: dict) -> None:
        days = state.setdefault("days", [])
        if self.today() not in days:
            days.append(self.today())

    # ------------------------------------------------------------------ quizzes and review
    def quiz(self, user_id: int, module: str | None = None) -> Question:
        """The next question: the current (or given) module's questions not yet answered right, in a fixed order."""
        answers = self.store.quiz_answers(user_id)
        right = {qid for qid, _, ok, *_ in answers if ok}
        module = module or self.current_module(user_id)
        pool = [q for q in self.questions.values() if q.module == module]
        if not pool:
            raise StudyError("no questions")
        fresh = [q for q in pool if q.id not in right] or pool
        seen = {qid for qid, *_ in answers}
        fresh.sort(key=lambda q: (q.id in seen, stable_hash(str(user_id), q.id)))
        return fresh[0]

    def current_module(self, user_id: int) -> str:
        for m in self.progress(user_id).modules:
            if not m.done:
                return m.id
        return self.path.modules[-1].id

    def show(self, user_id: int, qid: str, context: str = "quiz", *, attempt: int | None = None,
             index: int | None = None) -> Showing:
        """Show a question: its options in a new order (never the order this learner saw it in last time), and
        remembered, so a typed "B" means what was on the screen and a typed answer goes to this question."""
        q = self.questions.get(qid)
        if q is None:
            raise StudyError("stale question")
        now = self.clock()

        def put_on_screen(state: dict) -> list[int]:
            orders = state.setdefault("orders", {})
            shown = state.get("shown", 0) + 1
            order = shuffled_order(len(q.options), f"{user_id}:{qid}:{shown}", orders.get(qid)) if q.is_choice else []
            orders[qid] = order
            state["shown"] = shown
            state["showing"] = {"qid": qid, "order": order, "context": context, "attempt": attempt, "index": index,
                                "at": now}
            state.pop("pending", None)
            return order

        order = self.store.update_study_state(user_id, put_on_screen)
        return Showing(q, order, context, attempt, index)

    def showing(self, user_id: int) -> Showing | None:
        """The question on the learner's screen waiting for an answer; after PENDING_SECONDS (or the exam's
        deadline) the next text is a question to the knowledge base again."""
        state = self.store.study_state(user_id)
        s = state.get("showing")
        if not s or s["qid"] not in self.questions:
            return None
        if s["context"] == "exam":
            exam = self.store.exam(s["attempt"]) if s.get("attempt") is not None else None
            if exam is None or exam["finished"] or len(exam["answers"]) != s["index"] or self.clock() > exam["deadline"]:
                return None
        elif self.clock() - s.get("at", 0) > PENDING_SECONDS:
            return None
        q = self.questions[s["qid"]]
        order = s["order"] if sorted(s["order"]) == list(range(len(q.options))) else list(range(len(q.options)))
        return Showing(q, order, s["context"], s.get("attempt"), s.get("index"))

    def typed(self, user_id: int, text: str) -> Typed | None:
        """A typed line read against the question showing (None: no question is waiting). A free question takes
        the text; a choice question a letter or the option's words ("B", "选C", "c.", "能动型")."""
        showing = self.showing(user_id)
        if showing is None:
            return None
        if not showing.question.is_choice:
            return Typed(showing, text)
        shown = read_choice(text, showing.options)
        return Typed(showing, None if shown is None else showing.order[shown], looks_like_letter(text))

    def clear_showing(self, user_id: int) -> None:
        self.store.update_study_state(user_id, lambda state: state.pop("showing", None))

    def grade(self, q: Question, given: int | str) -> tuple[Grade, str, str]:
        """right / partly / wrong and, for free text, why (in Chinese and in English)."""
        if q.is_choice:
            return ("right" if q.check(given) else "wrong"), "", ""
        verdict = self.grader.grade(q.free, str(given))
        return verdict.grade, verdict.reason, verdict.reason_en

    def answer(self, user_id: int, qid: str, given: int | str, context: str = "quiz") -> Feedback:
        """Record an answer: a choice (index in question.options) or free text (graded by meaning)."""
        q = self.questions.get(qid)
        if q is None:
            raise StudyError("stale question")
        if q.is_choice and (not isinstance(given, int) or not 0 <= given < len(q.options)):
            raise StudyError("no such option")
        grade, reason, reason_en = self.grade(q, given)
        card, due = review(self.store.review_card(user_id, qid), grade, self.clock())
        self.store.add_quiz_answer(user_id, qid, q.module, grade == "right", context, self.today(), card, due)

        def answered(state: dict) -> dict | None:
            self._touch(state)
            state.pop("pending", None)
            return state.pop("showing", None)

        shown = self.store.update_study_state(user_id, answered)
        right = q.options[q.answer] if q.answer is not None else ""
        letter = ""
        if q.answer is not None:
            order = shown["order"] if shown and shown.get("qid") == qid and shown.get("order") else list(range(len(q.options)))
            letter = LETTERS[order.index(q.answer)] if q.answer in order else LETTERS[q.answer]
        return Feedback(q, grade == "right", right, self.articles[q.article].title if q.article in self.articles else q.article,
                        grade, reason, letter, reason_en)

    def set_pending(self, user_id: int, qid: str | None) -> None:
        """A question waiting for the learner's typed answer (None: nothing waits)."""
        if qid:
            self.show(user_id, qid)
        else:
            self.clear_showing(user_id)

    def pending(self, user_id: int) -> str | None:
        """The id of the question waiting for a typed answer, if any."""
        showing = self.showing(user_id)
        return showing.question.id if showing and showing.context != "exam" else None

    def due(self, user_id: int) -> list[Question]:
        return [self.questions[q] for q in self.store.due_cards(user_id, self.clock()) if q in self.questions]

    # ------------------------------------------------------------------ progress
    def progress(self, user_id: int) -> Progress:
        state = self.store.study_state(user_id)
        read = state.get("read", {})
        answers = [a for a in self.store.quiz_answers(user_id) if a[3] != "exam"]
        modules = []
        for m in self.path.modules:
            lessons = [a for a in m.lessons if a in self.articles]
            n_read = sum(1 for a in lessons if read.get(a, 0) >= len(lesson_screens(self.articles[a])))
            mine = [ok for _, mod, ok, *_ in answers if mod == m.id]
            modules.append(ModuleProgress(m.id, m.title, n_read, len(lessons), len(mine), sum(mine)))
        days = set(state.get("days", [])) | {a[4] for a in self.store.quiz_answers(user_id)}
        best = best_scores(self.store.roleplays(user_id, limit=1000))
        exams = [e for e in self.store.exams(user_id) if e["finished"]]
        exam_best = max((e["right"] / len(e["questions"]) for e in exams), default=None)
        return Progress(modules, streak(days, self.today()), len(self.due(user_id)), best, exam_best,
                        self.store.certified(user_id) is not None)

    # ------------------------------------------------------------------ exam and certification
    def exam_start(self, user_id: int) -> tuple[int, list[Question]]:
        rules, now = self.path.exam, self.clock()
        attempts = self.store.exams(user_id)
        running = [e for e in attempts if not e["finished"]]
        for e in running:  # an attempt left open past its deadline is scored as it stands
            if now > e["deadline"]:
                self.exam_finish(user_id, e["attempt_id"])
            else:
                return e["attempt_id"], [self.questions[q] for q in e["questions"]]
        attempts = self.store.exams(user_id)
        if any(e["passed"] for e in attempts):
            raise ExamLocked("passed")
        if len(attempts) >= rules.max_attempts:
            raise ExamLocked("attempts")
        if attempts:
            until = attempts[-1]["finished"] + rules.cooldown_hours * 3600
            if now < until:
                raise ExamLocked("cooldown", until)
        met = frozenset(qid for qid, _, _, context, _ in self.store.quiz_answers(user_id))
        questions = exam_questions(tuple(self.questions.values()), rules, f"{user_id}:{len(attempts)}", met)
        attempt = self.store.start_exam(user_id, [q.id for q in questions], now, now + rules.minutes * 60)
        return attempt, questions

    def exam_answer(self, user_id: int, attempt_id: int, index: int, option: int) -> int | None:
        """Record one answer; the index of the next question, or None when the attempt is over."""
        exam = self.store.exam(attempt_id)
        if exam is None or exam["user_id"] != user_id or exam["finished"]:
            raise StudyError("stale exam")
        if index != len(exam["answers"]):
            raise StudyError("stale question")
        if self.clock() > exam["deadline"]:
            return None
        q = self.questions.get(exam["questions"][index])
        if q is not None and not (isinstance(option, int) and 0 <= option < len(q.options)):
            raise StudyError("no such option")
        if not self.store.add_exam_answer(attempt_id, index, option):  # answered meanwhile (a double tap)
            raise StudyError("stale question")
        self.clear_showing(user_id)
        if q is not None:
            self.store.add_quiz_answer(user_id, q.id, q.module, q.check(option), "exam", self.today(), None, None)
        return index + 1 if index + 1 < len(exam["questions"]) else None

    def exam_finish(self, user_id: int, attempt_id: int) -> ExamResult:
        exam = self.store.exam(attempt_id)
        if exam is None or exam["user_id"] != user_id:
            raise StudyError("stale exam")
        qs = [self.questions.get(q) for q in exam["questions"]]
        mistakes = []
        for q, a in zip(qs, exam["answers"] + [None] * len(qs), strict=False):
            if q is not None and (a is None or not q.check(a)):
                given = q.options[a] if isinstance(a, int) and 0 <= a < len(q.options) else None
                title = self.articles[q.article].title if q.article in self.articles else q.article
                mistakes.append(ExamMistake(q, given, q.options[q.answer], title))
        wrong = [m.question.id for m in mistakes]
        right = len(qs) - len(wrong)
        late = self.clock() > exam["deadline"] and len(exam["answers"]) < len(qs)
        passed = right / len(qs) >= self.path.exam.pass_mark
        if not exam["finished"]:
            self.store.finish_exam(attempt_id, self.clock(), right, passed)
            for qid in wrong:  # what the exam showed as weak comes back in /review
                card, due = review(self.store.review_card(user_id, qid), False, self.clock())
                self.store.set_review_card(user_id, qid, card, due)
        return ExamResult(right, len(qs), passed, late, wrong, mistakes)

    def certification_gaps(self, user_id: int) -> list[str]:
        """What is still missing for certification (empty: certified or certifiable)."""
        rules = self.path.exam
        gaps = []
        if not any(e["passed"] for e in self.store.exams(user_id)):
            gaps.append("exam")
        best = self.progress(user_id).roleplays
        gaps += [s for s in rules.roleplays if best.get(s, 0) < rules.roleplay_pass]
        return gaps

    def try_certify(self, user_id: int) -> bool:
        if self.store.certified(user_id) is not None:
            return True
        if self.certification_gaps(user_id):
            return False
        passed = [e for e in self.store.exams(user_id) if e["passed"]]
        self.store.certify(user_id, passed[-1]["attempt_id"])
        return True

    def reminder(self, user_id: int) -> str | None:
        """The learner's daily reminder (HH:MM), if one is set."""
        return self.store.study_state(user_id).get("remind")

    def set_reminder(self, user_id: int, hhmm: str | None) -> None:
        """Set the daily reminder, or switch it off (None)."""
        def change(state: dict) -> None:
            if hhmm is None:
                state.pop("remind", None)
            else:
                state["remind"] = hhmm

        self.store.update_study_state(user_id, change)

    def next_daily(self, hhmm: str) -> float:
        """The next time HH:MM (learner's timezone) comes round, as a timestamp."""
        hour, minute = (int(x) for x in hhmm.split(":"))
        now = datetime.fromtimestamp(self.clock(), self.tz)
        at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if at <= now:
            at += timedelta(days=1)
        return at.timestamp()


def short_key(qid: str) -> str:
    return hashlib.sha1(qid.encode()).hexdigest()[:10]
