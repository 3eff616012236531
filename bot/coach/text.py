"""Names of role-play levels and outcomes in the domain's own (Chinese) words, for the charts and the judge's
notes; what a reader sees is in bot.chat (roleplay_views, the text catalogue)."""

from __future__ import annotations

LEVEL_NAMES = {"easy": "简单", "normal": "普通", "hard": "困难"}
OUTCOME_NAMES = {"won": "客户被你留住了 🎉", "lost": "客户离开了", "out_of_turns": "时间用完了",
                 "ended": "你结束了练习"}


def transcript_text(transcript: list[dict], customer: str) -> str:
    return "\n".join(f"{'你' if t['role'] == 'rep' else customer}：{t['text']}" for t in transcript)
