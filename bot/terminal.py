"""The terminal chat: the same services as the Telegram bot, over stdin/stdout."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.kb.answer import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)

WELCOME = (
    "salescoach · 销售教练（终端版）\n"
    "直接输入问题，例如：客户一直催货怎么办？\n"
    "命令：/help 帮助 · /quit 退出\n"
)
HELP = "输入任何销售问题，我会从知识库里找答案并注明出处。/quit 退出。"


def run_terminal_chat(settings: Settings, kb_dir: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    from bot.kb.answer import Answerer, format_plain
    from bot.kb.service import open_retriever
    from bot.llm import chat_model

    stdout.write("正在加载知识库…\n")
    stdout.flush()
    answerer = Answerer(open_retriever(settings, kb_dir), chat_model(settings))
    stdout.write(WELCOME)
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write("\n问题> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit", "/q"):
            break
        if text in ("/help", "/start"):
            stdout.write(HELP + "\n")
            continue
        if text.startswith("/"):
            stdout.write(f"不认识的命令 {text.split()[0]}。{HELP}\n")
            continue
        if len(text) > MAX_QUESTION_CHARS:
            stdout.write(f"问题太长了（{len(text)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内。\n")
            continue
        try:
            stdout.write(format_plain(answerer.answer(text)) + "\n")
        except Exception:
            log.exception("answering failed")
            stdout.write("抱歉，处理这个问题时出错了，请再试一次。\n")
    stdout.write("再见！\n")
    stdout.flush()
