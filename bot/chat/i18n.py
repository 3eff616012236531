"""Interface strings in zh-CN (default), zh-TW and English."""

from __future__ import annotations

from bot.chat.texts_game import GAME
from bot.chat.texts_roleplay import CHARTS, ROLEPLAY
from bot.chat.texts_study import STUDY
from bot.chat.texts_trainer import TRAINER

LANGS = ("zh-CN", "zh-TW", "en")
DEFAULT_LANG = "zh-CN"
LANG_NAMES = {"zh-CN": "简体中文", "zh-TW": "繁體中文", "en": "English"}

_STRINGS: dict[str, dict[str, str]] = {
    "welcome": {
        "zh-CN": "你好，我是销售教练 🤝\n直接问我销售问题，比如“客户一直催货怎么办？”，我会从知识库里找答案并注明出处。\n\n/help 查看全部功能 · /lang 切换语言",
        "zh-TW": "你好，我是銷售教練 🤝\n直接問我銷售問題，例如「客戶一直催貨怎麼辦？」，我會從知識庫找答案並註明出處。\n\n/help 查看全部功能 · /lang 切換語言",
        "en": "Hi, I'm your sales coach 🤝\nAsk me any sales question, e.g. \"The customer keeps chasing the delivery, what do I do?\" and I'll answer from the knowledge base with sources.\n\n/help for everything I can do · /lang to change language",
    },
    "help": {
        "zh-CN": "• 直接发问题：简短回答 + 出处，按钮可看原文、更多结果、评价\n• 群里：@我、回复我，或用 /ask 问题\n• 任意聊天里输入 @{bot} 问题，把资料发给别人\n• /roleplay 角色扮演：我扮演大客户，按公开的评分标准给你打分；/hint 提示 · /end 结束 · /history 记录\n• /learn 学习路径 · /quiz 测验 · /review 复习 · /progress 进度 · /exam 认证考试 · /remind 每日提醒\n• /lang 语言 · /help 帮助",
        "zh-TW": "• 直接發問題：簡短回答 + 出處，按鈕可看原文、更多結果、評價\n• 群組裡：@我、回覆我，或用 /ask 問題\n• 任何聊天輸入 @{bot} 問題，把資料分享出去\n• /roleplay 角色扮演：我扮演大客戶，按公開的評分標準幫你評分；/hint 提示 · /end 結束 · /history 記錄\n• /learn 學習路徑 · /quiz 測驗 · /review 複習 · /progress 進度 · /exam 認證考試 · /remind 每日提醒\n• /lang 語言 · /help 說明",
        "en": "• Send a question: a short answer with sources; buttons show the full passage, more results, and let you rate it\n• In groups: mention me, reply to me, or use /ask QUESTION\n• In any chat type @{bot} QUESTION to share passages\n• /roleplay practise a conversation: I play a key account and score you on a visible rubric; /hint · /end · /history\n• /learn learning path · /quiz quiz · /review due reviews · /progress progress · /exam certification exam · /remind daily reminder\n• /lang language · /help help",
    },
    "choose_lang": {"zh-CN": "请选择语言：", "zh-TW": "請選擇語言：", "en": "Choose your language:"},
    "lang_set": {"zh-CN": "已切换为简体中文。", "zh-TW": "已切換為繁體中文。", "en": "Language set to English."},
    "sources": {"zh-CN": "来源", "zh-TW": "來源", "en": "Sources"},
    "sources_head": {"zh-CN": "来源：", "zh-TW": "來源：", "en": "Sources:"},
    "trimmed_plain": {"zh-CN": "（为便于阅读做了节选）", "zh-TW": "（為便於閱讀做了節選）", "en": "(Shortened for reading.)"},
    "lang_usage": {"zh-CN": "请选择语言：/lang {codes}", "zh-TW": "請選擇語言：/lang {codes}",
                   "en": "Choose your language: /lang {codes}"},
    "not_found": {
        "zh-CN": "知识库里没有找到相关内容。换个说法试试，或问问你的培训师。",
        "zh-TW": "知識庫裡沒有找到相關內容。換個說法試試，或問問你的培訓師。",
        "en": "I found nothing on that in the knowledge base. Try other words, or ask your trainer.",
    },
    "too_long": {
        "zh-CN": "问题太长了（{n} 字）。请精简到 {max} 字以内再发。",
        "zh-TW": "問題太長了（{n} 字）。請精簡到 {max} 字以內再發。",
        "en": "That question is too long ({n} characters). Please keep it under {max}.",
    },
    "declined": {
        "zh-CN": "知识库里没有这方面的内容，我不拿不相干的资料凑答案。可以问问你的培训师或相关部门。",
        "zh-TW": "知識庫裡沒有這方面的內容，我不拿不相干的資料湊答案。可以問問你的培訓師或相關部門。",
        "en": "The knowledge base has nothing on this, and I won't pad an answer with unrelated material. "
              "Your trainer or the right department can help.",
    },
    "nearest": {"zh-CN": "它讲得到的相近话题：", "zh-TW": "它講得到的相近話題：", "en": "Closest topics it does cover:"},
    "trimmed": {"zh-CN": "（手机版节选，全文点 📄）", "zh-TW": "（手機版節選，全文點 📄）",
                "en": "(Shortened for your phone; tap 📄 for the full passage.)"},
    "btn_passage": {"zh-CN": "📄 原文 [{n}]", "zh-TW": "📄 原文 [{n}]", "en": "📄 Passage [{n}]"},
    "btn_more": {"zh-CN": "🔎 更多结果", "zh-TW": "🔎 更多結果", "en": "🔎 More results"},
    "more_title": {"zh-CN": "更多相关资料：", "zh-TW": "更多相關資料：", "en": "More related passages:"},
    "thanks_rating": {"zh-CN": "谢谢评价！", "zh-TW": "謝謝評價！", "en": "Thanks for rating!"},
    "stale_button": {
        "zh-CN": "这个按钮已失效，请重新提问。",
        "zh-TW": "這個按鈕已失效，請重新提問。",
        "en": "This button has expired. Please ask again.",
    },
    "not_yours": {
        "zh-CN": "这是别人的提问，请自己发问题。",
        "zh-TW": "這是別人的提問，請自己發問題。",
        "en": "That was someone else's question; ask your own.",
    },
    "store_unwritable": {
        "zh-CN": "⚠️ 服务器暂时无法保存数据，你刚才的操作没有记录下来。管理员已收到通知，请稍后再试。",
        "zh-TW": "⚠️ 伺服器暫時無法儲存資料，你剛才的操作沒有記錄下來。管理員已收到通知，請稍後再試。",
        "en": "⚠️ The server cannot save anything right now, so what you just did was not recorded. "
              "The admins have been told; please try again later.",
    },
    "store_down_admin": {
        "zh-CN": "⚠️ 存储写不进去了：{failure}。用户的操作没有保存；请腾出磁盘空间或恢复写权限，不需要重启。",
        "zh-TW": "⚠️ 儲存寫不進去了：{failure}。使用者的操作沒有儲存；請騰出磁碟空間或恢復寫入權限，不需要重新啟動。",
        "en": "⚠️ The store takes no writes: {failure}. What users do is not being saved; free disk space or restore "
              "write permission, no restart needed.",
    },
    "store_back_admin": {"zh-CN": "✅ 存储恢复了，又能保存数据了。", "zh-TW": "✅ 儲存恢復了，又能儲存資料了。",
                         "en": "✅ The store is back and takes writes again."},
    "not_done_failed": {
        "zh-CN": "⚠️ 你发的消息{what}处理了 {n} 次都没能完成，已经放弃。请换个说法再发，或者告诉管理员。",
        "zh-TW": "⚠️ 你發的訊息{what}處理了 {n} 次都沒能完成，已經放棄。請換個說法再發，或者告訴管理員。",
        "en": "⚠️ Your message{what} could not be processed ({n} attempts failed) and was dropped. "
              "Please rephrase it, or tell an admin.",
    },
    "not_done_after_restart": {
        "zh-CN": "⚠️ 机器人重启前你发的一条消息没能处理完，请再发一次。",
        "zh-TW": "⚠️ 機器人重啟前你發的一則訊息沒能處理完，請再發一次。",
        "en": "⚠️ A message you sent just before the bot restarted could not be handled; please send it again.",
    },
    "edit_not_a_turn": {
        "zh-CN": "✏️ 改过的消息不算新的一轮，客户只回应新发的消息。想补充或改口，请直接再发一条。",
        "zh-TW": "✏️ 改過的訊息不算新的一輪，客戶只回應新發的訊息。想補充或改口，請直接再發一則。",
        "en": "✏️ An edited message is not a new turn: the customer only answers new messages. "
              "To add or correct something, just send it as a new message.",
    },
    "error": {
        "zh-CN": "抱歉，出了点问题，请稍后再试。",
        "zh-TW": "抱歉，出了點問題，請稍後再試。",
        "en": "Sorry, something went wrong. Please try again in a moment.",
    },
    "ask_usage": {"zh-CN": "用法：/ask 你的问题", "zh-TW": "用法：/ask 你的問題", "en": "Usage: /ask YOUR QUESTION"},
    "unsupported": {
        "zh-CN": "我只读得懂文字消息。请把问题打成文字发给我。",
        "zh-TW": "我只看得懂文字訊息。請把問題打成文字發給我。",
        "en": "I can only read text messages. Please type your question.",
    },
    "admin_only": {
        "zh-CN": "只有管理员可以往知识库里添加文档。有好资料的话，请发给你的培训师。",
        "zh-TW": "只有管理員可以往知識庫添加文件。有好資料的話，請發給你的培訓師。",
        "en": "Only admins can add documents to the knowledge base. Please pass good material to your trainer.",
    },
    "ingest_received": {"zh-CN": "📥 收到《{name}》，正在读取…", "zh-TW": "📥 收到《{name}》，正在讀取…",
                        "en": "📥 Got “{name}”, reading…"},
    "ingest_indexing": {"zh-CN": "⚙️《{name}》：正在建立索引…", "zh-TW": "⚙️《{name}》：正在建立索引…",
                        "en": "⚙️ “{name}”: indexing…"},
    "ingest_done": {"zh-CN": "✅《{name}》已{what}，知识库现在共有 {docs} 篇文档、{chunks} 段。",
                    "zh-TW": "✅《{name}》已{what}，知識庫現在共有 {docs} 篇文件、{chunks} 段。",
                    "en": "✅ “{name}” {what}. The knowledge base now has {docs} documents, {chunks} passages."},
    "ingest_failed": {"zh-CN": "❌ 无法添加《{name}》：{reason}", "zh-TW": "❌ 無法添加《{name}》：{reason}",
                      "en": "❌ Could not add “{name}”: {reason}"},
    "ingest_beside_bundled": {
        "zh-CN": "\n（内置知识库里有同名文章《{title}》：两篇都保留，互不覆盖。）",
        "zh-TW": "\n（內建知識庫裡有同名文章《{title}》：兩篇都保留，互不覆蓋。）",
        "en": "\n(A bundled article has the same name, “{title}”: both are kept, neither replaces the other.)"},
    "ingest_internal_error": {"zh-CN": "处理时出了意外错误（已记录），请稍后再试。",
                              "zh-TW": "處理時出了意外錯誤（已記錄），請稍後再試。",
                              "en": "an unexpected error occurred (it was logged); please try again later."},
    "ingest_interrupted_status": {"zh-CN": "❌ 无法添加《{name}》：处理时机器人中断了。",
                                  "zh-TW": "❌ 無法添加《{name}》：處理時機器人中斷了。",
                                  "en": "❌ Could not add “{name}”: the bot was interrupted while processing it."},
    "ingest_interrupted": {
        "zh-CN": "⚠️ 机器人刚刚重启：上次处理《{name}》时（{stage}）中断了，文档没有加入知识库。请重新发送，重复发送不会产生重复内容。",
        "zh-TW": "⚠️ 機器人剛剛重新啟動：上次處理《{name}》時（{stage}）中斷了，文件沒有加入知識庫。請重新傳送，重複傳送不會產生重複內容。",
        "en": "⚠️ The bot just restarted: processing “{name}” was interrupted ({stage}) and it was not added to the "
              "knowledge base. Please send it again; sending it twice never duplicates it."},
    "ingest_interrupted_rerun": {
        "zh-CN": "⚠️ 机器人刚刚重启：上次处理《{name}》时（{stage}）中断了，现在重新处理，完成后会告诉你。",
        "zh-TW": "⚠️ 機器人剛剛重新啟動：上次處理《{name}》時（{stage}）中斷了，現在重新處理，完成後會告訴你。",
        "en": "⚠️ The bot just restarted: processing “{name}” was interrupted ({stage}); it is being processed "
              "again and you will hear when it is done."},
    "ingest_interrupted_added": {
        "zh-CN": "⚠️ 机器人刚刚重启：上次处理《{name}》时中断了，但文档已经完整加入知识库，无需重发。",
        "zh-TW": "⚠️ 機器人剛剛重新啟動：上次處理《{name}》時中斷了，但文件已經完整加入知識庫，無需重傳。",
        "en": "⚠️ The bot just restarted while finishing “{name}”, but the document is fully in the knowledge base; "
              "no need to send it again."},
    "stage_received": {"zh-CN": "下载时", "zh-TW": "下載時", "en": "while downloading"},
    "stage_reading": {"zh-CN": "读取时", "zh-TW": "讀取時", "en": "while reading"},
    "stage_indexing": {"zh-CN": "建立索引时", "zh-TW": "建立索引時", "en": "while indexing"},
    "what_added": {"zh-CN": "加入", "zh-TW": "加入", "en": "added"},
    "what_updated": {"zh-CN": "更新", "zh-TW": "更新", "en": "updated"},
    "what_unchanged": {"zh-CN": "收录（内容没有变化）", "zh-TW": "收錄（內容沒有變化）", "en": "was already in, unchanged"},
    "kb_summary": {"zh-CN": "知识库：{docs} 篇文档，{chunks} 段。", "zh-TW": "知識庫：{docs} 篇文件，{chunks} 段。",
                   "en": "Knowledge base: {docs} documents, {chunks} passages."},
    "reloaded": {"zh-CN": "已重新加载：{added} 篇新增，{updated} 篇更新，{removed} 篇移除。",
                 "zh-TW": "已重新載入：{added} 篇新增，{updated} 篇更新，{removed} 篇移除。",
                 "en": "Reloaded: {added} added, {updated} updated, {removed} removed."},
    "admin_command_only": {"zh-CN": "这个命令只有管理员能用。", "zh-TW": "這個命令只有管理員能用。",
                           "en": "Only admins can use this command."},

    # role-play ------------------------------------------------------------------------
    "rp_choose": {"zh-CN": "🎭 选择一个练习场景（客户由我来扮演）：", "zh-TW": "🎭 選擇一個練習場景（客戶由我來扮演）：",
                  "en": "🎭 Pick a scenario (I play the customer; the dialogue is in Chinese):"},
    "rp_choose_level": {"zh-CN": "选择难度：", "zh-TW": "選擇難度：", "en": "Choose the difficulty:"},
    "rp_btn_start": {"zh-CN": "▶ 开始练习", "zh-TW": "▶ 開始練習", "en": "▶ Start"},
    "rp_btn_back": {"zh-CN": "↩ 换一个场景", "zh-TW": "↩ 換一個場景", "en": "↩ Other scenarios"},
    "rp_btn_end": {"zh-CN": "🏁 结束并打分", "zh-TW": "🏁 結束並評分", "en": "🏁 End and score"},
    "rp_btn_continue": {"zh-CN": "💬 继续对话", "zh-TW": "💬 繼續對話", "en": "💬 Continue"},
    "rp_btn_next": {"zh-CN": "🎯 开始推荐的练习", "zh-TW": "🎯 開始推薦的練習", "en": "🎯 Start the suggested practice"},
    "rp_started": {"zh-CN": "练习开始。直接打字回复客户；/hint 要提示，/end 结束并打分。",
                   "zh-TW": "練習開始。直接打字回覆客戶；/hint 要提示，/end 結束並評分。",
                   "en": "Go. Type your replies to the customer; /hint for a tip, /end to finish and get scored."},
    "rp_none": {"zh-CN": "现在没有进行中的练习。发 /roleplay 开始一个。",
                "zh-TW": "現在沒有進行中的練習。發 /roleplay 開始一個。",
                "en": "No role-play is running. Send /roleplay to start one."},
    "rp_active": {"zh-CN": "你有一个进行中的练习：《{title}》（{level}，已进行 {turns} 轮）。直接回复客户继续，或结束并打分。",
                  "zh-TW": "你有一個進行中的練習：《{title}》（{level}，已進行 {turns} 輪）。直接回覆客戶繼續，或結束並評分。",
                  "en": "You have a role-play running: “{title}” ({level}, {turns} turns so far). Reply to the "
                        "customer to go on, or end it and get scored."},
    "rp_busy": {"zh-CN": "先结束当前的练习（/end），再开始新的。", "zh-TW": "先結束目前的練習（/end），再開始新的。",
                "en": "Finish the current role-play first (/end)."},
    "rp_hint": {"zh-CN": "💡 提示（{title}）：{tip}", "zh-TW": "💡 提示（{title}）：{tip}", "en": "💡 Tip ({title}): {tip}"},
    "rp_hint_source": {"zh-CN": "依据", "zh-TW": "依據", "en": "Based on"},
    "rp_too_long": {"zh-CN": "这句话太长了（{n} 字）。对话里一次说一段，{max} 字以内。",
                    "zh-TW": "這句話太長了（{n} 字）。對話裡一次說一段，{max} 字以內。",
                    "en": "That is too long for one turn ({n} characters). Keep each turn under {max}."},
    "rp_private_only": {"zh-CN": "角色扮演在私聊里进行，点下面的按钮来找我。", "zh-TW": "角色扮演在私訊裡進行，點下面的按鈕來找我。",
                        "en": "Role-plays run in a private chat: tap the button to open one."},
    "rp_btn_private": {"zh-CN": "私聊开始练习", "zh-TW": "私訊開始練習", "en": "Practise in private"},
    "rp_history_empty": {"zh-CN": "你还没有完成过练习。发 /roleplay 开始。", "zh-TW": "你還沒有完成過練習。發 /roleplay 開始。",
                         "en": "No finished role-plays yet. Send /roleplay to start."},
    "rp_history_title": {"zh-CN": "你的练习记录（最近 {n} 次）：", "zh-TW": "你的練習記錄（最近 {n} 次）：",
                         "en": "Your role-plays (last {n}):"},
    "rp_gone": {"zh-CN": "这个场景已经下线，练习已结束。发 /roleplay 选一个新的。",
                "zh-TW": "這個場景已經下線，練習已結束。發 /roleplay 選一個新的。",
                "en": "That scenario is no longer available; the role-play has ended. Send /roleplay for another."},
    "rp_parked": {"zh-CN": "你有一个 {hours} 小时前的练习《{title}》还没结束。刚才这句话是说给客户的吗？",
                  "zh-TW": "你有一個 {hours} 小時前的練習《{title}》還沒結束。剛才這句話是說給客戶的嗎？",
                  "en": "Your role-play “{title}” from {hours} hours ago is still open. Was that message meant for the customer?"},
    "rp_btn_send": {"zh-CN": "💬 是，发给客户", "zh-TW": "💬 是，發給客戶", "en": "💬 Yes, say it to the customer"},
    "rp_btn_ask": {"zh-CN": "❓ 不是，这是个问题", "zh-TW": "❓ 不是，這是個問題", "en": "❓ No, it's a question for you"},
    "rp_over": {"zh-CN": "🏁 这次练习结束了：{outcome}。评分在下面；再练一次发 /roleplay。",
                "zh-TW": "🏁 這次練習結束了：{outcome}。評分在下面；再練一次發 /roleplay。",
                "en": "🏁 This practice is over: {outcome}. Your score follows; /roleplay to practise again."},
    "rp_after_end": {"zh-CN": "（《{title}》的练习已经结束，客户听不到了。这句话我按知识库问题来回答；再练一次发 /roleplay。）",
                     "zh-TW": "（《{title}》的練習已經結束，客戶聽不到了。這句話我按知識庫問題來回答；再練一次發 /roleplay。）",
                     "en": "(The practice “{title}” is over and the customer can't hear you. I'll answer this as a "
                           "question for the knowledge base; /roleplay to practise again.)"},
    "rp_chart_caption": {"zh-CN": "评分图：{title}，{total}/100", "zh-TW": "評分圖：{title}，{total}/100",
                         "en": "Scorecard: {title}, {total}/100"},
    "rp_customer": {"zh-CN": "客户", "zh-TW": "客戶", "en": "Customer"},
    "rp_no_such": {"zh-CN": "没有这个场景或难度：{pick}。难度可选 {levels}。",
                   "zh-TW": "沒有這個場景或難度：{pick}。難度可選 {levels}。",
                   "en": "No such scenario or level: {pick}. Levels: {levels}."},

    # the terminal face ---------------------------------------------------------------
    "term_loading": {"zh-CN": "正在加载知识库…", "zh-TW": "正在載入知識庫…", "en": "Loading the knowledge base…"},
    "term_welcome": {
        "zh-CN": "salescoach · 销售教练（终端版）\n直接输入问题，例如：客户一直催货怎么办？\n"
                 "命令：/roleplay 角色扮演 · /learn 学习 · /quiz 测验 · /review 复习 · /progress 进度 · /exam 考试 · "
                 "/help 帮助 · /quit 退出",
        "zh-TW": "salescoach · 銷售教練（終端版）\n直接輸入問題，例如：客戶一直催貨怎麼辦？\n"
                 "命令：/roleplay 角色扮演 · /learn 學習 · /quiz 測驗 · /review 複習 · /progress 進度 · /exam 考試 · "
                 "/help 說明 · /quit 離開",
        "en": "salescoach · sales coach (terminal)\nType a question, e.g. The customer keeps chasing the delivery, "
              "what do I do?\nCommands: /roleplay role-play · /learn learn · /quiz quiz · /review review · "
              "/progress progress · /exam exam · /help help · /quit quit",
    },
    "term_help": {
        "zh-CN": "输入任何销售问题，我会从知识库里找答案并注明出处。\n"
                 "按钮显示成编号 [1] [2]…：输入编号就等于点了它。\n"
                 "/roleplay 列出练习场景；/roleplay 编号 [easy|normal|hard] 直接看简介和评分标准；/go 开始。\n"
                 "练习中直接输入你对客户说的话；/hint 提示，/end 结束并打分；/history 练习记录。\n"
                 "/learn 学习下一页；/quiz 小测验，/review 复习到期的题（输入 A/B/C/D 或直接打字回答）；"
                 "/progress 学习进度；/exam 认证考试；/quit 退出。",
        "zh-TW": "輸入任何銷售問題，我會從知識庫找答案並註明出處。\n"
                 "按鈕顯示成編號 [1] [2]…：輸入編號就等於點了它。\n"
                 "/roleplay 列出練習場景；/roleplay 編號 [easy|normal|hard] 直接看簡介和評分標準；/go 開始。\n"
                 "練習中直接輸入你對客戶說的話；/hint 提示，/end 結束並評分；/history 練習記錄。\n"
                 "/learn 學習下一頁；/quiz 小測驗，/review 複習到期的題（輸入 A/B/C/D 或直接打字回答）；"
                 "/progress 學習進度；/exam 認證考試；/quit 離開。",
        "en": "Type any sales question and I answer from the knowledge base, with sources.\n"
              "Buttons show as numbers [1] [2]…: type the number to press one.\n"
              "/roleplay lists the scenarios; /roleplay N [easy|normal|hard] shows a brief and its rubric; /go starts.\n"
              "During a role-play, type what you say to the customer; /hint for a tip, /end to finish and get scored; "
              "/history for past ones.\n"
              "/learn the next page; /quiz a quiz question, /review due reviews (type A/B/C/D or your answer); "
              "/progress your progress; /exam the certification exam; /quit to leave.",
    },
    "term_unknown_command": {"zh-CN": "不认识的命令 {command}。", "zh-TW": "不認識的命令 {command}。",
                             "en": "Unknown command {command}."},
    "term_image_saved": {"zh-CN": "{caption}（已保存：{path}）", "zh-TW": "{caption}（已儲存：{path}）",
                         "en": "{caption} (saved: {path})"},
    "term_cannot": {"zh-CN": "无法完成：{reason}", "zh-TW": "無法完成：{reason}", "en": "Could not do that: {reason}"},
    "term_error": {"zh-CN": "抱歉，处理时出错了，请再试一次。", "zh-TW": "抱歉，處理時出錯了，請再試一次。",
                   "en": "Sorry, something went wrong. Please try again."},
    "term_prompt_turn": {"zh-CN": "你> ", "zh-TW": "你> ", "en": "you> "},
    "term_prompt_question": {"zh-CN": "问题> ", "zh-TW": "問題> ", "en": "question> "},
    "term_bye": {"zh-CN": "再见！", "zh-TW": "再見！", "en": "Bye!"},
    # The key-account game's vote: the question itself comes from the scene file.
    "game_vote": {"zh-CN": "⏱ 时间到！B 组（{names}）请投票：{question}{minutes:g} 分钟内有效。",
                  "zh-TW": "⏱ 時間到！B 組（{names}）請投票：{question}{minutes:g} 分鐘內有效。",
                  "en": "⏱ Time is up! Team B ({names}), please vote: {question} The vote closes in {minutes:g} minutes."},
    "game_renew": {"zh-CN": "✅ 续约", "zh-TW": "✅ 續約", "en": "✅ Renew"},
    "game_not_renew": {"zh-CN": "❌ 不续约", "zh-TW": "❌ 不續約", "en": "❌ Do not renew"},
}


