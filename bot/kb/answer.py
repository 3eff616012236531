"""Compose a short answer from retrieved passages, with numbered citations.

Offline, the answer is extractive: the sentences (or list items) of the best passages that share
the most terms with the question, in their original order. With a LangChain chat model it is
written by the model, grounded only in the numbered passages; any failure falls back to the
extractive answer so a question is never left unanswered.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.kb.retrieve import Passage, Retriever
from bot.kb.text import split_sentences, tokenize
from bot.llm import LLMUnavailable

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 360
MAX_QUESTION_CHARS = 1000  # longer "questions" are pasted documents: both faces refuse them politely
_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+[、.．]|[a-g][)）.])\s*")
_LIST_QUESTION = re.compile(
    r"哪些|哪几|几[个种条项点类步]|有什么|包括|分别|列出|步骤|流程|清单|怎么办|怎么做|如何|怎样|"
    r"which|what are|list|steps|how (?:do|should|can|to)"
)


@dataclass
class Answer:
    question: str
    text: str
    passages: list[Passage]
    cited: list[int]  # 1-based numbers of the passages the text rests on
    by_llm: bool = False

    @property
    def found(self) -> bool:
        return bool(self.passages)


def _units(passage: Passage) -> list[str]:
    """Sentences, but a list item stays whole as one unit."""
    units: list[str] = []
    for line in passage.text.splitlines():
        line = line.strip()
        if not line:
            continue
        if _LIST_LINE.match(line):
            units.append(line)
        else:
            units.extend(split_sentences(line))
    return units


def extractive_answer(question: str, passages: list[Passage]) -> tuple[str, list[int]]:
    """Pick the best-matching units of the top passages, keep their order, cite their passages."""
    if not passages:
        return "", []
    q_terms = set(tokenize(question))
    wants_list = bool(_LIST_QUESTION.search(question.lower()))
    top = passages[0]
    if wants_list:
        # A "which / how" question is best answered by a list: take the first strong passage with one.
        for p in passages[:3]:
            if p.score >= 0.6 * passages[0].score and sum(1 for u in _units(p) if _LIST_LINE.match(u)) >= 2:
                top = p
                break
    top_n = passages.index(top) + 1
    units = _units(top)
    scored = [(len(q_terms & set(tokenize(u))) / (1 + len(u) / 80), i) for i, u in enumerate(units)]
    best = max(scored)[1] if scored else 0
    chosen = [best]
    # Grow around the best unit: a list question takes the whole list; otherwise the next sentences.
    list_items = [i for i, u in enumerate(units) if _LIST_LINE.match(u)]
    if wants_list and list_items:
        start = max(0, min(list_items) - 1)
        chosen = list(range(start, max(list_items) + 1))
    else:
        j = best + 1
        while j < len(units) and sum(len(units[c]) for c in chosen) + len(units[j]) <= MAX_ANSWER_CHARS // 2:
            chosen.append(j)
            j += 1
    picked = [units[i] for i in sorted(set(chosen))]
    # List items each on their own line; prose sentences run on.
    text = "".join(
        u if i == 0 or not (_LIST_LINE.match(u) or _LIST_LINE.match(picked[i - 1])) else "\n" + u
        for i, u in enumerate(picked)
    ).strip()
    if len(text) > MAX_ANSWER_CHARS * 2:
        text = text[: MAX_ANSWER_CHARS * 2].rstrip() + "…"
    cited = [top_n]
    text += f" [{top_n}]"
    # A second passage from another article adds breadth when it matches the question well too.
    for n, p in enumerate(passages[:3], start=1):
        if p is top or p.doc_id == top.doc_id or p.score < 0.75 * passages[0].score:
            continue
        others = sorted(((len(q_terms & set(tokenize(u))), u) for u in _units(p)), reverse=True)
        if others and others[0][0] > 0 and len(text) + len(others[0][1]) <= MAX_ANSWER_CHARS * 2:
            text += "\n" + others[0][1].strip() + f" [{n}]"
            cited.append(n)
        break
    return text, cited


class Answerer:
    """Answers questions from the knowledge base; an optional chat model writes the prose."""

    def __init__(self, retriever: Retriever, chat_model=None, *, k: int = 5) -> None:
        self.retriever = retriever
        self.chat_model = chat_model
        self.k = k

    def answer(self, question: str) -> Answer:
        passages = self.retriever.search(question, k=self.k).passages
        if not passages:
            return Answer(question, "", [], [])
        if self.chat_model is not None:
            try:
                text = self._llm_answer(question, passages)
                cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", text) if 1 <= int(n) <= len(passages)})
                return Answer(question, text, passages, cited or [1], by_llm=True)
            except LLMUnavailable as exc:  # already logged once by the model; one line per question
                log.info("%s", exc)
            except Exception:
                log.exception("chat model failed; falling back to the extractive answer")
        text, cited = extractive_answer(question, passages)
        return Answer(question, text, passages, cited)

    def _llm_answer(self, question: str, passages: list[Passage]) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        from bot.prompts import load_prompt

        prompt = load_prompt("answer")
        numbered = "\n\n".join(f"[{i}] {p.title}\n{p.text}" for i, p in enumerate(passages, start=1))
        messages = [
            SystemMessage(prompt["system"]),
            HumanMessage(prompt["user"].format(question=question, passages=numbered)),
        ]
        reply = self.chat_model.invoke(messages)
        text = str(getattr(reply, "content", reply)).strip()
        if not text:
            raise ValueError("empty reply from chat model")
        return text


NOT_FOUND = "知识库里没有找到相关内容。换个说法试试，或问问你的培训师。"


def format_plain(answer: Answer) -> str:
    """Plain-text rendering (terminal, `salescoach ask`): the answer, then numbered sources."""
    if not answer.found:
        return NOT_FOUND
    lines = [answer.text, "", "来源："]
    for n in answer.cited:
        p = answer.passages[n - 1]
        where = f"{p.title} · {p.section}" if p.section else p.title
        lines.append(f"[{n}] {where}（{p.source}）")
    return "\n".join(lines)
