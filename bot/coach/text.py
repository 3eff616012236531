"""Plain-text views of scenarios, scorecards and study questions, shared by the terminal and the Telegram bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.coach.roleplay import Scorecard
from bot.coach.scenario import Scenario

if TYPE_CHECKING:
    from bot.coach.self_study import Feedback, Showing
    from bot.coach.study import ExamResult

LEVEL_NAMES = {"easy": "简单", "normal": "普通", "hard": "困难"}
STATUS_MARK = {"met": "✅ 达成", "partly": "🟡 部分", "missed": "❌ 未达成"}
OUTCOME_NAMES = {"won": "客户被你留住了 🎉", "lost": "客户离开了", "out_of_turns": "时间用完了",
                 "ended": "你结束了练习"}


def level_text(scenario: Scenario, level: str) -> str:
    d = scenario.difficulties[level]
    return (f"{LEVEL_NAMES[level]}：客户起始情绪 {d.start_mood:+d}，耐心 {d.patience}，最多 {d.max_turns} 轮，"
            f"会提出 {d.objections} 个异议，问得好最多透露 {d.reveal} 条内情")


def brief_text(scenario: Scenario, level: str) -> str:
    """What the rep reads before starting: the situation, the goal and the whole rubric."""
    p = scenario.persona
    lines = [
        f"🎭 {scenario.title}（{LEVEL_NAMES[level]}）",
        "",
        f"客户：{p.name}，{p.company}，{p.role}。性格：{p.temperament}。",
        f"情境：{scenario.situation}",
        f"你的目标：{scenario.rep_goal}",
        "",
        "📋 评分标准（满分 100）：",
    ]
    for c in scenario.rubric:
        lines.append(f"• {c.title}（{c.weight} 分）：{c.evidence}")
    lines.append("扣分项：" + "；".join(f"{m.title}（-{m.penalty}）" for m in scenario.mistakes))
    lines += ["", "规则：你说一句，客户回一句。/hint 给一个提示（不结束），/end 结束并打分。"]
    return "\n".join(lines)


def scorecard_text(card: Scorecard) -> str:
    lines = [f"📊 {card.title}（{LEVEL_NAMES.get(card.difficulty, card.difficulty)}）",
             f"总分：{card.total}/100 · 结果：{OUTCOME_NAMES[card.outcome]}", ""]
    if card.assignment_note:
        lines[2:2] = [f"📌 {card.assignment_note}"]
    for c in card.criteria:
        where = f"：「{c.evidence}」（第 {c.turn} 轮）" if c.evidence else ""
        lines.append(f"{STATUS_MARK[c.status]} {c.title}（{c.weight} 分）{where}")
    for m in card.mistakes:
        lines.append(f"⚠️ 扣 {m.penalty} 分：{m.title}：「{m.evidence}」（第 {m.turn} 轮）")
    if card.keep:
        lines += ["", "👍 继续保持："] + [f"• {k}" for k in card.keep]
    if card.start:
        lines += ["", "🚀 开始做："] + [f"• {s}" for s in card.start]
    if card.stop:
        lines += ["", "🛑 停止做："] + [f"• {s}" for s in card.stop]
    if card.feedback:
        lines += ["", "💬 教练点评：", card.feedback]
    if card.study:
        lines += ["", "📚 建议阅读："]
        for n, s in enumerate(card.study, 1):
            lines.append(f"[{n}] 《{s['title']}》（{s['source']}）：{s['text']}")
    if card.next_practice:
        nxt = card.next_practice
        lines += ["", f"🎯 下一次练习：{nxt['title']}（{LEVEL_NAMES[nxt['difficulty']]}）——{nxt['reason']}"]
    return "\n".join(lines)


def transcript_text(transcript: list[dict], customer: str) -> str:
    return "\n".join(f"{'你' if t['role'] == 'rep' else customer}：{t['text']}" for t in transcript)


# ----------------------------------------------------------------------------- self-study
GRADE_HEADS = {"right": "✅ 答对了！", "partly": "🟡 部分正确。", "wrong": "❌ 还不对。"}


def question_text(showing: Showing, head: str, how: str = "") -> str:
    """A question as shown: the stem, then the options in this showing's order, then how to answer."""
    from bot.coach.study import LETTERS

    q = showing.question
    lines = [head, "", q.prompt]
    if q.is_choice:
        lines += [""] + [f"{LETTERS[i]}. {o}" for i, o in enumerate(showing.options)]
    lines += ["", how or ("回复字母（如 B）或选项的内容。" if q.is_choice else "✍️ 直接打字回答。")]
    return "\n".join(lines)


def feedback_text(fb: Feedback) -> str:
    """After an answer: the verdict (free text: with what was said and what is missing), why, and the article."""
    q = fb.question
    if not q.is_choice:
        head = GRADE_HEADS[fb.grade] + (f"\n{fb.reason}" if fb.reason else "")
    elif fb.correct:
        head = GRADE_HEADS["right"]
    else:
        head = f"❌ 正确答案是 {fb.right_letter}. {fb.right_answer}"
    return f"{head}\n\n{q.explanation}\n\n依据：《{fb.article_title}》"


def exam_result_text(result: ExamResult, pass_mark: float) -> str:
    """The score, then every wrong answer with the right one and the article to read."""
    text = f"📝 考试结束：{result.right}/{result.total}（{result.score:.0%}）" + ("，超时" if result.late else "")
    text += "，及格 ✅" if result.passed else f"，没有及格（{pass_mark:.0%} 及格）❌"
    if result.mistakes:
        text += "\n\n答错的题："
        for n, m in enumerate(result.mistakes, 1):
            stem = " ".join(m.question.prompt.split())
            stem = stem if len(stem) <= 60 else stem[:59] + "…"
            given = f"你的答案：{m.given}" if m.given is not None else "没有作答"
            text += f"\n{n}. {stem}\n   {given}；正确答案：{m.right}（《{m.article_title}》）"
        text += "\n\n答错的题已加入复习（/review）。"
    return text
