"""Trainer tools in a team group (assignments, team report, leaderboard, export), and the names of role-play
levels and outcomes that the faces show beside scores."""

from __future__ import annotations

TRAINER: dict[str, dict[str, str]] = {
    "level_easy": {
        "zh-CN": "简单",
        "zh-TW": "簡單",
        "en": "easy",
    },
    "level_normal": {
        "zh-CN": "普通",
        "zh-TW": "普通",
        "en": "normal",
    },
    "level_hard": {
        "zh-CN": "困难",
        "zh-TW": "困難",
        "en": "hard",
    },
    "outcome_won": {
        "zh-CN": "客户被你留住了 🎉",
        "zh-TW": "客戶被你留住了 🎉",
        "en": "you kept the customer 🎉",
    },
    "outcome_lost": {
        "zh-CN": "客户离开了",
        "zh-TW": "客戶離開了",
        "en": "the customer left",
    },
    "outcome_out_of_turns": {
        "zh-CN": "时间用完了",
        "zh-TW": "時間用完了",
        "en": "out of time",
    },
    "outcome_ended": {
        "zh-CN": "你结束了练习",
        "zh-TW": "你結束了練習",
        "en": "you ended the practice",
    },
    "tr_cmd_in_group": {
        "zh-CN": "这个命令在团队群里用：它针对的是群里的成员。",
        "zh-TW": "這個命令在團隊群組裡用：它針對的是群組裡的成員。",
        "en": "Use this command in the team group: it is about the group's members.",
    },
    "tr_trainer_only": {
        "zh-CN": "只有培训师可以用这个命令。",
        "zh-TW": "只有培訓師可以用這個命令。",
        "en": "Only trainers can use this command.",
    },
    "tr_assign_usage": {
        "zh-CN": "用法：/assign 场景id [easy|normal|hard] [天数]，例如 /assign price-objection normal 3\n回复某人的消息再发，就只布置给他。可选场景：\n{listing}",
        "zh-TW": "用法：/assign 場景id [easy|normal|hard] [天數]，例如 /assign price-objection normal 3\n回覆某人的訊息再發，就只指派給他。可選場景：\n{listing}",
        "en": "Usage: /assign SCENARIO_ID [easy|normal|hard] [DAYS], e.g. /assign price-objection normal 3\nSend it as a reply to someone's message to assign it to them only. Scenarios:\n{listing}",
    },
    "tr_no_level": {
        "zh-CN": "没有“{level}”这个难度。可选：{levels}，例如 /assign {scenario} hard 3",
        "zh-TW": "沒有「{level}」這個難度。可選：{levels}，例如 /assign {scenario} hard 3",
        "en": "There is no level “{level}”. Choose from {levels}, e.g. /assign {scenario} hard 3",
    },
    "tr_no_members": {
        "zh-CN": "我还没在这个群里见过其他成员：请大家先在群里说句话，或回复某人的消息再布置。",
        "zh-TW": "我還沒在這個群組裡見過其他成員：請大家先在群組裡說句話，或回覆某人的訊息再指派。",
        "en": "I have not seen any other members in this group yet: ask everyone to say something here first, or reply to someone's message to assign to them.",
    },
    "tr_btn_brief": {
        "zh-CN": "📋 查看简介和评分标准",
        "zh-TW": "📋 檢視簡介和評分標準",
        "en": "📋 See the brief and rubric",
    },
    "tr_invite": {
        "zh-CN": "📌 培训师布置了一个练习：《{title}》（{level}），请在 {due} 前完成。\n{summary}",
        "zh-TW": "📌 培訓師指派了一個練習：《{title}》（{level}），請在 {due} 前完成。\n{summary}",
        "en": "📌 Your trainer assigned a practice: “{title}” ({level}), due {due}.\n{summary}",
    },
    "tr_assigned": {
        "zh-CN": "已布置《{title}》（{level}），截止 {due}：{names}",
        "zh-TW": "已指派《{title}》（{level}），截止 {due}：{names}",
        "en": "Assigned “{title}” ({level}), due {due}: {names}",
    },
    "tr_unreachable": {
        "zh-CN": "\n⚠️ 这些人还没私聊过我，收不到邀请：{names}。请他们私聊我发 /roleplay。",
        "zh-TW": "\n⚠️ 這些人還沒私訊過我，收不到邀請：{names}。請他們私訊我發 /roleplay。",
        "en": "\n⚠️ These people have never messaged me and cannot get the invitation: {names}. Ask them to send me /roleplay in private.",
    },
    "tr_btn_practise_now": {
        "zh-CN": "📋 现在就练",
        "zh-TW": "📋 現在就練",
        "en": "📋 Practise now",
    },
    "tr_reminder": {
        "zh-CN": "⏰ 提醒：练习《{title}》的截止时间是 {due}，还没完成哦。",
        "zh-TW": "⏰ 提醒：練習《{title}》的截止時間是 {due}，還沒完成哦。",
        "en": "⏰ Reminder: the practice “{title}” is due {due} and is not done yet.",
    },
    "tr_team_title": {
        "zh-CN": "👥 团队练习情况（{n} 人）",
        "zh-TW": "👥 團隊練習情況（{n} 人）",
        "en": "👥 The team's practice ({n} people)",
    },
    "tr_certified_mark": {
        "zh-CN": " 🎓已认证",
        "zh-TW": " 🎓已認證",
        "en": " 🎓 certified",
    },
    "tr_member_line": {
        "zh-CN": "• {name}{cert}：{count} 次；最好成绩：{scores}；最近 {when} {total}/100 {outcome}",
        "zh-TW": "• {name}{cert}：{count} 次；最好成績：{scores}；最近 {when} {total}/100 {outcome}",
        "en": "• {name}{cert}: {count} role-plays; best: {scores}; last {when} {total}/100 {outcome}",
    },
    "tr_weakest": {
        "zh-CN": "📉 全队最常没做到的：",
        "zh-TW": "📉 全隊最常沒做到的：",
        "en": "📉 What the team most often missed:",
    },
    "tr_weak_line": {
        "zh-CN": "• {title}（{n} 次）",
        "zh-TW": "• {title}（{n} 次）",
        "en": "• {title} ({n} times)",
    },
    "tr_idle": {
        "zh-CN": "😴 还没练过：{names}",
        "zh-TW": "😴 還沒練過：{names}",
        "en": "😴 Not practised yet: {names}",
    },
    "tr_idle_none": {
        "zh-CN": "没有，全员都练过了 👍",
        "zh-TW": "沒有，全員都練過了 👍",
        "en": "nobody, everyone has practised 👍",
    },
    "tr_assignments": {
        "zh-CN": "📌 布置的练习：",
        "zh-TW": "📌 指派的練習：",
        "en": "📌 Assigned practices:",
    },
    "tr_done": {
        "zh-CN": "✅ 已完成",
        "zh-TW": "✅ 已完成",
        "en": "✅ done",
    },
    "tr_overdue": {
        "zh-CN": "⚠️ 已过期",
        "zh-TW": "⚠️ 已過期",
        "en": "⚠️ overdue",
    },
    "tr_due": {
        "zh-CN": "截止 {when}",
        "zh-TW": "截止 {when}",
        "en": "due {when}",
    },
    "tr_assignment_line": {
        "zh-CN": "• {name}：《{title}》{level} {state}",
        "zh-TW": "• {name}：《{title}》{level} {state}",
        "en": "• {name}: “{title}” {level} {state}",
    },
    "tr_team_need_private": {
        "zh-CN": "团队报告里有每个人的成绩，我只私信发给培训师，可你还没私聊过我：先私聊我发 /start，再回来发 /team（要发在群里：/team group）。",
        "zh-TW": "團隊報告裡有每個人的成績，我只私訊發給培訓師，可你還沒私訊過我：先私訊我發 /start，再回來發 /team（要發在群組裡：/team group）。",
        "en": "The team report shows everyone's scores, so I only send it privately to trainers, and you have never messaged me: send me /start in private, then /team here again (to post it in the group: /team group).",
    },
    "tr_team_sent": {
        "zh-CN": "📬 团队报告已私信发给你（要发在群里：/team group）。",
        "zh-TW": "📬 團隊報告已私訊發給你（要發在群組裡：/team group）。",
        "en": "📬 The team report is in your private chat (to post it in the group: /team group).",
    },
    "tr_leaderboard_group": {
        "zh-CN": "排行榜在团队群里看：它比较的是群里的成员。",
        "zh-TW": "排行榜在團隊群組裡看：它比較的是群組裡的成員。",
        "en": "The leaderboard is for the team group: it compares the group's members.",
    },
    "tr_leaderboard_empty": {
        "zh-CN": "还没有人完成练习。私聊我发 /roleplay 开始，成绩会出现在这里。",
        "zh-TW": "還沒有人完成練習。私訊我發 /roleplay 開始，成績會出現在這裡。",
        "en": "Nobody has finished a practice yet. Send me /roleplay in private to start; scores will show up here.",
    },
    "tr_leaderboard_title": {
        "zh-CN": "🏆 排行榜（各场景最好成绩的平均分）",
        "zh-TW": "🏆 排行榜（各場景最好成績的平均分）",
        "en": "🏆 Leaderboard (mean of the best score per scenario)",
    },
    "tr_you": {
        "zh-CN": " ← 你",
        "zh-TW": " ← 你",
        "en": " ← you",
    },
    "tr_leaderboard_line": {
        "zh-CN": "{rank} {name}：{score:.0f} 分（{n} 个场景）{mark}",
        "zh-TW": "{rank} {name}：{score:.0f} 分（{n} 個場景）{mark}",
        "en": "{rank} {name}: {score:.0f} points ({n} scenarios){mark}",
    },
    "tr_export_caption": {
        "zh-CN": "团队练习成绩（CSV）",
        "zh-TW": "團隊練習成績（CSV）",
        "en": "The team's role-play results (CSV)",
    },
    "tr_export_sent": {
        "zh-CN": "成绩表已私聊发给你。",
        "zh-TW": "成績表已私訊發給你。",
        "en": "The results are in your private chat.",
    },
    "tr_export_need_private": {
        "zh-CN": "请先私聊我发 /start，我才能把成绩表私下发给你。",
        "zh-TW": "請先私訊我發 /start，我才能把成績表私下發給你。",
        "en": "Send me /start in private first, so that I can send you the results privately.",
    },
}
