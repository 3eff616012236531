"""Answer units: the part of an article that answers a question, whole, and trimmed for a phone.

Retrieval ranks passages (chunks of about 400 characters); a rep should not read a chunk that starts at
item 「2.」 of a list or stops after the sentence announcing four factors. An answer unit is a section of
an article (its heading and everything under it), read from the document the passage came from, so a list
comes whole, numbered from 1, with its lead sentence. When the question asks about several parts that the
article treats in sibling sections (售前 / 售中 / 售后), those sections come together.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from bot.kb.chunk import sections
from bot.kb.documents import Document
from bot.kb.text import lexical_fields, split_sentences, to_simplified, vocabulary_version

PHONE_CHARS = 600  # about one phone screen; the "full passage" button shows the rest
LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s|\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+[、.．]|[①-⑳])")
_NUMBERED = re.compile(r"^\s*(?:\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+[、.．]|[①-⑳]|[-*+])\s*")
_CLAUSE_END = re.compile(r"(?<=[。；;！？!?])")
_NAME_END = re.compile(r"[：:]")

# What kind of answer a question asks for (on simplified, lower-cased text).
_KINDS = {
    "list": re.compile(r"哪些|哪几|几[个种条项点类步道级档块样方]|有什么|有啥|都有|都是|包括|分别|列出|步骤|流程|清单|"
                       r"\bwhich\b|\bwhat are\b|\blist\b|\bsteps\b|\btypes\b|\bkinds\b|\bfactors\b|\bways\b|\blevels\b"),
    "define": re.compile(r"是什么|是啥|什么是|什么叫|啥是|啥叫|指什么|指的是|定义|含义|意思|怎么理解|"
                         r"\bwhat is\b|\bwhat's\b|\bmean\b|\bmeaning\b|\bdefine\b"),
    "compare": re.compile(r"区别|不同|差别|差在|不一样|对比|比较|\bvs\b|versus|difference|differ|compare"),
    "how": re.compile(r"怎么|如何|怎样|咋|\bhow\b"),
    "why": re.compile(r"为什么|为啥|凭什么|\bwhy\b"),
}
_DEFINITION = re.compile(r"是指|指的是|就是|定义为|定义是|即|=")
_COUNT_WORDS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
                "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_COUNT = re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*[个种条项点类步道级档块样大方]|"
                    r"\b(two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\b")


def question_kinds(question: str) -> set[str]:
    q = to_simplified(question).lower()
    return {kind for kind, rx in _KINDS.items() if rx.search(q)}


def asked_count(question: str) -> int | None:
    """How many items the question expects (「五道防线」, "seven ways"), if it says."""
    m = _COUNT.search(to_simplified(question).lower())
    if not m:
        return None
    word = m.group(1) or m.group(2)
    return int(word) if word.isdigit() else _COUNT_WORDS.get(word)


@dataclass
class Section:
    """One heading of one article and what is under it, as paragraphs (a list is one paragraph)."""

    doc_id: str
    heading: str
    paragraphs: list[str]
    index: int  # position among the article's sections

    @property
    def items(self) -> list[str]:
        return [line for p in self.paragraphs for line in p.splitlines() if LIST_ITEM.match(line)]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Unit:
    """What the answer shows from one article: one or more of its sections, and the passage cited."""

    doc_id: str
    title: str
    sections: list[Section]
    score: float
    chunk_ids: list[str] = field(default_factory=list)  # every passage of these sections, in order

    @property
    def heading(self) -> str:
        return self.sections[0].heading or self.title


_SECTIONS: dict[tuple[str, int], list[Section]] = {}


def article_sections(doc: Document) -> list[Section]:
    """The article's sections (parsed once per document version: answering stays within its latency budget)."""
    key = (doc.doc_id, hash(doc.text))
    if (cached := _SECTIONS.get(key)) is not None:
        return cached
    if len(_SECTIONS) > 4096:
        _SECTIONS.clear()
    _SECTIONS[key] = out = _parse_sections(doc)
    return out


def _parse_sections(doc: Document) -> list[Section]:
    out = []
    for i, (heading, paragraphs) in enumerate(sections(doc.text, "")):
        out.append(Section(doc.doc_id, "" if heading == doc.title else heading, paragraphs, i))
    return out


def _bare(item: str) -> str:
    return _NUMBERED.sub("", item, count=1).strip()


def _short(item: str, level: int) -> str:
    """An item at a level of detail: 0 whole, 1 its first sentence, 2 its name (before the colon)."""
    if level == 0:
        return item
    first = _CLAUSE_END.split(item, maxsplit=1)[0].strip()
    if level == 1:
        return first
    m = _NAME_END.search(first)
    return first[: m.start()].strip() if m and m.start() >= 2 else first[:40].rstrip("，,") + ("…" if len(first) > 40 else "")


