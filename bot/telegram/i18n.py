"""Interface strings in zh-CN (default), zh-TW and English."""

from __future__ import annotations

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
        "zh-CN": "• 直接发问题：简短回答 + 出处，按钮可看原文、更多结果、评价\n• 群里：@我、回复我，或用 /ask 问题\n• 任意聊天里输入 @{bot} 问题，把资料发给别人\n• /lang 语言 · /help 帮助",
        "zh-TW": "• 直接發問題：簡短回答 + 出處，按鈕可看原文、更多結果、評價\n• 群組裡：@我、回覆我，或用 /ask 問題\n• 任何聊天輸入 @{bot} 問題，把資料分享出去\n• /lang 語言 · /help 說明",
        "en": "• Send a question: a short answer with sources; buttons show the full passage, more results, and let you rate it\n• In groups: mention me, reply to me, or use /ask QUESTION\n• In any chat type @{bot} QUESTION to share passages\n• /lang language · /help help",
    },
    "choose_lang": {"zh-CN": "请选择语言：", "zh-TW": "請選擇語言：", "en": "Choose your language:"},
    "lang_set": {"zh-CN": "已切换为简体中文。", "zh-TW": "已切換為繁體中文。", "en": "Language set to English."},
    "sources": {"zh-CN": "来源", "zh-TW": "來源", "en": "Sources"},
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
}

COMMANDS = {
    "zh-CN": [("start", "开始"), ("help", "帮助"), ("ask", "提问（群里用）"), ("lang", "切换语言")],
    "zh-TW": [("start", "開始"), ("help", "說明"), ("ask", "提問（群組用）"), ("lang", "切換語言")],
    "en": [("start", "Start"), ("help", "Help"), ("ask", "Ask a question (in groups)"), ("lang", "Language")],
}


def t(key: str, lang: str, **kwargs) -> str:
    table = _STRINGS[key]
    text = table.get(lang) or table[DEFAULT_LANG]
    return text.format(**kwargs) if kwargs else text


def guess_lang(language_code: str | None) -> str:
    """Telegram's language_code as a first guess: zh-hant/-tw/-hk → zh-TW, zh → zh-CN, en → en."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh-TW" if any(x in code for x in ("hant", "tw", "hk", "mo")) else "zh-CN"
    if code.startswith("en"):
        return "en"
    return DEFAULT_LANG
