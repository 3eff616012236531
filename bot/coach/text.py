"""Plain-text views of scenarios, scorecards and study questions, shared by the terminal and the Telegram bot."""

from __future__ import annotations

from bot.coach.roleplay import Scorecard
from bot.coach.scenario import Scenario

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