def _numbered(items: list[str], level: int) -> list[str]:
    """The list numbered from 1 (bullets keep their bullets only when the source had no numbers)."""
    numbered = any(not re.match(r"^\s*[-*+]\s", i) for i in items)
    return [f"{n}. {_short(_bare(i), level)}" if numbered else f"• {_short(_bare(i), level)}"
            for n, i in enumerate(items, 1)]


def render_section(sec: Section, budget: int, *, with_heading: bool = True, title: str = "") -> tuple[str, bool]:
    """The section as the rep reads it, at most ``budget`` characters; True when something was left out."""
    name = sec.heading or title
    first_line = sec.paragraphs[0].splitlines()[0].strip(" #*") if sec.paragraphs else ""
    heading = f"**{name}**" if with_heading and name and first_line != name else ""
    blocks = []  # ("lead" | "list" | "prose", lines)
    for p in sec.paragraphs:
        for line in p.splitlines():
            kind = "list" if LIST_ITEM.match(line) else "prose"
            if kind == "list" and blocks and blocks[-1][0] == "list":
                blocks[-1][1].append(line)
            else:
                blocks.append((kind, [line]))
    has_list = any(k == "list" for k, _ in blocks)

    def compose(item_level: int, prose_sentences: int | None) -> str:
        out = [heading] if heading else []
        seen_list = False
        for kind, lines in blocks:
            if kind == "list":
                out.extend(_numbered(lines, item_level))
                seen_list = True
            elif has_list and seen_list and prose_sentences is not None:
                continue  # prose after the list is commentary: the first thing to go
            elif prose_sentences is None:
                out.append(lines[0])
            else:
                keep = "".join(split_sentences(lines[0])[:prose_sentences])
                if keep:
                    out.append(keep)
        return "\n".join(out)

    full = compose(0, None)
    if len(full) <= budget:
        return full, False
    tries = [(0, 2), (1, 2), (1, 1), (2, 1)] if has_list else []
    for level, n in tries:
        text = compose(level, n)
        if len(text) <= budget:
            return text, True
    if has_list:
        return compose(2, 1)[: budget].rstrip() + "…", True
    # Prose only: whole sentences up to the budget.
    out = [heading] if heading else []
    size = len(heading)
    for p in sec.paragraphs:
        kept = ""
        for s in split_sentences(p):
            if size + len(kept) + len(s) > budget:
                if kept:
                    out.append(kept)
                elif len(out) == (1 if heading else 0):
                    out.append(s[: max(0, budget - size)])
                return "\n".join(out) + "…", True
            kept += s
        out.append(kept)
        size += len(kept)
    return "\n".join(out), True


_GENERIC = frozenset(["客户", "顾客", "销售", "企业", "公司", "什么", "怎么", "如何", "为什么", "哪些", "一个", "我们", "他们", "对销售的启示", "启示"])


def words(text: str) -> frozenset[str]:
    """The content words of a text (jieba), generic ones (客户, 怎么) left out. Cached: headings and titles are
    segmented for every question, and jieba takes ~0.5 ms a text."""
    return _words(text, vocabulary_version())


@functools.lru_cache(maxsize=8192)
def _words(text: str, _version: int) -> frozenset[str]:
    return frozenset(w for w in lexical_fields(text)["words"] if len(w) > 1 and w not in _GENERIC)


_SERIES = re.compile(r"^(?:因素|途径|策略|防线|定义|方法|步骤|做法|原则|层次|阶段|第)([一二三四五六七八九十\d]+)[步条个]?[：:\s—-]*")


def series(secs: list[Section]) -> list[Section]:
    """An article's numbered run of sections (因素一 … 因素四, 途径一 … 途径四), in order."""
    run = [x for x in secs if _SERIES.match(x.heading)]
    return run if len(run) >= 2 else []


def overview(doc_title: str, secs: list[Section]) -> Section | None:
    """One section listing an article's numbered run: each member's name and its first sentence, under the
    article's opening sentence. This is what a list question wants when the items are separate sections."""
    run = series(secs)
    if not run:
        return None
    intro = next((x for x in secs if x.index < run[0].index and not x.heading), None)
    lead = split_sentences(intro.paragraphs[0])[:1] if intro and intro.paragraphs else []
    items = []
    for n, x in enumerate(run, 1):
        name = _SERIES.sub("", x.heading).strip() or x.heading
        first = split_sentences(x.paragraphs[0])[0] if x.paragraphs else ""
        items.append(f"{n}. {name}：{first}" if first else f"{n}. {name}")
    return Section(run[0].doc_id, "", [*lead, "\n".join(items)], run[0].index)