def _merge(*tables: dict[str, dict[str, str]]) -> None:
    """Each feature keeps its texts in its own module; one lookup serves them all, and no key is defined twice."""
    for table in tables:
        twice = table.keys() & _STRINGS.keys()
        if twice:
            raise ValueError(f"text keys defined twice: {sorted(twice)}")
        _STRINGS.update(table)


_merge(STUDY, GAME, TRAINER, ROLEPLAY, CHARTS)

COMMANDS = {
    "zh-CN": [("start", "开始"), ("roleplay", "角色扮演练习"), ("hint", "练习中要提示"), ("end", "结束练习并打分"),
              ("history", "我的练习记录"), ("learn", "学习路径"), ("quiz", "小测验"),
              ("review", "复习到期的题"), ("progress", "学习进度"), ("exam", "认证考试"), ("remind", "每日提醒"),
              ("ask", "提问（群里用）"), ("help", "帮助"), ("lang", "切换语言")],
    "zh-TW": [("start", "開始"), ("roleplay", "角色扮演練習"), ("hint", "練習中要提示"), ("end", "結束練習並評分"),
              ("history", "我的練習記錄"), ("learn", "學習路徑"), ("quiz", "小測驗"),
              ("review", "複習到期的題"), ("progress", "學習進度"), ("exam", "認證考試"), ("remind", "每日提醒"),
              ("ask", "提問（群組用）"), ("help", "說明"), ("lang", "切換語言")],
    "en": [("start", "Start"), ("roleplay", "Role-play practice"), ("hint", "A tip during a role-play"),
           ("end", "End the role-play and score it"), ("history", "My role-plays"), ("learn", "Learning path"),
           ("quiz", "Quiz"), ("review", "Due reviews"), ("progress", "Progress"), ("exam", "Certification exam"),
           ("remind", "Daily reminder"),
           ("ask", "Ask a question (in groups)"), ("help", "Help"), ("lang", "Language")],
}


