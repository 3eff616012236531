"""The terminal chat: the same services as the Telegram bot, over stdin/stdout."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.kb.answer import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)

TERMINAL_USER = 0
"""The terminal's one user: its role-plays and history live in the same store as the bot's."""

WELCOME = (
    "salescoach · 销售教练（终端版）\n"
    "直接输入问题，例如：客户一直催货怎么办？\n"
    "命令：/roleplay 角色扮演 · /history 练习记录 · /help 帮助 · /quit 退出\n"
)
HELP = (
    "输入任何销售问题，我会从知识库里找答案并注明出处。\n"
    "/roleplay 列出练习场景；/roleplay 编号 [easy|normal|hard] 查看简介和评分标准；/go 开始。\n"
    "练习中直接输入你对客户说的话；/hint 提示，/end 结束并打分；/history 练习记录；/quit 退出。"
)


class TerminalChat:
    def __init__(self, settings: Settings, kb_dir: Path | None, stdout: TextIO) -> None:
        from bot.coach.judge import Judge
        from bot.coach.service import Coach
        from bot.kb.answer import Answerer
        from bot.kb.service import open_retriever
        from bot.llm import chat_model
        from bot.store import Store

        self.settings, self.out = settings, stdout
        retriever = open_retriever(settings, kb_dir)
        llm = chat_model(settings)
        self.answerer = Answerer(retriever, llm)
        self.store = Store(settings.data_dir / "state.sqlite")
        self.coach = Coach(self.store, Judge(retriever.kb.embedder), retriever=retriever, chat_model=llm)
        self.pending: tuple[str, str] | None = None  # scenario and level chosen, not started yet

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def handle(self, text: str) -> bool:
        """One line of input; False means quit."""
        from bot.coach.service import MAX_TURN_CHARS, CoachError, NoActiveSession, TurnTooLong, UnknownScenario
        from bot.kb.answer import format_plain

        command, _, arg = text.partition(" ")
        try:
            if command in ("/quit", "/exit", "/q"):
                return False
            if command in ("/help", "/start"):
                self.say(HELP)
            elif command == "/roleplay":
                self.roleplay(arg.split())
            elif command == "/go":
                self.go()
            elif command == "/hint":
                hint = self.coach.hint(TERMINAL_USER)
                self.say(f"💡 提示（{hint.criterion.title}）：{hint.criterion.tip}")
                if hint.passage:
                    self.say(f"   依据：《{hint.passage['title']}》（{hint.passage['source']}）：{hint.passage['text']}")
            elif command == "/end":
                self.scorecard(self.coach.end(TERMINAL_USER))
            elif command == "/history":
                self.history()
            elif command.startswith("/"):
                self.say(f"不认识的命令 {command}。\n{HELP}")
            elif self.coach.active(TERMINAL_USER) is not None:
                reply = self.coach.say(TERMINAL_USER, text)
                self.say(f"🧑‍💼 {self._customer()}：{reply.turn.text}")
                if reply.card:
                    self.scorecard(reply.card)
            elif len(text) > MAX_QUESTION_CHARS:
                self.say(f"问题太长了（{len(text)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内。")
            else:
                self.say(format_plain(self.answerer.answer(text)))
        except TurnTooLong as exc:
            self.say(f"这句话太长了（{exc.length} 字）。对话里一次说一段，{MAX_TURN_CHARS} 字以内。")
        except NoActiveSession:
            self.say("现在没有进行中的练习。输入 /roleplay 开始一个。")
        except UnknownScenario:
            self.say("这个场景不存在或已下线。输入 /roleplay 看看有哪些。")
        except CoachError as exc:
            self.say(f"无法完成：{exc}")
        return True

    def roleplay(self, args: list[str]) -> None:
        from bot.coach.scenario import LEVELS
        from bot.coach.text import brief_text, level_text

        scenarios = list(self.coach.scenarios().values())
        running = self.coach.active(TERMINAL_USER)
        if running is not None:
            self.say(f"你有一个进行中的练习（{running.scenario}，已进行 {running.state['turn']} 轮）："
                     "直接输入继续，/end 结束并打分。")
            return
        if not args:
            for n, s in enumerate(scenarios, 1):
                self.say(f"{n}. {s.title}（{s.id}）\n   {s.summary}")
            self.say("用 /roleplay 编号 [easy|normal|hard] 查看简介和评分标准，例如 /roleplay 1 normal")
            return
        pick = args[0]
        scenario = next((s for n, s in enumerate(scenarios, 1) if pick in (str(n), s.id)), None)
        level = args[1] if len(args) > 1 else "normal"
        if scenario is None or level not in LEVELS:
            self.say(f"没有这个场景或难度：{' '.join(args)}。难度可选 {', '.join(LEVELS)}。")
            return
        self.pending = (scenario.id, level)
        self.say(brief_text(scenario, level))
        self.say("难度说明：" + level_text(scenario, level))
        self.say("准备好了输入 /go 开始。")

    def go(self) -> None:
        if self.pending is None:
            self.say("先用 /roleplay 选一个场景。")
            return
        _, scenario = self.coach.start(TERMINAL_USER, TERMINAL_USER, *self.pending)
        self.pending = None
        self.say(f"练习开始。\n🧑‍💼 {scenario.persona.name}：{scenario.opening}")

    def scorecard(self, card) -> None:
        from bot.coach.chart import scorecard_png
        from bot.coach.text import scorecard_text

        self.say(scorecard_text(card))
        try:
            charts = self.settings.data_dir / "charts"
            charts.mkdir(parents=True, exist_ok=True)
            [stored] = self.store.roleplays(TERMINAL_USER, limit=1)
            path = charts / f"roleplay-{stored.session_id}.png"
            path.write_bytes(scorecard_png(card))
            self.say(f"评分图已保存：{path}")
        except Exception:
            log.exception("could not save the scorecard chart")

    def history(self) -> None:
        from datetime import datetime

        from bot.coach.text import LEVEL_NAMES, OUTCOME_NAMES

        sessions = self.coach.history(TERMINAL_USER)
        if not sessions:
            self.say("还没有完成过练习。输入 /roleplay 开始。")
            return
        for s in sessions:
            when = datetime.fromtimestamp(s.updated).strftime("%m-%d %H:%M")
            self.say(f"• {when} {s.scenario} {LEVEL_NAMES.get(s.difficulty, s.difficulty)} · {s.total}/100 · "
                     f"{OUTCOME_NAMES.get(s.outcome, s.outcome)}")

    def _customer(self) -> str:
        running = self.store.roleplays(TERMINAL_USER, status=None, limit=1)
        scenario = self.coach.scenarios().get(running[0].scenario) if running else None
        return scenario.persona.name if scenario else "客户"


def run_terminal_chat(settings: Settings, kb_dir: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    stdout.write("正在加载知识库…\n")
    stdout.flush()
    chat = TerminalChat(settings, kb_dir, stdout)
    stdout.write(WELCOME)
    interactive = stdin.isatty()
    try:
        while True:
            if interactive:
                prompt = "你> " if chat.coach.active(TERMINAL_USER) else "问题> "
                stdout.write("\n" + prompt)
            stdout.flush()
            line = stdin.readline()
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            try:
                if not chat.handle(text):
                    break
            except Exception:
                log.exception("handling input failed")
                stdout.write("抱歉，处理时出错了，请再试一次。\n")
    finally:
        chat.store.close()
    stdout.write("再见！\n")
    stdout.flush()
