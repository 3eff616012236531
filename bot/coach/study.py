"""Self-study for new hires: a learning path over the articles, quizzes and an exam a trainer would sign off,
spaced review (FSRS), progress and streaks.

Questions come from two places, both in ``prompts/quiz_bank.yaml``:

- **lists a trainer named**: a numbered list of an article becomes questions only when the bank names it (its
  ``topic``, and the ``family`` of lists whose items exclude each other). The stems are questions in a trainer's
  words, never a section heading; the wrong options are the list's own siblings or the items of its family's
  other lists (total cost for a total-value question), never an item the stem shows; a list nobody named (a case
  study's details, book titles, attributions, greetings) is never quizzed.
- **hand-written questions**: best replies, concepts, and free-text questions graded by meaning
  (``bot/coach/freetext.py``).

``question_faults`` checks one question the way a trainer would (a question stem, no give-away, distractors
from the family, no duplicates, no trivia); a test and ``salescoach eval --only quiz`` run it over every
question the generator can produce.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.coach.freetext import FreeSpec, Mistake, Point
from bot.coach.judge import match_form
from bot.config import PROJECT_ROOT
from bot.kb.documents import load_front_matter
from bot.kb.errors import UnreadableDocument

log = logging.getLogger(__name__)

PATH_FILE = PROJECT_ROOT / "prompts" / "learning_path.yaml"
BANK_FILE = PROJECT_ROOT / "prompts" / "quiz_bank.yaml"
SCREEN_CHARS = 600
"""One lesson screen: what reads comfortably on a phone without scrolling much."""
OPTION_CHARS = 28
"""An option longer than this is cut at its first comma (the rest is elaboration: "交易中的体力成本，如搬运")."""
ODD_QUESTIONS = 2
""""Which is not ..." questions per list: more would ask the same thing with another odd one out."""
_ITEM = re.compile(r"^\s*\d+[.、]\s*(.+?)\s*$")
_ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")
_NAMED = ("：", ":", "——")
QUESTION_END = ("？", "?")
_ASKS = re.compile(r"哪|什么|怎么|怎样|如何|为什么|为何|是否|吗|几|多少|是不是|对不对")


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


class QuizList(_Strict):
    """A numbered list of an article that a trainer wants quizzed, and how to ask about it."""

    article: str
    heading: str
    topic: str = Field(description="how a question names what the list is: 顾客总价值的组成部分")
    family: str | None = Field(default=None, description="lists whose items exclude each other lend each other "
                               "their items as wrong options")
    unit: str = Field(default="项", max_length=2, description="measure word: 哪一项 / 哪一种 / 哪一步")
    name: str | None = Field(default=None, description="stem for description -> name, with {text}")
    next: str | None = Field(default=None, description="stem for the step after {item} (steps in order)")
    order: str | None = Field(default=None, description="stem for the first four steps in order")

    @model_validator(mode="after")
    def _placeholders(self) -> QuizList:
        for key, hole in (("name", "{text}"), ("next", "{item}")):
            stem = getattr(self, key)
            if stem is not None and hole not in stem:
                raise ValueError(f"{key} must contain {hole}")
        for stem in (self.name, self.next, self.order):
            if stem is not None and not stem.rstrip().endswith(QUESTION_END):
                raise ValueError(f"a stem is a question and ends with ？: {stem}")
        return self


class BankQuestion(_Strict):
    id: str
    kind: str = Field(pattern="^(choice|free)$")
    article: str
    prompt: str
    options: list[str] = Field(default_factory=list)
    answer: int | None = None
    explanation: str
    # free text: how it is graded (bot/coach/freetext.py)
    reference: str = ""
    items: list[Point] = Field(default_factory=list)
    right: int | None = None
    partly: int = 1
    ordered: bool = False
    avoid: list[Mistake] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> BankQuestion:
        if self.kind == "choice":
            if len(self.options) < 3 or self.answer is None or not 0 <= self.answer < len(self.options):
                raise ValueError(f"{self.id}: a choice question needs 3+ options and the index of the right one")
        elif not self.items or not self.reference:
            raise ValueError(f"{self.id}: a free question needs a reference answer and items")
        return self

    def spec(self) -> FreeSpec | None:
        if self.kind != "free":
            return None
        return FreeSpec(key=self.id, reference=self.reference, items=self.items, right=self.right, partly=self.partly,
                        ordered=self.ordered, avoid=self.avoid)


class QuizBank(_Strict):
    lists: list[QuizList] = Field(default_factory=list)
    questions: list[BankQuestion] = Field(default_factory=list)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    sections: tuple[tuple[str, str], ...]  # (heading, body)


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # member | odd | missing | name | next | order (generated) | choice | free (hand-written)
    module: str
    article: str
    prompt: str
    options: tuple[str, ...]
    answer: int | None
    explanation: str
    shown: tuple[str, ...] = ()  # the list items the stem shows: never an option
    source: tuple[str, str] | None = None  # (article, heading) of the list a generated question comes from
    free: FreeSpec | None = field(default=None, compare=False, hash=False)

    @property
    def is_choice(self) -> bool:
        return self.kind != "free"

    def check(self, given: int) -> bool:
        """A choice answer (the option's index in ``options``)."""
        return isinstance(given, int) and not isinstance(given, bool) and given == self.answer


# ----------------------------------------------------------------------------- loading
def load_path(path: Path = PATH_FILE) -> LearningPath:
    return LearningPath.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_quiz_bank(bank_file: Path = BANK_FILE) -> QuizBank:
    data = yaml.safe_load(bank_file.read_text(encoding="utf-8")) or {}
    return QuizBank.model_validate(data)


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


# ----------------------------------------------------------------------------- list items
def stable_hash(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest(), "little")


def list_items(body: str) -> list[str]:
    """A section's numbered items, without the trailing punctuation; "……and others" is no item."""
    items = [m.group(1).rstrip("；;。.，,") for line in body.splitlines() if (m := _ITEM.match(line))]
    return [i for i in items if not i.startswith(("……", "..."))]


def clean(text: str) -> str:
    """An item as an option reads: no Markdown bold, no asides in brackets ("（详见《…》）")."""
    return _ASIDE.sub("", text.replace("**", "")).strip().rstrip("；;。.，,")


def short(text: str) -> str:
    """An item as an option: its examples dropped ("，如搬运、摆放等"), a long one cut at its first comma when
    what is left still says it."""
    text = re.split(r"[，,](?:如|例如|比如|像)", clean(text), maxsplit=1)[0]
    if len(text) > OPTION_CHARS:
        head = re.split(r"[，,；;]", text, maxsplit=1)[0]
        if len(head) >= 6:
            return head
    return text


def split_named(item: str) -> tuple[str, str] | None:
    """("name", "description") for an item written "name：description" (or "name——description")."""
    for sep in _NAMED:
        if sep in item:
            name, desc = item.split(sep, 1)
            name, desc = clean(name), clean(desc)
            first = desc.split("。", 1)[0]
            desc = first if len(first) >= 10 else desc  # the first sentence says what it is; the rest elaborates
            if 1 < len(name) <= 14 and len(desc) >= 3:
                return name, desc
    return None


_QUOTED = re.compile(r"^[\"“”「『'‘].*[\"”」』'’]$")
_GREETING = re.compile(r"^(您好|你好|谢谢您?|感谢您?|再见|早上好|下午好|晚上好|喂)$")
_ATTRIBUTION = re.compile(r"(报告|研究|调查|数据|资料)(显示|表明|指出|发现)|(指出|显示|表明|认为|称)[:：]?$")
_TITLE = re.compile(r"^《[^》]+》$")
_LABEL = re.compile(r"^[A-Za-z][：:]")


def is_trivia(text: str) -> bool:
    """Something a trainer would not ask a new hire to pick: a greeting, a quotation, who said it, a book title."""
    t = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！")
    bare = t.strip("\"“”「」『』'‘’ ").rstrip("。.!！")
    return bool(_QUOTED.match(t) or _GREETING.match(bare) or _ATTRIBUTION.search(bare) or _TITLE.match(bare)
                or _LABEL.match(bare))


def _overlaps(a: str, b: str) -> bool:
    """One contains the other (matching forms): such an option repeats or gives away the other."""
    fa, fb = match_form(a), match_form(b)
    return bool(fa and fb) and (fa in fb or fb in fa)


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\w]", "", match_form(text))
    return {t[i:i + 2] for i in range(len(t) - 1)}