GROUP_COMMANDS = {
    "zh-CN": [("ask", "提问"), ("roleplay", "角色扮演练习（私聊）"), ("leaderboard", "排行榜"),
              ("game", "培训师：开一局大客户维护游戏"), ("pause", "培训师：暂停计时"), ("resume", "培训师：继续计时"),
              ("extend", "培训师：加时 N 分钟"), ("endgame", "培训师：结束游戏"),
              ("assign", "培训师：布置练习"), ("team", "培训师：团队练习情况"), ("export", "培训师：导出成绩 CSV")],
    "zh-TW": [("ask", "提問"), ("roleplay", "角色扮演練習（私訊）"), ("leaderboard", "排行榜"),
              ("game", "培訓師：開一局大客戶維護遊戲"), ("pause", "培訓師：暫停計時"), ("resume", "培訓師：繼續計時"),
              ("extend", "培訓師：加時 N 分鐘"), ("endgame", "培訓師：結束遊戲"),
              ("assign", "培訓師：指派練習"), ("team", "培訓師：團隊練習情況"), ("export", "培訓師：匯出成績 CSV")],
    "en": [("ask", "Ask a question"), ("roleplay", "Role-play practice (in private)"), ("leaderboard", "Leaderboard"),
           ("game", "Trainer: start a key-account game"), ("pause", "Trainer: pause the clock"),
           ("resume", "Trainer: resume the clock"), ("extend", "Trainer: add N minutes"),
           ("endgame", "Trainer: end the game"), ("assign", "Trainer: assign a practice"),
           ("team", "Trainer: the team's practice"), ("export", "Trainer: export scores as CSV")],
}


