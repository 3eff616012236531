"""Self-study for new hires: a learning path over the articles, quizzes generated from their lists,
spaced review (FSRS), progress and streaks, and a timed exam that gates certification.

Questions come from deterministic templates over the numbered lists of each article (fill in the
missing item, which item does this description name, put the steps in order), plus a hand-written
bank (`prompts/quiz_bank.yaml`) for best-reply scenarios and free-text answers. Every question cites
the article that answers it; free-text answers are graded with the role-play judge's cue matching.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.coach.judge import cue_matches, match_form
from bot.config import PROJECT_ROOT
from bot.kb.documents import load_front_matter
from bot.kb.errors import UnreadableDocument

log = logging.getLogger(__name__)

PATH_FILE = PROJECT_ROOT / "prompts" / "learning_path.yaml"
BANK_FILE = PROJECT_ROOT / "prompts" / "quiz_bank.yaml"
SCREEN_CHARS = 600
"""One lesson screen: what reads comfortably on a phone without scrolling much."""
_ITEM = re.compile(r"^\s*\d+[.、]\s*(.+?)\s*$")
_STEPS = re.compile(r"步骤|流程|顺序|话术|路径|阶段|过程")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Module(_Strict):
    id: str
    title: str
    lessons: list[str] = Field(min_length=1)


class ExamRules(_Strict):
    questions: int = Field(ge=5)
    pass_mark: float = Field(gt=0, le=1)
    minutes: float = Field(gt=0)
    max_attempts: int = Field(ge=1)
    cooldown_hours: float = Field(ge=0)
    roleplay_pass: int = Field(ge=0, le=100)
    roleplays: list[str]


class LearningPath(_Strict):
    modules: list[Module] = Field(min_length=1)
    exam: ExamRules

    def module_of(self, article_id: str) -> Module | None:
        return next((m for m in self.modules if article_id in m.lessons), None)


class BankQuestion(_Strict):
    id: str
    kind: str = Field(pattern="^(choice|free)$")
    article: str
    prompt: str
    options: list[str] = Field(default_factory=list)
    answer: int | None = None
    cues: list[str] = Field(default_factory=list, description="free: cue phrases a good answer contains")
    min_cues: int = 1
    model_answer: str = ""
    explanation: str


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    sections: tuple[tuple[str, str], ...]  # (heading, body)


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # fill | name | order | choice | free
    module: str
    article: str
    prompt: str
    options: tuple[str, ...]
    answer: int | None
    explanation: str
    cues: tuple[str, ...] = ()
    min_cues: int = 1

    def check(self, given: int | str) -> bool:
        if self.kind == "free":
            form = match_form(str(given))
            found = sum(1 for c in self.cues if cue_matches(c, form))
            return found >= self.min_cues
        return isinstance(given, int) and given == self.answer


# ----------------------------------------------------------------------------- loading
def load_path(path: Path = PATH_FILE) -> LearningPath:
    return LearningPath.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def parse_article(path: Path) -> Article:
    raw = path.read_text(encoding="utf-8")
    meta, body = {}, raw
    m = re.match(r"^---\n(.*?)\n---\n", raw, re.S)
    if m:
        body = raw[m.end():]
        try:  # the same bounded loader as uploads: an article may have come from outside
            meta = load_front_matter(m.group(1)) or {}
        except UnreadableDocument as exc:
            log.warning("%s: front matter ignored: %s", path.name, exc)
        if not isinstance(meta, dict):
            meta = {}
    sections, heading, buf = [], "", []
    for line in body.splitlines():
        if line.startswith("## "):
            if buf:
                sections.append((heading, "\n".join(buf).strip()))
            heading, buf = line[3:].strip(), []
        elif not line.startswith("# "):
            buf.append(line)
    if buf:
        sections.append((heading, "\n".join(buf).strip()))
    return Article(str(meta.get("id") or path.stem), str(meta.get("title") or path.stem), body,
                   tuple((h, b) for h, b in sections if b))


@functools.cache
def load_articles(knowledge_dir: Path) -> dict[str, Article]:
    return {a.id: a for a in map(parse_article, sorted(knowledge_dir.glob("*.md")))}


def lesson_screens(article: Article, limit: int = SCREEN_CHARS) -> list[str]:
    """The article as phone-sized screens: one section per screen, long sections cut at paragraphs."""
    screens = []
    for heading, body in article.sections:
        chunk = f"【{heading}】\n" if heading else ""
        for para in body.split("\n\n"):
            if len(chunk) + len(para) > limit and chunk.strip() and not chunk.endswith("】\n"):
                screens.append(chunk.strip())
                chunk = f"【{heading}（续）】\n"
            chunk += para + "\n\n"
        if chunk.strip():
            screens.append(chunk.strip())
    return screens


# ----------------------------------------------------------------------------- question generation
def stable_hash(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest(), "little")


def _items(body: str) -> list[str]:
    items = [m.group(1).rstrip("；;。.，,") for line in body.splitlines() if (m := _ITEM.match(line))]
    return [i for i in items if not i.startswith(("……", "..."))]  # "…and others" is no answer


def _split_name(item: str) -> tuple[str, str] | None:
    for sep in ("：", ":"):
        if sep in item:
            name, desc = item.split(sep, 1)
            name = re.sub(r"（.*?）|\(.*?\)", "", name).strip()
            if 1 < len(name) <= 14 and len(desc.strip()) >= 3:
                return name, desc.strip()
    return None


def _distractors(qid: str, correct: str, pool: list[str], n: int = 3) -> list[str]:
    seen = {correct}
    out = []
    for cand in sorted(pool, key=lambda c: stable_hash(qid, c)):
        if cand not in seen and cand not in correct and correct not in cand:
            out.append(cand)
            seen.add(cand)
        if len(out) == n:
            break
    return out


def _options(qid: str, correct: str, distractors: list[str]) -> tuple[tuple[str, ...], int]:
    options = sorted([correct, *distractors], key=lambda o: stable_hash(qid, "order", o))
    return tuple(options), options.index(correct)


def generate_questions(path: LearningPath, articles: dict[str, Article]) -> list[Question]:
    """Every question the templates can make from the path's articles; the same input, the same questions."""
    lists = []  # (module, article, heading, items)
    for module in path.modules:
        for aid in module.lessons:
            article = articles.get(aid)
            if article is None:
                continue
            for heading, body in article.sections:
                items = _items(body)
                if len(items) >= 3:
                    lists.append((module.id, article, heading, items))
    short_pool = [i for *_, items in lists for i in items if len(i) <= 24]
    name_pool = [n[0] for *_, items in lists for i in items if (n := _split_name(i))]
    out: list[Question] = []
    for module_id, article, heading, items in lists:
        named = [n for i in items if (n := _split_name(i))]
        where = f"《{article.title}》·{heading}"
        if len(named) == len(items) and len(named) >= 3:
            # "Which one is this?": the description, name the item (e.g. which relationship level).
            for k, (name, desc) in enumerate(named):
                qid = f"name:{article.id}:{heading}:{k}"
                others = [n for n, _ in named if n != name]
                opts, ans = _options(qid, name, (others + _distractors(qid, name, name_pool))[:3])
                out.append(Question(qid, "name", module_id, article.id,
                                    f"{where}\n「{desc}」\n这说的是哪一项？", opts, ans,
                                    f"{name}：{desc}"))
        shorts = [i for i in items if len(i) <= 24]
        if len(shorts) == len(items) and len(items) >= 3:
            k = stable_hash(article.id, heading) % len(items)
            qid = f"fill:{article.id}:{heading}"
            shown = [("____" if j == k else x) for j, x in enumerate(items)]
            opts, ans = _options(qid, items[k], _distractors(qid, items[k], short_pool))
            out.append(Question(qid, "fill", module_id, article.id,
                                f"{where}（共 {len(items)} 项）：\n" + "\n".join(f"{j + 1}. {x}" for j, x in enumerate(shown))
                                + "\n空着的是哪一项？", opts, ans, f"完整的清单：{'；'.join(items)}。"))
        steps = [(_split_name(i) or (i, ""))[0] for i in items[:4]]
        if _STEPS.search(heading) and len(items) >= 4 and all(len(s) <= 20 for s in steps):
            qid = f"order:{article.id}:{heading}"
            correct = " → ".join(steps)
            perms = []
            for shift in range(1, 24):
                p = sorted(steps, key=lambda s, sh=shift: stable_hash(qid, str(sh), s))
                if p != steps and " → ".join(p) not in perms:
                    perms.append(" → ".join(p))
                if len(perms) == 3:
                    break
            opts, ans = _options(qid, correct, perms)
            out.append(Question(qid, "order", module_id, article.id, f"{where}：前四步的正确顺序是？", opts, ans,
                                f"顺序是：{correct}。"))
    return out


