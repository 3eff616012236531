"""The frame of a role-play's brief, level description and scorecard (the scenario's own words are content,
in Chinese; what is around them is the reader's)."""

from __future__ import annotations

ROLEPLAY: dict[str, dict[str, str]] = {
    "rpv_level": {
        "zh-CN": "{level}：客户起始情绪 {mood}，耐心 {patience}，最多 {turns} 轮，会提出 {objections} 个异议，问得好最多透露 {reveal} 条内情",
        "zh-TW": "{level}：客戶起始情緒 {mood}，耐心 {patience}，最多 {turns} 輪，會提出 {objections} 個異議，問得好最多透露 {reveal} 條內情",
        "en": "{level}: the customer starts at mood {mood}, patience {patience}, at most {turns} turns, raises "
              "{objections} objections, and reveals up to {reveal} inside facts to good questions",
    },
    "rpv_customer": {"zh-CN": "客户：{name}，{company}，{role}。性格：{temperament}。",
                     "zh-TW": "客戶：{name}，{company}，{role}。性格：{temperament}。",
                     "en": "Customer: {name}, {company}, {role}. Temperament: {temperament}."},
    "rpv_situation": {"zh-CN": "情境：{text}", "zh-TW": "情境：{text}", "en": "Situation: {text}"},
    "rpv_goal": {"zh-CN": "你的目标：{text}", "zh-TW": "你的目標：{text}", "en": "Your goal: {text}"},
    "rpv_rubric": {"zh-CN": "📋 评分标准（满分 100）：", "zh-TW": "📋 評分標準（滿分 100）：",
                   "en": "📋 Rubric (out of 100):"},
    "rpv_weight": {"zh-CN": "（{weight} 分）", "zh-TW": "（{weight} 分）", "en": " ({weight} pts)"},
    "rpv_mistakes": {"zh-CN": "扣分项：", "zh-TW": "扣分項：", "en": "Penalties: "},
    "rpv_mistake": {"zh-CN": "{title}（-{penalty}）", "zh-TW": "{title}（-{penalty}）", "en": "{title} (-{penalty})"},
    "rpv_mistake_sep": {"zh-CN": "；", "zh-TW": "；", "en": "; "},
    "rpv_rules": {"zh-CN": "规则：你说一句，客户回一句。/hint 给一个提示（不结束），/end 结束并打分。",
                  "zh-TW": "規則：你說一句，客戶回一句。/hint 給一個提示（不結束），/end 結束並評分。",
                  "en": "Rules: you say one thing, the customer answers. /hint for a tip (it goes on), "
                        "/end to finish and get scored."},
    "rpv_total": {"zh-CN": "总分：{total}/100 · 结果：{outcome}", "zh-TW": "總分：{total}/100 · 結果：{outcome}",
                  "en": "Total: {total}/100 · Outcome: {outcome}"},
    "rpv_met": {"zh-CN": "✅ 达成", "zh-TW": "✅ 達成", "en": "✅ Met"},
    "rpv_partly": {"zh-CN": "🟡 部分", "zh-TW": "🟡 部分", "en": "🟡 Partly"},
    "rpv_missed": {"zh-CN": "❌ 未达成", "zh-TW": "❌ 未達成", "en": "❌ Missed"},
    "rpv_evidence": {"zh-CN": "：「{evidence}」（第 {turn} 轮）", "zh-TW": "：「{evidence}」（第 {turn} 輪）",
                     "en": ": “{evidence}” (turn {turn})"},
    "rpv_penalty": {"zh-CN": "⚠️ 扣 {penalty} 分：{title}：「{evidence}」（第 {turn} 轮）",
                    "zh-TW": "⚠️ 扣 {penalty} 分：{title}：「{evidence}」（第 {turn} 輪）",
                    "en": "⚠️ -{penalty}: {title}: “{evidence}” (turn {turn})"},
    "rpv_keep": {"zh-CN": "👍 继续保持：", "zh-TW": "👍 繼續保持：", "en": "👍 Keep doing:"},
    "rpv_start": {"zh-CN": "🚀 开始做：", "zh-TW": "🚀 開始做：", "en": "🚀 Start doing:"},
    "rpv_stop": {"zh-CN": "🛑 停止做：", "zh-TW": "🛑 停止做：", "en": "🛑 Stop doing:"},
    "rpv_feedback": {"zh-CN": "💬 教练点评：", "zh-TW": "💬 教練點評：", "en": "💬 Coach's notes:"},
    "rpv_study": {"zh-CN": "📚 建议阅读：", "zh-TW": "📚 建議閱讀：", "en": "📚 Suggested reading:"},
    "rpv_next": {"zh-CN": "🎯 下一次练习：{title}（{level}）——{reason}", "zh-TW": "🎯 下一次練習：{title}（{level}）——{reason}",
                 "en": "🎯 Next practice: {title} ({level}): {reason}"},
    "rpv_why_weakest": {"zh-CN": "你最弱的一项是「{title}」", "zh-TW": "你最弱的一項是「{title}」",
                        "en": "your weakest criterion was 「{title}」"},
    "rpv_why_all_met": {"zh-CN": "全部达标：换一个场景，或提高难度。", "zh-TW": "全部達標：換一個場景，或提高難度。",
                        "en": "every criterion met: try another scenario, or a harder level."},
    "rpv_assignment_short": {
        "zh-CN": "这次只进行了 {turns} 轮，不计入培训师布置的这个练习：至少 {min} 轮，或者一直练到客户表态，才算完成。",
        "zh-TW": "這次只進行了 {turns} 輪，不計入培訓師布置的這個練習：至少 {min} 輪，或者一直練到客戶表態，才算完成。",
        "en": "This attempt had {turns} turns, so it does not count toward your trainer's assignment: it takes at "
              "least {min} turns, or playing on until the customer decides."},
}

CHARTS: dict[str, dict[str, str]] = {
    "chart_met": {"zh-CN": "达成", "zh-TW": "達成", "en": "met"},
    "chart_partly": {"zh-CN": "部分", "zh-TW": "部分", "en": "partly"},
    "chart_missed": {"zh-CN": "未达成", "zh-TW": "未達成", "en": "missed"},
    "chart_axis": {"zh-CN": "得分 / 权重", "zh-TW": "得分 / 權重", "en": "points / weight"},
    "chart_heading": {"zh-CN": "{title}（{level}）", "zh-TW": "{title}（{level}）", "en": "{title} ({level})"},
    "chart_total": {"zh-CN": "总分 {total}/100 · {outcome}", "zh-TW": "總分 {total}/100 · {outcome}",
                    "en": "Total {total}/100 · {outcome}"},
    "chart_penalty": {"zh-CN": " · 扣分 {penalty}", "zh-TW": " · 扣分 {penalty}", "en": " · penalties {penalty}"},
    "chart_read": {"zh-CN": "课程已读 %", "zh-TW": "課程已讀 %", "en": "lessons read %"},
    "chart_accuracy": {"zh-CN": "测验正确率 %", "zh-TW": "測驗正確率 %", "en": "quiz accuracy %"},
    "chart_progress": {"zh-CN": "学习进度 · 连续学习 {streak} 天 · 待复习 {due} 题",
                       "zh-TW": "學習進度 · 連續學習 {streak} 天 · 待複習 {due} 題",
                       "en": "Progress · {streak}-day streak · {due} due for review"},
    "chart_certified": {"zh-CN": " · 已认证", "zh-TW": " · 已認證", "en": " · certified"},
}
"""The words around a chart's bars (the scenario's criteria and the modules' titles are content)."""