_GENERIC_STEM = frozenset(["下面", "面哪", "哪一", "一项", "项属", "属于", "不属", "于下", "是哪", "哪个", "一个", "课文", "文列",
                           "列出", "出的", "空着", "着的", "的是", "说的", "这说", "中的", "一步", "下一", "步是", "正确",
                           "确的", "顺序"])
_FUNCTION = frozenset("的了是么什他她它我你们这那个在和与及或也都就要会能可为把被从之其吗呢吧啊")
_ORDER_WORDS = re.compile(r"先|首先|最后|第一|然后|接着|最终")


def form_faults(q: Question) -> list[str]:
    """The right option stands out by its form, so it can be picked without knowing the material: a word of the
    stem that only it has (or only it lacks), a word every wrong option shares and it lacks (「服务标准要…」 ×3),
    a length far from the others', or, for a step, a word that says where it goes (先道歉)."""
    if not q.is_choice or q.answer is None or q.kind == "order":
        return []
    opts = list(q.options)
    key, wrong = opts[q.answer], [o for i, o in enumerate(opts) if i != q.answer]
    if len(wrong) < 2:
        return []
    faults = []
    kb, wb = _bigrams(key), [_bigrams(o) for o in wrong]
    for w in sorted((_bigrams(q.prompt) - _GENERIC_STEM) & (kb | set().union(*wb))):
        if _FUNCTION.intersection(w):
            continue
        if w in kb and not any(w in b for b in wb):
            faults.append(f"only the right option shares 「{w}」 with the stem")
        elif w not in kb and all(w in b for b in wb):
            faults.append(f"every option but the right one shares 「{w}」 with the stem")
    common = set.intersection(*wb) - kb
    if common:
        faults.append(f"every wrong option has 「{sorted(common)[0]}」 and the right one does not")
    lk, lw = len(match_form(key)), [len(match_form(o)) for o in wrong]
    if (lk >= 1.6 * max(lw) and lk - max(lw) >= 4) or (lk <= 0.6 * min(lw) and min(lw) - lk >= 4):
        faults.append(f"the right option's length ({lk}) stands out ({min(lw)}-{max(lw)})")
    if q.kind == "next" and _ORDER_WORDS.search(key) and not any(_ORDER_WORDS.search(o) for o in wrong):
        faults.append("the right step says where it goes")
    return faults


