"""Turn domain results into Telegram messages: HTML-escaped, split under the 4096-character limit."""

from __future__ import annotations

import html
import re

from bot.chat.i18n import in_script, t
from bot.kb.answer import BOLD, Answer, citation, plain_markdown
from bot.kb.retrieve import Passage

MAX_MESSAGE = 4096


def cite(p: Passage, lang: str) -> str:
    """An article's title (an upload's own title or file name) and section: what a rep recognises."""
    return in_script(citation(p), lang)


def markdown_html(text: str) -> str:
    """Escape, then render the articles' Markdown bold as Telegram bold: nothing raw reaches the reader."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text))


def answer_html(answer: Answer, lang: str) -> str:
    if answer.declined:
        lines = [html.escape(t("declined", lang)), "", f"<b>{html.escape(t('nearest', lang))}</b>"]
        lines += [f"[{n}] {html.escape(in_script('《' + title + '》', lang))}"
                  for n, title in enumerate(answer.suggestions, 1)]
        return "\n".join(lines)
    if not answer.found:
        return html.escape(t("not_found", lang))
    lines = [markdown_html(in_script(answer.body, lang))]
    if answer.trimmed:
        lines.append(f"<i>{html.escape(t('trimmed', lang))}</i>")
    lines += ["", f"<b>{t('sources', lang)}</b>"]
    lines += [f"[{n}] {html.escape(cite(answer.passages[n - 1], lang))}" for n in answer.cited]
    return "\n".join(lines)


def passage_html(p: Passage, n: int, lang: str) -> str:
    return f"<b>[{n}] {html.escape(cite(p, lang))}</b>\n\n{markdown_html(in_script(p.text, lang))}"


def more_html(passages: list[Passage], lang: str) -> str:
    lines = [f"<b>{t('more_title', lang)}</b>"]
    for n, p in enumerate(passages, 1):
        snippet = in_script(p.text.replace("\n", " "), lang)
        snippet = snippet[:120] + ("…" if len(snippet) > 120 else "")
        lines.append(f"\n<b>[{n}] {html.escape(cite(p, lang))}</b>\n{html.escape(plain_markdown(snippet))}")
    return "\n".join(lines)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split on paragraph, then sentence boundaries; never inside an HTML tag or entity."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    pieces = re.split(r"(?<=\n)|(?<=[。！？!?])", text)
    for piece in pieces:
        while len(piece) > limit:  # one giant "sentence": cut at a safe place
            cut = _safe_cut(piece, limit - len(current)) if current else _safe_cut(piece, limit)
            if cut <= 0 and current:  # no safe place in what is left of this part: start the next one
                parts.append(current)
                current = ""
                continue
            cut = cut if cut > 0 else limit  # a "<" or "&" with no end in a whole part is plain text, not markup
            parts.append(current + piece[:cut])
            current, piece = "", piece[cut:]
        if len(current) + len(piece) > limit:
            parts.append(current)
            current = ""
        current += piece
    if current:
        parts.append(current)
    return [p for p in (x.strip("\n") for x in parts) if p]


def _safe_cut(text: str, limit: int) -> int:
    cut = limit
    lt, amp = text.rfind("<", 0, cut), text.rfind("&", 0, cut)
    if lt > text.rfind(">", 0, cut):
        cut = lt
    if amp > text.rfind(";", 0, cut):
        cut = min(cut, amp)
    return cut