def t(key: str, lang: str, **kwargs) -> str:
    table = _STRINGS[key]
    text = table.get(lang) or table[DEFAULT_LANG]
    return text.format(**kwargs) if kwargs else text


def when(services, ts: float, fmt: str = "%m-%d %H:%M") -> str:
    """A time as the team reads it: in SALESCOACH_TIMEZONE (`services.settings.timezone`), not the server's
    clock; both faces show times this way."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(ts, ZoneInfo(services.settings.timezone)).strftime(fmt)


def in_script(text: str, lang: str) -> str:
    """Content is stored as written (mostly simplified); zh-TW readers get traditional script."""
    from bot.kb.text import to_traditional

    return to_traditional(text) if lang == "zh-TW" else text


def level_name(level: str, lang: str) -> str:
    """A role-play level (easy, normal, hard) as the reader says it; an unknown one as stored."""
    return t(f"level_{level}", lang) if f"level_{level}" in _STRINGS else level


def outcome_name(outcome: str | None, lang: str) -> str:
    """How a role-play ended (won, lost, out_of_turns, ended) as the reader says it."""
    return t(f"outcome_{outcome}", lang) if f"outcome_{outcome}" in _STRINGS else str(outcome)


def chart_text(lang: str, *, level: str | None = None, outcome: str | None = None):
    """A chart's words in the reader's language (a scorecard's: with its level and outcome)."""
    from bot.coach.chart import ChartText

    fields = ("met", "partly", "missed", "axis", "heading", "total", "penalty", "read", "accuracy", "progress",
              "certified")
    return ChartText(**{f: t(f"chart_{f}", lang) for f in fields},
                     level=level_name(level, lang) if level else None,
                     outcome=outcome_name(outcome, lang) if outcome else None)


def guess_lang(language_code: str | None) -> str:
    """Telegram's language_code as a first guess: zh-hant/-tw/-hk → zh-TW, zh → zh-CN, en → en."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh-TW" if any(x in code for x in ("hant", "tw", "hk", "mo")) else "zh-CN"
    if code.startswith("en"):
        return "en"
    return DEFAULT_LANG