# ----------------------------------------------------------------------------- question generation
@dataclass(frozen=True)
class ResolvedList:
    spec: QuizList
    module: str
    article: Article
    items: tuple[str, ...]  # as written
    named: tuple[tuple[str, str], ...]  # (name, description) when every item is "name：description"

    @property
    def choices(self) -> tuple[str, ...]:
        """What an option shows for each item: its name, or the item itself, cut short."""
        return tuple(n for n, _ in self.named) if self.named else tuple(short(i) for i in self.items)


def resolve_lists(path: LearningPath, articles: dict[str, Article], bank: QuizBank) -> list[ResolvedList]:
    """The bank's lists found in their articles; one that is missing or not on the path is skipped, with why."""
    out = []
    for spec in bank.lists:
        article, module = articles.get(spec.article), path.module_of(spec.article)
        body = next((b for h, b in article.sections if h == spec.heading), None) if article else None
        if article is None or module is None or body is None:
            log.warning("quiz list skipped: %s / %s: %s", spec.article, spec.heading,
                        "no such article" if article is None else "not on the learning path" if module is None
                        else "no such section")
            continue
        items = list_items(body)
        if len(items) < 3:
            log.warning("quiz list skipped: %s / %s: fewer than three items", spec.article, spec.heading)
            continue
        named = [n for i in items if (n := split_named(i))]
        out.append(ResolvedList(spec, module.id, article, tuple(items),
                                tuple(named) if len(named) == len(items) else ()))
    return out


