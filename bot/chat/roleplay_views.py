"""A role-play's brief, its levels and a scorecard as plain text in the reader's language, for both faces
(the scenario's own words stay as written: they are content)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.i18n import level_name, outcome_name, t
from bot.kb.answer import cite

if TYPE_CHECKING:
    from bot.coach.roleplay import Scorecard
    from bot.coach.scenario import Scenario


def _paren(text: str, lang: str) -> str:
    return f" ({text})" if lang == "en" else f"（{text}）"


def level_text(scenario: Scenario, level: str, lang: str) -> str:
    d = scenario.difficulties[level]
    return t("rpv_level", lang, level=level_name(level, lang), mood=f"{d.start_mood:+d}", patience=d.patience,
             turns=d.max_turns, objections=d.objections, reveal=d.reveal)


def brief_text(scenario: Scenario, level: str, lang: str) -> str:
    """What the rep reads before starting: the situation, the goal and the whole rubric."""
    p = scenario.persona
    lines = [f"🎭 {scenario.title}{_paren(level_name(level, lang), lang)}", "",
             t("rpv_customer", lang, name=p.name, company=p.company, role=p.role, temperament=p.temperament),
             t("rpv_situation", lang, text=scenario.situation), t("rpv_goal", lang, text=scenario.rep_goal), "",
             t("rpv_rubric", lang)]
    lines += [f"• {c.title}{t('rpv_weight', lang, weight=c.weight)}{'：' if lang != 'en' else ': '}{c.evidence}"
              for c in scenario.rubric]
    lines.append(t("rpv_mistakes", lang) + t("rpv_mistake_sep", lang).join(
        t("rpv_mistake", lang, title=m.title, penalty=m.penalty) for m in scenario.mistakes))
    lines += ["", t("rpv_rules", lang)]
    return "\n".join(lines)


def scorecard_text(card: Scorecard, lang: str) -> str:
    lines = [f"📊 {card.title}{_paren(level_name(card.difficulty, lang), lang)}",
             t("rpv_total", lang, total=card.total, outcome=outcome_name(card.outcome, lang)), ""]
    if note := card.assignment_note:
        lines[2:2] = [f"📌 {t('rpv_assignment_short', lang, **note) if isinstance(note, dict) else note}"]
    for c in card.criteria:
        where = t("rpv_evidence", lang, evidence=c.evidence, turn=c.turn) if c.evidence else ""
        lines.append(f"{t('rpv_' + c.status, lang)} {c.title}{t('rpv_weight', lang, weight=c.weight)}{where}")
    lines += [t("rpv_penalty", lang, penalty=m.penalty, title=m.title, evidence=m.evidence, turn=m.turn)
              for m in card.mistakes]
    for key, items in (("rpv_keep", card.keep), ("rpv_start", card.start), ("rpv_stop", card.stop)):
        if items:
            lines += ["", t(key, lang)] + [f"• {x}" for x in items]
    if card.feedback:
        lines += ["", t("rpv_feedback", lang), card.feedback]
    if card.study:
        lines += ["", t("rpv_study", lang)]
        lines += [f"[{n}] {cite(s['title'], s['source'], s.get('doc_id', ''))}：{s['text']}"
                  for n, s in enumerate(card.study, 1)]
    if card.next_practice:
        nxt = card.next_practice
        why = nxt.get("why")  # scorecards stored before it was a key carry the Chinese sentence as "reason"
        reason = t(f"rpv_why_{why}", lang, title=nxt.get("weakest", "")) if why else nxt.get("reason", "")
        lines += ["", t("rpv_next", lang, title=nxt["title"], level=level_name(nxt["difficulty"], lang),
                       reason=reason)]
    return "\n".join(lines)