def load_bank(path: LearningPath, bank_file: Path = BANK_FILE) -> list[Question]:
    data = yaml.safe_load(bank_file.read_text(encoding="utf-8")) or []
    out = []
    for raw in data:
        q = BankQuestion.model_validate(raw)
        module = path.module_of(q.article)
        out.append(Question(f"bank:{q.id}", q.kind, module.id if module else "", q.article, q.prompt,
                            tuple(q.options), q.answer, q.explanation + (f"\n参考答案：{q.model_answer}" if q.model_answer else ""),
                            tuple(q.cues), q.min_cues))
    return out


@functools.cache
def question_bank(knowledge_dir: Path, path_file: Path = PATH_FILE, bank_file: Path = BANK_FILE) -> tuple[Question, ...]:
    path = load_path(path_file)
    return tuple(generate_questions(path, load_articles(knowledge_dir)) + load_bank(path, bank_file))


# ----------------------------------------------------------------------------- spaced review (FSRS)
def _scheduler():
    from fsrs import Scheduler

    # No fuzzing: the same answers on the same days give the same schedule (testable, explainable).
    # One 10-minute learning step: a wrong answer comes back in the same sitting, a right one in days.
    return Scheduler(enable_fuzzing=False, learning_steps=(timedelta(minutes=10),))