def family_pool(lst: ResolvedList, lists: list[ResolvedList]) -> list[str]:
    """Plausible wrong options for a list: the items of the other lists of its family."""
    if not lst.spec.family:
        return []
    pool: list[str] = []
    mine = _bigrams(lst.spec.topic)
    for other in lists:
        if other is not lst and other.spec.family == lst.spec.family:
            # A word that names the other list and not this one (产品 beside 服务方面的功能价值) marks its item as
            # wrong without any knowledge of the material: such an item is no distractor.
            marks = {w for w in _bigrams(other.spec.topic) - mine - _GENERIC_STEM if not _FUNCTION.intersection(w)}
            pool += [c for c in other.choices if not any(_overlaps(c, m) for m in lst.choices)
                     and not marks & _bigrams(c)]
    return pool


def _likeness(a: str, b: str) -> int:
    """How alike two options look (same last or first character, similar length): a trainer's confuser looks
    like the right answer (频繁营销规划 beside 俱乐部营销规划), so form alone cannot tell them apart."""
    fa, fb = match_form(a), match_form(b)
    if not fa or not fb:
        return 0
    return 2 * (fa[-1] == fb[-1]) + (fa[0] == fb[0]) + (abs(len(fa) - len(fb)) <= max(2, len(fa) // 3))


def _pick(qid: str, pool: list[str], n: int, avoid: list[str], salt: int = 0, like: str | None = None) -> list[str]:
    """n of pool (a fixed draw per question and salt), none repeating or overlapping each other or ``avoid``;
    with ``like`` (the right answer) the candidates that look most like it come first."""
    out: list[str] = []

    def rank(c: str) -> tuple[int, int]:
        return -(_likeness(c, like) if like else 0), stable_hash(qid, c, *([str(salt)] if salt else []))

    for cand in sorted(dict.fromkeys(pool), key=rank):
        if any(_overlaps(cand, x) for x in [*avoid, *out]):
            continue
        out.append(cand)
        if len(out) == n:
            break
    return out


def _question(qid: str, kind: str, lst: ResolvedList, prompt: str, right: str, wrong: list[str],
              explanation: str, shown: tuple[str, ...] = ()) -> Question | None:
    if len(wrong) < 2:
        return None  # fewer than three options is no question
    options = sorted([right, *wrong], key=lambda o: stable_hash(qid, "order", o))
    return Question(qid, kind, lst.module, lst.article.id, prompt, tuple(options), options.index(right), explanation,
                    shown, (lst.article.id, lst.spec.heading))


def _fair(make, tries: int = 12) -> Question | None:
    """The first of several draws of wrong options that leaves the right one no tell (``form_faults``)."""
    for salt in range(tries):
        q = make(salt)
        if q is None or not form_faults(q):
            return q
    return None


def list_questions(lst: ResolvedList, lists: list[ResolvedList]) -> list[Question]:
    """Every question the templates make from one named list."""
    spec, choices = lst.spec, list(lst.choices)
    key = f"{lst.article.id}:{spec.heading}"
    whole = f"{spec.topic}：{'、'.join(choices)}。"
    partners = family_pool(lst, lists)
    out: list[Question | None] = []
    if len(partners) >= 2:
        for k, item in enumerate(choices):  # which one belongs
            qid = f"member:{key}:{k}"
            out.append(_fair(lambda salt, qid=qid, item=item: _question(
                qid, "member", lst, f"下面哪一项属于{spec.topic}？", item, _pick(qid, partners, 3, [item], salt, like=item), whole)))
    if partners:
        for j, odd in enumerate(sorted(partners, key=lambda c: stable_hash(key, "odd", c))[:ODD_QUESTIONS]):
            qid = f"odd:{key}:{j}"  # which one does not belong
            out.append(_fair(lambda salt, qid=qid, odd=odd: _question(
                qid, "odd", lst, f"下面哪一项不属于{spec.topic}？", odd, _pick(qid, choices, 3, [odd], salt, like=odd), whole)))
    if len(partners) >= 2 and len(choices) <= 8 and all(len(c) <= 20 for c in choices):
        k = stable_hash(key, "missing") % len(choices)
        qid = f"missing:{key}"
        shown = tuple(c for j, c in enumerate(choices) if j != k)
        sep = "；" if any(re.search(r"[、，,]", c) for c in choices) else "、"
        listed = sep.join("____" if j == k else c for j, c in enumerate(choices))
        out.append(_fair(lambda salt: _question(
            qid, "missing", lst, f"课文列出的{spec.topic}有：{listed}。空着的是哪一{spec.unit}？", choices[k],
            _pick(qid, partners, 3, [choices[k], *shown], salt, like=choices[k]), whole, shown)))
    if lst.named:
        names = [n for n, _ in lst.named]
        for k, (name, desc) in enumerate(lst.named):
            qid = f"name:{key}:{k}"
            prompt = spec.name.format(text=desc) if spec.name else f"「{desc}」\n这说的是{spec.topic}中的哪一{spec.unit}？"
            if is_trivia(desc) or any(_overlaps(n, desc) for n in names):
                continue  # "您好。" is no question; a description that names its item gives it away
            out.append(_fair(lambda salt, qid=qid, name=name, desc=desc, prompt=prompt: _question(
                qid, "name", lst, prompt, name, _pick(qid, [n for n in names if n != name], 3, [name, desc], salt, like=name),
                f"{name}：{desc}", (desc,))))
    steps = choices
    flow = " → ".join(steps)
    if spec.next:
        for k in range(len(steps) - 1):
            qid = f"next:{key}:{k}"
            out.append(_fair(lambda salt, qid=qid, k=k: _question(
                qid, "next", lst, spec.next.format(item=steps[k]), steps[k + 1],
                _pick(qid, steps[:k] + steps[k + 2:], 3, [steps[k], steps[k + 1]], salt), f"顺序是：{flow}。",
                (steps[k],))))
    if spec.order and len(steps) >= 4 and all(len(s) <= 20 for s in steps[:4]):
        qid = f"order:{key}"
        first = steps[:4]
        correct = " → ".join(first)
        perms: list[str] = []
        for shift in range(1, 48):
            p = " → ".join(sorted(first, key=lambda s, sh=shift: stable_hash(qid, str(sh), s)))
            if p != correct and p not in perms:
                perms.append(p)
            if len(perms) == 3:
                break
        out.append(_question(qid, "order", lst, spec.order, correct, perms, f"顺序是：{flow}。"))
    return [q for q in out if q is not None and not form_faults(q)]  # a tell is no question: drop it


def generate_questions(path: LearningPath, articles: dict[str, Article], bank: QuizBank | None = None) -> list[Question]:
    """Every question the templates can make from the bank's lists; the same input, the same questions."""
    bank = bank if bank is not None else load_quiz_bank()
    lists = resolve_lists(path, articles, bank)
    return [q for lst in lists for q in list_questions(lst, lists)]


def load_bank(path: LearningPath, bank_file: Path = BANK_FILE, bank: QuizBank | None = None) -> list[Question]:
    """The hand-written questions; one citing an article off the path is kept, outside every module."""
    bank = bank if bank is not None else load_quiz_bank(bank_file)
    out = []
    for q in bank.questions:
        module = path.module_of(q.article)
        out.append(Question(f"bank:{q.id}", q.kind, module.id if module else "", q.article, q.prompt,
                            tuple(q.options), q.answer,
                            q.explanation + (f"\n参考答案：{q.reference}" if q.reference else ""), free=q.spec()))
    return out


@functools.cache
def question_bank(knowledge_dir: Path, path_file: Path = PATH_FILE, bank_file: Path = BANK_FILE) -> tuple[Question, ...]:
    path, bank = load_path(path_file), load_quiz_bank(bank_file)
    return tuple(generate_questions(path, load_articles(knowledge_dir), bank) + load_bank(path, bank=bank))


# ----------------------------------------------------------------------------- question quality
def is_question(prompt: str) -> bool:
    """A stem asks something: its last line ends with a question mark, or is phrased as a question."""
    last = prompt.strip().splitlines()[-1].strip() if prompt.strip() else ""
    return last.endswith(QUESTION_END) or bool(_ASKS.search(last))


def question_faults(q: Question, lists: list[ResolvedList], articles: dict[str, Article]) -> list[str]:
    """What a trainer would object to in this question (empty: fair). Checked independently of how the
    generator made it: the family of its list is looked up again from the bank."""
    faults = []
    if not is_question(q.prompt):
        faults.append("the stem is not a question")
    article = articles.get(q.article)
    if article is None:
        return [*faults, f"cites a missing article {q.article}"]
    headings = {h for h, _ in article.sections if h}
    for line in q.prompt.splitlines():
        bare = re.sub(r"（共\s*\d+\s*项）", "", line).strip().rstrip("：:？?。")
        if bare in headings:
            faults.append(f"a line of the stem is the section heading 「{bare}」")
        if line.startswith(f"《{article.title}》"):
            faults.append("the stem starts with the article's title")
    if not q.is_choice:
        return faults
    opts = list(q.options)
    if len(opts) < 3 or q.answer is None or not 0 <= q.answer < len(opts):
        faults.append("fewer than three options or no right one")
        return faults
    folded = [match_form(o) for o in opts]
    if len(set(folded)) != len(folded):
        faults.append("two options are the same")
    for i, a in enumerate(opts):
        for b in opts[i + 1:]:
            if _overlaps(a, b) and match_form(a) != match_form(b):
                faults.append(f"option 「{a}」 and 「{b}」 contain each other")
    for o in opts:
        if any(_overlaps(o, s) for s in q.shown) or (len(match_form(o)) >= 2 and match_form(o) in match_form(q.prompt)):
            faults.append(f"option 「{o}」 is shown in the stem")
        if is_trivia(o):
            faults.append(f"option 「{o}」 is trivia")
    faults += [f"the stem shows trivia 「{s}」" for s in q.shown if is_trivia(s)]
    faults += form_faults(q)
    if q.source is not None:
        lst = next((x for x in lists if (x.article.id, x.spec.heading) == q.source), None)
        if lst is None:
            return [*faults, "made from a list the bank does not name"]
        family = [*lst.choices, *family_pool(lst, lists)]
        parts = [p for o in opts for p in (o.split(" → ") if q.kind == "order" else [o])]
        faults += [f"option 「{p}」 is not from the same list or family" for p in parts
                   if not any(match_form(p) == match_form(f) for f in family)]
        right = q.options[q.answer].split(" → ")
        text = match_form(article.text)
        if q.kind != "odd" and not all(match_form(r) in text for r in right):
            faults.append("the right answer is not in the article it cites")
    return faults


@dataclass
class QualityReport:
    questions: int
    passed: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (questions, passed)
    faults: dict[str, list[str]]  # question id -> faults
    articles: int  # path articles with at least one choice question


def quality_report(knowledge_dir: Path, path_file: Path = PATH_FILE, bank_file: Path = BANK_FILE) -> QualityReport:
    """``question_faults`` over every question the generator and the bank make."""
    path, bank, articles = load_path(path_file), load_quiz_bank(bank_file), load_articles(knowledge_dir)
    lists = resolve_lists(path, articles, bank)
    questions = generate_questions(path, articles, bank) + load_bank(path, bank=bank)
    faults = {q.id: f for q in questions if (f := question_faults(q, lists, articles))}
    by_kind: dict[str, tuple[int, int]] = {}
    for q in questions:
        n, ok = by_kind.get(q.kind, (0, 0))
        by_kind[q.kind] = (n + 1, ok + (q.id not in faults))
    covered = {q.article for q in questions if q.is_choice and q.module}
    return QualityReport(len(questions), len(questions) - len(faults), by_kind, faults, len(covered))


# ----------------------------------------------------------------------------- spaced review (FSRS)
def _scheduler():
    from fsrs import Scheduler

    # No fuzzing: the same answers on the same days give the same schedule (testable, explainable).
    # One 10-minute learning step: a wrong answer comes back in the same sitting, a right one in days.
    return Scheduler(enable_fuzzing=False, learning_steps=(timedelta(minutes=10),))


def review(card_json: str | None, grade: bool | str, now: float) -> tuple[str, float]:
    """The question's FSRS card after an answer (right / partly / wrong, or True / False): (card as JSON,
    next due time). Partly right is FSRS's "hard": sooner than a right answer, later than a wrong one."""
    from fsrs import Card, Rating

    if isinstance(grade, bool):
        grade = "right" if grade else "wrong"
    rating = {"right": Rating.Good, "partly": Rating.Hard}.get(grade, Rating.Again)
    when = datetime.fromtimestamp(now, UTC)
    card = Card.from_json(card_json) if card_json else Card(card_id=1, due=when)
    card, _ = _scheduler().review_card(card, rating, review_datetime=when)
    return card.to_json(), card.due.timestamp()


# ----------------------------------------------------------------------------- showing and reading answers
LETTERS = "ABCDEFGH"


def shuffled_order(n: int, seed: str, previous: list[int] | None = None) -> list[int]:
    """A new order of n options for one showing, never the order the learner saw last time."""
    import random

    rng = random.Random(stable_hash(seed))
    order = list(range(n))
    for _ in range(50):
        rng.shuffle(order)
        if n < 2 or order != previous:
            return order
    return order[1:] + order[:1]


_LETTER_ANSWER = re.compile(r"^(?:我?选(?:择)?|答案?(?:是|为)?|选项)?\s*[(\[（【]?\s*([a-z])\s*[)\]）】]?\s*"
                            r"(?:项|选项)?\s*[.。．、,，:：!！]?$")


def looks_like_letter(text: str) -> bool:
    """A line that picks an option by letter, whether or not that option exists ("Z", "选 F")."""
    return bool(_LETTER_ANSWER.match(match_form(unicodedata.normalize("NFKC", text).strip())))


def read_choice(text: str, options: list[str]) -> int | None:
    """Which of the options (in the order shown) a typed answer picks: a letter ("B", "b", "选C", "c.", "（D）"),
    or the option's own words (the whole option, or enough of it to pick exactly one). None if it picks none."""
    t = unicodedata.normalize("NFKC", text).strip()
    m = _LETTER_ANSWER.match(match_form(t))
    if m:
        k = ord(m.group(1)) - ord("a")
        return k if k < len(options) else None
    typed = re.sub(r"[^\w→]", "", match_form(t))
    if len(typed) < 2:
        return None
    forms = [re.sub(r"[^\w→]", "", match_form(o)) for o in options]
    exact = [i for i, f in enumerate(forms) if f == typed]
    if exact:
        return exact[0]
    within = [i for i, f in enumerate(forms) if typed in f or (len(f) >= 2 and f in typed)]
    if len(within) == 1:
        return within[0]
    # The option in other words: the one sharing clearly the most two-character words with what was typed.
    grams = _bigrams(typed)
    scores = sorted(((len(grams & _bigrams(f)) / max(1, len(_bigrams(f))), i) for i, f in enumerate(forms)),
                    reverse=True)
    best, second = scores[0], scores[1] if len(scores) > 1 else (0.0, -1)
    if best[0] >= 0.5 and best[0] - second[0] >= 0.2:
        return best[1]
    return None


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


def exam_questions(questions: tuple[Question, ...], rules: ExamRules, seed: str,
                   seen: frozenset[str] = frozenset()) -> list[Question]:
    """A draw over the modules (round robin), different for every attempt, choice questions only: at most one
    question per article, and none the learner has met in quizzes or reviews (``seen``) while fresh ones last."""
    by_module: dict[str, list[Question]] = {}
    for q in questions:
        if q.is_choice and q.module:
            by_module.setdefault(q.module, []).append(q)
    for qs in by_module.values():
        # Unseen first; within each, a different order every attempt.
        qs.sort(key=lambda q: (q.id in seen, stable_hash(seed, q.id)))
    out: list[Question] = []
    used: set[str] = set()
    progress = True
    while len(out) < rules.questions and progress:
        progress = False
        for qs in by_module.values():
            pick = next((q for q in qs if q.article not in used), None)
            if pick is not None and len(out) < rules.questions:
                out.append(pick)
                used.add(pick.article)
                progress = True
    return out


@dataclass
class ExamMistake:
    question: Question
    given: str | None  # the option the learner chose, None when unanswered
    right: str
    article_title: str


@dataclass
class ExamResult:
    right: int
    total: int
    passed: bool
    late: bool = False
    wrong: list[str] = field(default_factory=list)  # question ids
    mistakes: list[ExamMistake] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0
