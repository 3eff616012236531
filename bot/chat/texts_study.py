"""Self-study texts: lessons, quizzes, reviews, progress, the exam and the daily reminder."""

from __future__ import annotations

STUDY: dict[str, dict[str, str]] = {
    "sep": {
        "zh-CN": "，",
        "zh-TW": "，",
        "en": ", ",
    },
    "list_sep": {
        "zh-CN": "、",
        "zh-TW": "、",
        "en": ", ",
    },
    "st_lesson_gone": {
        "zh-CN": "这一课已经不在学习路径里了。发 /learn 从你学到的地方继续。",
        "zh-TW": "這一課已經不在學習路徑裡了。發 /learn 從你學到的地方繼續。",
        "en": "That lesson is no longer in the learning path. Send /learn to carry on where you left off.",
    },
    "st_lesson_head": {
        "zh-CN": "📖 {module} ·《{title}》（{screen}/{screens}）",
        "zh-TW": "📖 {module} ·《{title}》（{screen}/{screens}）",
        "en": "📖 {module} · “{title}” ({screen}/{screens})",
    },
    "st_btn_next_page": {
        "zh-CN": "下一页 ▶",
        "zh-TW": "下一頁 ▶",
        "en": "Next page ▶",
    },
    "st_btn_next_lesson": {
        "zh-CN": "下一课 ▶",
        "zh-TW": "下一課 ▶",
        "en": "Next lesson ▶",
    },
    "st_btn_quiz_me": {
        "zh-CN": "📝 考考我",
        "zh-TW": "📝 考考我",
        "en": "📝 Quiz me",
    },
    "st_how": {
        "zh-CN": "点按钮，或直接回复字母（如 B）或选项的内容。",
        "zh-TW": "點按鈕，或直接回覆字母（如 B）或選項的內容。",
        "en": "Tap a button, or reply with a letter (e.g. B) or the option's words.",
    },
    "st_how_typed": {
        "zh-CN": "回复字母（如 B）或选项的内容。",
        "zh-TW": "回覆字母（如 B）或選項的內容。",
        "en": "Reply with a letter (e.g. B) or the option's words.",
    },
    "st_how_free": {
        "zh-CN": "✍️ 直接打字回答。",
        "zh-TW": "✍️ 直接打字回答。",
        "en": "✍️ Type your answer.",
    },
    "st_no_reviews": {
        "zh-CN": "🎉 现在没有要复习的题。答错的题会按间隔重复算法安排回来，发 /quiz 做新题。",
        "zh-TW": "🎉 現在沒有要複習的題。答錯的題會按間隔重複演算法安排回來，發 /quiz 做新題。",
        "en": "🎉 Nothing is due for review. Questions you miss come back on a spaced-repetition schedule; send /quiz for new ones.",
    },
    "st_review_head": {
        "zh-CN": "🔁 复习（还有 {n} 题到期）",
        "zh-TW": "🔁 複習（還有 {n} 題到期）",
        "en": "🔁 Review ({n} due)",
    },
    "st_no_questions": {
        "zh-CN": "这个模块还没有题目。发 /learn 继续学习。",
        "zh-TW": "這個模組還沒有題目。發 /learn 繼續學習。",
        "en": "This module has no questions yet. Send /learn to keep studying.",
    },
    "st_quiz_head": {
        "zh-CN": "📝 小测验",
        "zh-TW": "📝 小測驗",
        "en": "📝 Quiz",
    },
    "st_exam_letter": {
        "zh-CN": "考试进行中：请回复 A–{last} 中的一个字母，或写出选项的内容（也可以点题目下的按钮）。",
        "zh-TW": "考試進行中：請回覆 A–{last} 中的一個字母，或寫出選項的內容（也可以點題目下的按鈕）。",
        "en": "The exam is running: reply with a letter from A to {last} or the option's words (or tap a button under the question).",
    },
    "st_no_such_option": {
        "zh-CN": "没有这个选项：请回复 A–{last} 中的一个字母，或选项的内容。",
        "zh-TW": "沒有這個選項：請回覆 A–{last} 中的一個字母，或選項的內容。",
        "en": "No such option: reply with a letter from A to {last}, or the option's words.",
    },
    "st_answer_too_long": {
        "zh-CN": "回答太长了（{n} 字），请控制在 {max} 字以内。",
        "zh-TW": "回答太長了（{n} 字），請控制在 {max} 字以內。",
        "en": "That answer is too long ({n} characters); please keep it under {max}.",
    },
    "st_btn_next_review": {
        "zh-CN": "🔁 下一道复习题",
        "zh-TW": "🔁 下一道複習題",
        "en": "🔁 Next review",
    },
    "st_btn_next_question": {
        "zh-CN": "📝 下一题",
        "zh-TW": "📝 下一題",
        "en": "📝 Next question",
    },
    "st_btn_keep_learning": {
        "zh-CN": "📖 继续学习",
        "zh-TW": "📖 繼續學習",
        "en": "📖 Keep learning",
    },
    "st_grade_right": {
        "zh-CN": "✅ 答对了！",
        "zh-TW": "✅ 答對了！",
        "en": "✅ Right!",
    },
    "st_grade_partly": {
        "zh-CN": "🟡 部分正确。",
        "zh-TW": "🟡 部分正確。",
        "en": "🟡 Partly right.",
    },
    "st_grade_wrong": {
        "zh-CN": "❌ 还不对。",
        "zh-TW": "❌ 還不對。",
        "en": "❌ Not yet.",
    },
    "st_right_answer_was": {
        "zh-CN": "❌ 正确答案是 {letter}. {answer}",
        "zh-TW": "❌ 正確答案是 {letter}. {answer}",
        "en": "❌ The right answer is {letter}. {answer}",
    },
    "st_based_on": {
        "zh-CN": "依据：《{title}》",
        "zh-TW": "依據：《{title}》",
        "en": "Source: “{title}”",
    },
    "st_exam_result": {
        "zh-CN": "📝 考试结束：{right}/{total}（{score:.0%}）",
        "zh-TW": "📝 考試結束：{right}/{total}（{score:.0%}）",
        "en": "📝 Exam over: {right}/{total} ({score:.0%})",
    },
    "st_exam_late": {
        "zh-CN": "，超时",
        "zh-TW": "，超時",
        "en": ", over time",
    },
    "st_exam_pass": {
        "zh-CN": "，及格 ✅",
        "zh-TW": "，及格 ✅",
        "en": ", passed ✅",
    },
    "st_exam_fail": {
        "zh-CN": "，没有及格（{pass_mark:.0%} 及格）❌",
        "zh-TW": "，沒有及格（{pass_mark:.0%} 及格）❌",
        "en": ", not passed ({pass_mark:.0%} to pass) ❌",
    },
    "st_exam_mistakes": {
        "zh-CN": "答错的题：",
        "zh-TW": "答錯的題：",
        "en": "Questions you missed:",
    },
    "st_exam_given": {
        "zh-CN": "你的答案：{given}",
        "zh-TW": "你的答案：{given}",
        "en": "Your answer: {given}",
    },
    "st_exam_not_answered": {
        "zh-CN": "没有作答",
        "zh-TW": "沒有作答",
        "en": "Not answered",
    },
    "st_exam_mistake": {
        "zh-CN": "{given}；正确答案：{right}（《{title}》）",
        "zh-TW": "{given}；正確答案：{right}（《{title}》）",
        "en": "{given}; right answer: {right} (“{title}”)",
    },
    "st_exam_mistakes_review": {
        "zh-CN": "答错的题已加入复习（/review）。",
        "zh-TW": "答錯的題已加入複習（/review）。",
        "en": "The questions you missed are in your reviews (/review).",
    },
    "st_progress_title": {
        "zh-CN": "📈 学习进度",
        "zh-TW": "📈 學習進度",
        "en": "📈 Progress",
    },
    "st_progress_module": {
        "zh-CN": "{mark} {title}：课程 {read}/{lessons}，测验 {answered} 题，正确率 {acc}",
        "zh-TW": "{mark} {title}：課程 {read}/{lessons}，測驗 {answered} 題，正確率 {acc}",
        "en": "{mark} {title}: lessons {read}/{lessons}, {answered} questions answered, {acc} right",
    },
    "st_progress_streak": {
        "zh-CN": "🔥 连续学习 {streak} 天 · 🔁 待复习 {due} 题",
        "zh-TW": "🔥 連續學習 {streak} 天 · 🔁 待複習 {due} 題",
        "en": "🔥 {streak}-day streak · 🔁 {due} due for review",
    },
    "st_progress_certified_mark": {
        "zh-CN": " · 🎓 已认证",
        "zh-TW": " · 🎓 已認證",
        "en": " · 🎓 certified",
    },
    "st_progress_roleplays": {
        "zh-CN": "🎭 角色扮演最好成绩：{scores}",
        "zh-TW": "🎭 角色扮演最好成績：{scores}",
        "en": "🎭 Best role-play scores: {scores}",
    },
    "st_progress_exam_best": {
        "zh-CN": "📝 考试最好成绩：{pct:.0f}%",
        "zh-TW": "📝 考試最好成績：{pct:.0f}%",
        "en": "📝 Best exam score: {pct:.0f}%",
    },
    "st_progress_no_exam": {
        "zh-CN": "📝 还没参加考试（/exam）",
        "zh-TW": "📝 還沒參加考試（/exam）",
        "en": "📝 No exam taken yet (/exam)",
    },
    "st_certified": {
        "zh-CN": "🎓 已通过认证",
        "zh-TW": "🎓 已通過認證",
        "en": "🎓 Certified",
    },
    "st_cert_gaps": {
        "zh-CN": "🎓 认证还差：{gaps}",
        "zh-TW": "🎓 認證還差：{gaps}",
        "en": "🎓 Still needed for certification: {gaps}",
    },
    "st_gap_exam": {
        "zh-CN": "考试",
        "zh-TW": "考試",
        "en": "the exam",
    },
    "st_gap_roleplay": {
        "zh-CN": "《{title}》≥{score} 分",
        "zh-TW": "《{title}》≥{score} 分",
        "en": "“{title}” ≥ {score} points",
    },
    "st_progress_chart": {
        "zh-CN": "学习进度图",
        "zh-TW": "學習進度圖",
        "en": "Progress chart",
    },
    "st_exam_private": {
        "zh-CN": "认证考试在私聊里进行：点下面的按钮，私聊我就能开始。",
        "zh-TW": "認證考試在私訊裡進行：點下面的按鈕，私訊我就能開始。",
        "en": "The certification exam is taken in a private chat: tap the button below to start it with me.",
    },
    "st_btn_exam_private": {
        "zh-CN": "📝 私聊我开始考试",
        "zh-TW": "📝 私訊我開始考試",
        "en": "📝 Take the exam in private",
    },
    "st_exam_rules": {
        "zh-CN": "📝 认证考试：{questions} 题，覆盖全部模块，限时 {minutes:g} 分钟，答对 {pass_mark:.0%} 及格；最多考 {attempts} 次，两次之间间隔 {cooldown:g} 小时。\n认证还需要四个角色扮演各拿到 {rp_pass} 分以上。",
        "zh-TW": "📝 認證考試：{questions} 題，覆蓋全部模組，限時 {minutes:g} 分鐘，答對 {pass_mark:.0%} 及格；最多考 {attempts} 次，兩次之間間隔 {cooldown:g} 小時。\n認證還需要四個角色扮演各拿到 {rp_pass} 分以上。",
        "en": "📝 Certification exam: {questions} questions across all modules, {minutes:g} minutes, {pass_mark:.0%} to pass; at most {attempts} attempts, {cooldown:g} hours apart.\nCertification also needs at least {rp_pass} points in each of the four role-plays.",
    },
    "st_btn_exam_start": {
        "zh-CN": "开始考试",
        "zh-TW": "開始考試",
        "en": "Start the exam",
    },
    "st_exam_passed_already": {
        "zh-CN": "你已经通过考试了。发 /progress 看认证还差什么。",
        "zh-TW": "你已經通過考試了。發 /progress 看認證還差什麼。",
        "en": "You have already passed the exam. Send /progress to see what certification still needs.",
    },
    "st_exam_no_attempts": {
        "zh-CN": "考试次数已用完。请联系培训师。",
        "zh-TW": "考試次數已用完。請聯絡培訓師。",
        "en": "You have used all your exam attempts. Please contact your trainer.",
    },
    "st_exam_cooldown": {
        "zh-CN": "两次考试之间要间隔一段时间，{when} 之后可以再考。",
        "zh-TW": "兩次考試之間要間隔一段時間，{when} 之後可以再考。",
        "en": "There is a pause between attempts; you can try again after {when}.",
    },
    "st_exam_head": {
        "zh-CN": "📝 考试 第 {n}/{total} 题（剩余 {min} 分 {sec} 秒）",
        "zh-TW": "📝 考試 第 {n}/{total} 題（剩餘 {min} 分 {sec} 秒）",
        "en": "📝 Exam question {n}/{total} ({min} min {sec} s left)",
    },
    "st_certified_congrats": {
        "zh-CN": "🎓 恭喜 {name}！你已通过销售教练认证：考试和四个角色扮演都达标。培训师可以在 /team 里看到。",
        "zh-TW": "🎓 恭喜 {name}！你已通過銷售教練認證：考試和四個角色扮演都達標。培訓師可以在 /team 裡看到。",
        "en": "🎓 Congratulations, {name}! You are certified: the exam and all four role-plays are passed. Your trainer can see it in /team.",
    },
    "st_cert_needs_roleplays": {
        "zh-CN": "离认证还差角色扮演成绩：发 /progress 看看还差哪个，发 /roleplay 去练。",
        "zh-TW": "離認證還差角色扮演成績：發 /progress 看看還差哪個，發 /roleplay 去練。",
        "en": "Certification still needs role-play scores: /progress shows which, /roleplay to practise.",
    },
    "st_remind_off": {
        "zh-CN": "已关闭每日提醒。",
        "zh-TW": "已關閉每日提醒。",
        "en": "Daily reminder switched off.",
    },
    "st_remind_current": {
        "zh-CN": "现在每天 {at} 提醒你。",
        "zh-TW": "現在每天 {at} 提醒你。",
        "en": "You are reminded every day at {at}. ",
    },
    "st_remind_usage": {
        "zh-CN": "用法：/remind 08:30 设置每日学习提醒（北京时间），/remind off 关闭。",
        "zh-TW": "用法：/remind 08:30 設定每日學習提醒（北京時間），/remind off 關閉。",
        "en": "Usage: /remind 08:30 sets a daily study reminder (Beijing time); /remind off switches it off.",
    },
    "st_remind_set": {
        "zh-CN": "好的，每天 {at} 提醒你学习。",
        "zh-TW": "好的，每天 {at} 提醒你學習。",
        "en": "OK, I'll remind you to study every day at {at}.",
    },
    "st_remind_due": {
        "zh-CN": "⏰ 学习时间到！连续学习 {streak} 天，待复习 {due} 题。发 /learn 继续，或 /review 复习。",
        "zh-TW": "⏰ 學習時間到！連續學習 {streak} 天，待複習 {due} 題。發 /learn 繼續，或 /review 複習。",
        "en": "⏰ Time to study! {streak}-day streak, {due} due for review. Send /learn to go on, or /review.",
    },
    "st_exam_private_alert": {
        "zh-CN": "认证考试在私聊里进行：私聊我发 /exam。",
        "zh-TW": "認證考試在私訊裡進行：私訊我發 /exam。",
        "en": "The exam is taken in a private chat: send me /exam there.",
    },
    "st_stale": {
        "zh-CN": "这个按钮已失效。发 /learn、/quiz 或 /exam 重新开始。",
        "zh-TW": "這個按鈕已失效。發 /learn、/quiz 或 /exam 重新開始。",
        "en": "This button has expired. Send /learn, /quiz or /exam to start again.",
    },
}