def review(card_json: str | None, correct: bool, now: float) -> tuple[str, float]:
    """The question's FSRS card after an answer: (card as JSON, next due time)."""
    from fsrs import Card, Rating

    when = datetime.fromtimestamp(now, UTC)
    card = Card.from_json(card_json) if card_json else Card(card_id=1, due=when)
    card, _ = _scheduler().review_card(card, Rating.Good if correct else Rating.Again, review_datetime=when)
    return card.to_json(), card.due.timestamp()


# ----------------------------------------------------------------------------- streaks and exams
def streak(days: set[str], today: str) -> int:
    """Consecutive study days ending today (or yesterday: today is not over yet)."""
    day = datetime.strptime(today, "%Y-%m-%d").date()
    if day.isoformat() not in days:
        day -= timedelta(days=1)
    n = 0
    while day.isoformat() in days:
        n += 1
        day -= timedelta(days=1)
    return n


def exam_questions(questions: tuple[Question, ...], rules: ExamRules, seed: str) -> list[Question]:
    """A balanced draw over the modules (round robin), different for every attempt, no free-text."""
    by_module: dict[str, list[Question]] = {}
    for q in questions:
        if q.kind != "free" and q.module:
            by_module.setdefault(q.module, []).append(q)
    for qs in by_module.values():
        qs.sort(key=lambda q: stable_hash(seed, q.id))
    out, i = [], 0
    while len(out) < rules.questions and any(i < len(qs) for qs in by_module.values()):
        for qs in by_module.values():
            if i < len(qs) and len(out) < rules.questions:
                out.append(qs[i])
        i += 1
    return out


@dataclass
class ExamResult:
    right: int
    total: int
    passed: bool
    late: bool = False
    wrong: list[str] = field(default_factory=list)  # question ids

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0
