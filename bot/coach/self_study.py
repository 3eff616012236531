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

from bot.coach.study import (
    PATH_FILE,
    Article,
    ExamResult,
    LearningPath,
    Question,
    exam_questions,
    lesson_screens,
    load_articles,
    load_path,
    question_bank,
    review,
    stable_hash,
    streak,
)
from bot.store import Store

MODULE_DONE_ACCURACY = 0.7
MODULE_DONE_ANSWERS = 5
PENDING_SECONDS = 30 * 60


class StudyError(Exception):
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
class Feedback:
    question: Question
    correct: bool
    right_answer: str
    article_title: str


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
                 path_file: Path = PATH_FILE) -> None:
        self.store, self.knowledge_dir, self.clock = store, knowledge_dir, clock
        self.tz = ZoneInfo(timezone)
        self.path: LearningPath = load_path(path_file)
        self.articles = load_articles(knowledge_dir)
        self.questions = {q.id: q for q in question_bank(knowledge_dir, path_file)}
        # Telegram's callback data holds 64 bytes: buttons carry a short, stable key instead of the id.
        self.by_key = {short_key(q.id): q for q in self.questions.values()}

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock(), self.tz).date().isoformat()

    # ------------------------------------------------------------------ lessons
    def _order(self) -> list[tuple[str, str]]:
        return [(m.id, a) for m in self.path.modules for a in m.lessons if a in self.articles]

    def lesson(self, user_id: int, article_id: str | None = None, screen: int = 0) -> Lesson:
        """A screen of a lesson (default: where the learner left off); reading it is recorded."""
        state = self.store.study_state(user_id)
        read = state.setdefault("read", {})
        order = self._order()
        if article_id is None:
            article_id, screen = next(((a, read.get(a, 0)) for _, a in order if read.get(a, 0) < len(
                lesson_screens(self.articles[a]))), (order[0][1], 0))
        ids = [a for _, a in order]
        if article_id not in ids:
            raise StudyError("no such lesson")
        article = self.articles[article_id]
        screens = lesson_screens(article)
        screen = max(0, min(screen, len(screens) - 1))
        read[article_id] = max(read.get(article_id, 0), screen + 1)
        self._touch(state)
        self.store.save_study_state(user_id, state)
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

    def answer(self, user_id: int, qid: str, given: int | str, context: str = "quiz") -> Feedback:
        q = self.questions.get(qid)
        if q is None:
            raise StudyError("stale question")
        correct = q.check(given)
        card, due = review(self.store.review_card(user_id, qid), correct, self.clock())
        self.store.add_quiz_answer(user_id, qid, q.module, correct, context, self.today(), card, due)
        state = self.store.study_state(user_id)
        self._touch(state)
        state.pop("pending", None)
        self.store.save_study_state(user_id, state)
        right = q.options[q.answer] if q.answer is not None else ""
        return Feedback(q, correct, right, self.articles[q.article].title if q.article in self.articles else q.article)

    def set_pending(self, user_id: int, qid: str | None) -> None:
        """A free-text question waiting for the learner's typed answer."""
        state = self.store.study_state(user_id)
        if qid:
            state.update(pending=qid, pending_at=self.clock())
        else:
            state.pop("pending", None)
        self.store.save_study_state(user_id, state)

    def pending(self, user_id: int) -> str | None:
        """The free-text question awaiting an answer; after PENDING_SECONDS the next text is a question again."""
        state = self.store.study_state(user_id)
        if state.get("pending") and self.clock() - state.get("pending_at", 0) <= PENDING_SECONDS:
            return state["pending"]
        return None

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
        best: dict[str, int] = {}
        for s in self.store.roleplays(user_id, limit=1000):
            best[s.scenario] = max(best.get(s.scenario, 0), s.total or 0)
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
        questions = exam_questions(tuple(self.questions.values()), rules, f"{user_id}:{len(attempts)}")
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
        exam["answers"].append(option)
        self.store.save_exam_answers(attempt_id, exam["answers"])
        q = self.questions.get(exam["questions"][index])
        if q is not None:
            self.store.add_quiz_answer(user_id, q.id, q.module, q.check(option), "exam", self.today(), None, None)
        return index + 1 if index + 1 < len(exam["questions"]) else None

    def exam_finish(self, user_id: int, attempt_id: int) -> ExamResult:
        exam = self.store.exam(attempt_id)
        if exam is None or exam["user_id"] != user_id:
            raise StudyError("stale exam")
        qs = [self.questions.get(q) for q in exam["questions"]]
        wrong = [q.id for q, a in zip(qs, exam["answers"] + [None] * len(qs), strict=False)
                 if q is not None and (a is None or not q.check(a))]
        right = len(qs) - len(wrong)
        late = self.clock() > exam["deadline"] and len(exam["answers"]) < len(qs)
        passed = right / len(qs) >= self.path.exam.pass_mark
        if not exam["finished"]:
            self.store.finish_exam(attempt_id, self.clock(), right, passed)
            for qid in wrong:  # what the exam showed as weak comes back in /review
                card, due = review(self.store.review_card(user_id, qid), False, self.clock())
                self.store.set_review_card(user_id, qid, card, due)
        return ExamResult(right, len(qs), passed, late, wrong)

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
