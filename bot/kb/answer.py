"""Compose a short answer from retrieved passages, with numbered citations.

Offline, the answer is extractive: the answer unit (bot/kb/units.py), the section of an article that
answers, whole lists numbered from 1, trimmed for a phone. A calibrated relevance decision
(bot/kb/relevance.py) declines what the knowledge base does not cover and names the closest topics it
does. With a LangChain chat model the prose is written by the model from the answer unit, cited; it
may reply that the passages do not answer; any failure falls back to the extractive answer.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field

from bot.kb.articles import confidence, default_chooser
from bot.kb.index import section_gloss
from bot.kb.relevance import default_relevance
from bot.kb.retrieve import Passage, Retriever
from bot.kb.text import is_english
from bot.kb.units import (
    PHONE_CHARS,
    Section,
    Unit,
    article_sections,
    asked_count,
    digest,
    fit,
    is_commentary,
    named_siblings,
    overview,
    question_kinds,
    render_section,
    series,
)
from bot.llm import LLMUnavailable

log = logging.getLogger(__name__)

FLAT = 0.85  # an article whose third-best section scores this close to its best is answered as a whole
COMPANION = 0.8  # a same-article section this close to the best one comes with it
MAX_QUESTION_CHARS = 1000  # longer "questions" are pasted documents: both faces refuse them politely


@dataclass
class Answer:
    question: str
    text: str
    passages: list[Passage]
    cited: list[int]  # 1-based numbers of the passages the text rests on
    by_llm: bool = False
    declined: bool = False  # the knowledge base has nothing on this: say so, offer `suggestions`
    suggestions: list[str] = field(default_factory=list)  # titles of the closest articles it does cover
    lead: str = ""  # an English question's English lead sentence, shown before the Chinese passage
    trimmed: bool = False  # the unit was trimmed for a phone: the "full passage" button has the rest

    @property
    def found(self) -> bool:
        return bool(self.passages) and not self.declined

    @property
    def body(self) -> str:
        """What the rep reads as the answer: the lead, then the text."""
        return f"{self.lead}\n\n{self.text}" if self.lead else self.text


def _choose_units(question: str, passages: list[Passage], gen, article: str | None = None) -> list[Unit]:
    """The article sections that answer: the best-fitting one (of `article`, when the article chooser named one),
    its sibling sections the question names, and a second article's section when it answers nearly as well and
    there is room."""
    kinds, count = question_kinds(question), asked_count(question)
    by_doc: dict[str, list[Section]] = {}
    scored: list[tuple[float, Section, Passage]] = []
    top = passages[0].score or 1.0
    for p in passages:
        if (p.score < 0.5 * top and p.doc_id != article) or p.doc_id not in gen.docs:
            continue
        secs = by_doc.setdefault(p.doc_id, article_sections(gen.docs[p.doc_id]))
        sec = next((x for x in secs if x.heading == p.section), None)
        if sec is None:
            continue
        scored.append((p.score / top + fit(question, sec, kinds, count), sec, p))
    if not scored:
        return []
    best: dict[tuple[str, int], tuple[float, Section, Passage]] = {}
    for score, sec, p in scored:
        key = (sec.doc_id, sec.index)
        if key not in best or score > best[key][0]:
            best[key] = (score, sec, p)
    ranked = sorted(best.values(), key=lambda x: (article is not None and x[1].doc_id != article, -x[0]))
    score, sec, p = ranked[0]
    secs = by_doc[sec.doc_id]
    # The items are separate sections (因素一 … 因素四): a list question, or the article's short opening that
    # only announces them, gets all of them at once.
    run = series(secs)
    near = [x for s2, x, _ in ranked if x.doc_id == sec.doc_id and s2 >= COMPANION * score]
    wants_all = ("list" in kinds or "compare" in kinds or count or (not sec.heading and len(sec.text) < 160)
                 or sum(1 for x in near if x in run) >= 2
                 # "How do I…" met by the section that introduces the article's run: the run is the how.
                 or ("how" in kinds and run and sec.index < run[0].index and len(sec.items) < 2))
    if run and wants_all and (sec in run or not sec.heading or sec.index < run[0].index or count == len(run)) \
            and len(sec.items) < 2:
        # The article at a glance when it fits a phone (the run and whatever else the article lists, such as
        # the three kinds of brand beside the two ways to use them); the run alone when it does not.
        whole = digest(secs, gen.docs[sec.doc_id].title)
        if whole is None or render_section(whole, PHONE_CHARS)[1]:
            whole = overview(gen.docs[sec.doc_id].title, secs)
        if whole is not None:
            return [Unit(sec.doc_id, gen.docs[sec.doc_id].title, [whole], score, [p.chunk_id])]
    # Several of the article's sections answer about equally well: the question is about the article as a
    # whole (「联想是怎么做大客户的？」), so it gets the article at a glance rather than one part of it.
    same = [s2 for s2, x, _ in ranked if x.doc_id == sec.doc_id and not is_commentary(x)]
    own_list = ("list" in kinds or count) and len(sec.items) >= 2  # a list question that found its list
    flat = len(same) >= 3 and same[2] >= FLAT * score
    if flat and not own_list and not named_siblings(question, sec, secs):
        whole = digest(secs, gen.docs[sec.doc_id].title)
        if whole is not None:
            return [Unit(sec.doc_id, gen.docs[sec.doc_id].title, [whole], score, [p.chunk_id])]
    # Sibling sections the question names (售前、售中、售后): shown together, in the article's order.
    siblings = named_siblings(question, sec, by_doc[sec.doc_id])
    # A question with two parts (「分哪几种？该选哪种？」) often needs two sections of the same article:
    # take the article's other sections that retrieval ranked nearly as high.
    close = [x for s2, x, _ in ranked[1:] if x.doc_id == sec.doc_id and s2 >= COMPANION * score]
    group = sorted({id(x): x for x in [sec, *siblings[:3], *close[:1]]}.values(), key=lambda x: x.index)
    units = [Unit(sec.doc_id, gen.docs[sec.doc_id].title, group, score, [p.chunk_id])]
    for score2, sec2, p2 in ranked[1:]:
        if sec2.doc_id != sec.doc_id and score2 >= 0.8 * score:
            units.append(Unit(sec2.doc_id, gen.docs[sec2.doc_id].title, [sec2], score2, [p2.chunk_id]))
            break
    return units


def compose(question: str, units: list[Unit], budget: int = PHONE_CHARS) -> tuple[str, bool]:
    """The answer body: each unit's sections under their headings, cited [1], [2], within ``budget``."""
    parts, trimmed, room = [], False, budget
    for n, unit in enumerate(units, 1):
        if n > 1 and room < 160:
            break
        share = room if n == len(units) or n > 1 else max(room - 220, int(budget * 0.6))
        pieces = []
        each = max(140, share // len(unit.sections))
        for sec in unit.sections:
            text, cut = render_section(sec, each, title=unit.title)
            pieces.append(text)
            trimmed = trimmed or cut
        body = "\n\n".join(pieces) + f" [{n}]"
        parts.append(body)
        room -= len(body)
    return "\n\n".join(parts), trimmed


def extractive_answer(question: str, passages: list[Passage], gen=None,
                      article: str | None = None) -> tuple[str, list[int], list[Unit], bool]:
    """The answer units for ``question`` rendered for a phone (from `article` first, when one was chosen); falls
    back to the top passage's text."""
    units = _choose_units(question, passages, gen, article) if gen is not None else []
    if not units:
        p = passages[0]
        text, cut = render_section(Section(p.doc_id, p.section, [x for x in p.text.split("\n\n") if x], 0),
                                   PHONE_CHARS, title=p.title)
        return text + " [1]", [1], [], cut
    text, cut = compose(question, units)
    return text, list(range(1, len(units) + 1)), units, cut


class Answerer:
    """Answers questions from the knowledge base; an optional chat model writes the prose."""

    def __init__(self, retriever: Retriever, chat_model=None, *, k: int = 5, relevance="default",
                 articles="default") -> None:
        self.retriever = retriever
        self.chat_model = chat_model
        self.k = k
        self.relevance = (default_relevance(retriever.kb.embedder.name) if relevance == "default" else relevance)
        self.chooser = default_chooser(retriever.kb.embedder.name) if articles == "default" else articles

    def answer(self, question: str) -> Answer:
        result = self.retriever.search(question, k=max(self.k, 12))
        passages = result.passages
        if not passages:
            return Answer(question, "", [], [])
        gen = self.retriever.generation
        english = is_english(question)
        probabilities, chooser = None, self.chooser
        vector = result.signals.get("vector")
        if chooser is not None and vector is not None:
            try:
                probabilities = chooser.probabilities(question, vector)
            except ValueError as exc:  # a chooser file at odds with this index: retrieval's order stands
                log.warning("article chooser failed (%s); answering in retrieval's order", exc)
                chooser = None
            else:  # how surely the question is one article's: the relevance decision reads it
                result.signals.update(confidence(probabilities, passages))
        if self.relevance is not None and not self.relevance.in_scope(result.signals, english):
            return self._decline(question, passages)
        article = None
        if chooser is not None:
            try:
                ranked = chooser.rank(question, vector, passages, gen.docs, probabilities)
                article = ranked[0] if ranked else None
            except ValueError as exc:
                log.warning("article chooser failed (%s); answering in retrieval's order", exc)
        text, cited, units, trimmed = extractive_answer(question, passages, gen, article)
        ordered = _cited_first(passages, units)[: max(self.k, len(cited))]
        lead = _english_lead(units, gen) if english else ""
        if self.chat_model is not None:
            try:
                reply = self._llm_answer(question, units, ordered, gen)
                if reply.strip().strip("。.").upper() == NOT_IN_KB:
                    return self._decline(question, passages)
                numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", reply) if 1 <= int(n) <= len(ordered)})
                return Answer(question, reply, ordered, numbers or [1], by_llm=True)
            except LLMUnavailable as exc:  # already logged once by the model; one line per question
                log.info("%s", exc)
            except Exception:
                log.exception("chat model failed; falling back to the extractive answer")
        return Answer(question, text, ordered, cited, lead=lead, trimmed=trimmed)

    def _decline(self, question: str, passages: list[Passage]) -> Answer:
        """Nothing in the knowledge base answers this: the closest articles it has, one passage each."""
        near, seen = [], set()
        for p in passages:
            if p.doc_id not in seen:
                seen.add(p.doc_id)
                near.append(p)
        near = near[:3]
        return Answer(question, "", near, [], declined=True, suggestions=[p.title for p in near])

    def _llm_answer(self, question: str, units: list[Unit], ordered: list[Passage], gen) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        from bot.prompts import load_prompt

        prompt = load_prompt("answer")
        blocks = []
        for n, p in enumerate(ordered, start=1):
            if n <= len(units):  # the answer unit itself, whole (the model trims it)
                unit = units[n - 1]
                body = "\n\n".join(render_section(sec, 2000, title=unit.title)[0] for sec in unit.sections)
                blocks.append(f"[{n}] 《{unit.title}》\n{body}")
            else:
                blocks.append(f"[{n}] 《{p.title}》{' · ' + p.section if p.section else ''}\n{p.text}")
        messages = [
            SystemMessage(prompt["system"]),
            HumanMessage(prompt["user"].format(question=question, passages="\n\n".join(blocks))),
        ]
        reply = self.chat_model.invoke(messages)
        text = str(getattr(reply, "content", reply)).strip()
        if not text:
            raise ValueError("empty reply from chat model")
        return text


NOT_IN_KB = "NOT_IN_KB"  # what the chat model replies when the passages do not answer (prompts/answer.yaml)


def _cited_first(passages: list[Passage], units: list[Unit]) -> list[Passage]:
    """Citation n is passage n: the units' passages first (numbered 1..m without gaps), then the rest."""
    by_id = {p.chunk_id: p for p in passages}
    first = []
    for u in units:
        p = by_id.get(u.chunk_ids[0]) if u.chunk_ids else None
        if p is not None:  # cited as what the rep reads: one section by its heading, several by the title
            first.append(dataclasses.replace(p, section=u.sections[0].heading if len(u.sections) == 1 else ""))
    cited = {p.chunk_id for p in first}
    return first + [p for p in passages if p.chunk_id not in cited]


def _english_lead(units: list[Unit], gen) -> str:
    """For an English question: what the chosen sections say, in the article's own English glosses (the
    article's English summary when the answer is the article at a glance), and that the material is Chinese."""
    for unit in units:
        doc = gen.docs.get(unit.doc_id)
        if doc is None:
            continue
        own = article_sections(doc)  # parsed once per version: a section shown as it is, not a digest of many
        glosses = [section_gloss(doc.meta, s.heading) for s in unit.sections if any(s is x for x in own)]
        lead = " ".join(g for g in glosses[:2] if g) or str(doc.meta.get("summary_en") or "").strip()
        if lead:
            return f"{lead} (Our material is in Chinese; the passage it rests on follows.)"
    return "Our material is in Chinese; the passage that answers follows." if units else ""


NOT_FOUND = "知识库里没有找到相关内容。换个说法试试，或问问你的培训师。"
DECLINED = "知识库里没有这方面的内容，我不想拿不相干的资料糊弄你。可以问问你的培训师或相关部门。"
NEAREST = "知识库讲得到的相近话题："
BOLD = re.compile(r"\*\*(.+?)\*\*")


def plain_markdown(text: str) -> str:
    """Article Markdown for a plain-text face: bold markers dropped, nothing raw."""
    return BOLD.sub(r"\1", text)


def citation(p: Passage) -> str:
    """What a rep recognises: the article's title (an upload's own title or file name) and the section."""
    return cite(p.title, p.source, p.doc_id, p.section)


def cite(title: str, source: str, doc_id: str, section: str = "") -> str:
    """`citation` from a passage's fields (a role-play hint or reading list keeps them as a dict): never the
    seed file names a bundled article was written from, which are provenance for maintainers."""
    where = f"《{title}》· {section}" if section else f"《{title}》"
    if doc_id.startswith("upload:") and source and source not in title:
        where += f"（{source}）"  # an admin's upload: its file name too, as the admin knows it
    return where


def format_plain(answer: Answer) -> str:
    """Plain-text rendering (terminal, `salescoach ask`): the answer, then numbered sources."""
    if answer.declined:
        return "\n".join([DECLINED, "", NEAREST, *[f"• 《{t}》" for t in answer.suggestions]])
    if not answer.found:
        return NOT_FOUND
    lines = [plain_markdown(answer.body), "", "来源："]
    lines += [f"[{n}] {citation(answer.passages[n - 1])}" for n in answer.cited]
    if answer.trimmed:
        lines.append("（为便于手机阅读做了节选）")
    return "\n".join(lines)