def is_commentary(sec: Section) -> bool:
    """A section that comments rather than informs: "what it means for sales", or an untitled opening that
    only points elsewhere."""
    if re.search(r"启示", sec.heading):
        return True
    return not sec.heading and len(sec.text) < 160 and len(sec.items) < 2


def _name(item: str) -> str:
    """A list item's name: the words before its colon, or the item itself when it is short (产品品牌；)."""
    first = _CLAUSE_END.split(item, maxsplit=1)[0].strip()
    m = _NAME_END.search(first)
    if m and 2 <= m.start() <= 16:
        name = first[: m.start()].strip()
        return "" if _REPORTS.search(name) else name  # 「报告显示：」 introduces a finding, it does not name one
    first = first.rstrip("；;。，,")
    return first if len(first) <= 16 else ""


_REPORTS = re.compile(r"(显示|指出|表明|认为|发现|说|称|提到|证明)$")


def digest(secs: list[Section], title: str = "") -> Section | None:
    """The whole article at a glance, for a question it answers as a whole rather than in one section: each
    section's heading with its list's item names, or its first sentence, numbered in the article's order."""
    body = [x for x in secs if not is_commentary(x)]
    if sum(1 for x in body if x.heading or len(x.items) >= 2) < 3:
        return None
    opening = next((x for x in secs if not x.heading and x.paragraphs and not LIST_ITEM.match(x.paragraphs[0])), None)
    first = split_sentences(opening.paragraphs[0])[0].strip() if opening else ""
    lead: list[str] = [first] if first and "见《" not in first else []  # not 「总览见《…》」: a pointer
    lines: list[str] = []
    for x in body:
        names = [_name(_bare(i)) for i in x.items]
        named = len(names) >= 2 and all(names)
        if not x.heading and not named:  # the article's opening prose: its first sentence leads
            continue
        if named:
            what = "、".join(names)
        else:  # items without names (whole sentences): short ones as they are, else the section's first sentence
            firsts = [_short(_bare(i), 1).rstrip("；;。，,") for i in x.items]
            prose = next((p for p in x.paragraphs if not LIST_ITEM.match(p)), "")
            if len(firsts) >= 2 and sum(map(len, firsts)) <= 160:
                what = "；".join(firsts)
            else:
                what = split_sentences(prose)[0].strip() if prose else firsts[0] if firsts else ""
        name = _SERIES.sub("", x.heading).strip() or x.heading or title  # 因素一：认知程度 → 认知程度
        what = " ".join(what.split())
        lines.append(f"{len(lines) + 1}. {name}：{what}" if what and name else f"{len(lines) + 1}. {name or what}")
    return Section(secs[0].doc_id, "", [*lead, "\n".join(lines)], secs[0].index)


def heading_overlap(question: str, sec: Section) -> float:
    """Share of a section heading's words that the question uses (0 for an untitled section)."""
    named = words(sec.heading)
    return len(named & words(question)) / len(named) if named else 0.0


def named_siblings(question: str, best: Section, siblings: list[Section]) -> list[Section]:
    """Sections beside ``best`` that the question names by a word of their own (售前 / 售中 / 售后)."""
    q = words(question)
    own = words(best.heading)
    if not (own - set().union(*(words(x.heading) for x in siblings if x is not best))) & q:
        return []
    return [x for x in siblings if x is not best and x.heading and (words(x.heading) - own) & q]


def fit(question: str, sec: Section, kinds: set[str], count: int | None) -> float:
    """How well a section's shape suits what the question asks for (added to its retrieval score)."""
    bonus = 0.0
    n_items = len(sec.items)
    if "list" in kinds or "how" in kinds:
        if n_items >= 2:
            bonus += 0.12 if "list" in kinds else 0.06
        if count and n_items == count:
            bonus += 0.15
    if count and str(count) in sec.heading or (count and any(
            w in sec.heading for w, n in _COUNT_WORDS.items() if n == count and len(w) == 1)):
        bonus += 0.08
    if "define" in kinds and (_DEFINITION.search(sec.text[:200]) or re.search(r"是什么|含义|定义|指什么", sec.heading)):
        bonus += 0.08
    # A word the question shares with a heading (漏桶, 20/80, 售后) names that section.
    bonus += min(0.16, 0.08 * len(words(sec.heading) & words(question)))
    # Commentary is not an answer: "what it means for sales" closes most articles and echoes every question;
    # an untitled opening that only points elsewhere says nothing by itself.
    if is_commentary(sec) and not (sec.heading and "how" in kinds):
        bonus -= 0.12
    return bonus
