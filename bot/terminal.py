"""The terminal chat: the same services as the Telegram bot, over stdin/stdout."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.chat.i18n import DEFAULT_LANG, t
from bot.config import Settings
from bot.kb.answer import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)

LANG = DEFAULT_LANG
"""The terminal speaks the default language; its own lines move to the catalogue with the shared flows (issue 15)."""

TERMINAL_USER = 0
"""The terminal's one user: its role-plays and history live in the same store as the bot's."""

WELCOME = (
    "salescoach · 销售教练（终端版）\n"
    "直接输入问题，例如：客户一直催货怎么办？\n"
    "命令：/roleplay 角色扮演 · /learn 学习 · /quiz 测验 · /review 复习 · /progress 进度 · /exam 考试 · "
    "/help 帮助 · /quit 退出\n"
)
HELP = (
    "输入任何销售问题，我会从知识库里找答案并注明出处。\n"
    "/roleplay 列出练习场景；/roleplay 编号 [easy|normal|hard] 查看简介和评分标准；/go 开始。\n"
    "练习中直接输入你对客户说的话；/hint 提示，/end 结束并打分；/history 练习记录。\n"
    "/learn 学习下一页；/quiz 小测验，/review 复习到期的题（输入 A/B/C/D 或直接打字回答）；/progress 学习进度；"
    "/exam 认证考试；/quit 退出。"
)


class TerminalChat:
    def __init__(self, settings: Settings, kb_dir: Path | None, stdout: TextIO, *,
                 clock: Callable[[], float] = time.time) -> None:
        from bot.coach.judge import Judge
        from bot.coach.service import Coach
        from bot.kb.answer import Answerer
        from bot.kb.service import open_retriever
        from bot.llm import chat_model
        from bot.store import open_store

        self.settings, self.out, self.clock = settings, stdout, clock  # one clock, as Services.clock in the bot
        retriever = open_retriever(settings, kb_dir)
        llm = chat_model(settings)
        self.answerer = Answerer(retriever, llm)
        self.store = open_store(settings, clock=clock)
        self.coach = Coach(self.store, Judge(retriever.kb.embedder), retriever=retriever, chat_model=llm)
        self.pending: tuple[str, str] | None = None  # scenario and level chosen, not started yet
        from bot.coach.self_study import SelfStudy

        # The question on screen (quiz, review or exam) lives in the study store, as in the Telegram bot.
        self.study = SelfStudy(self.store, settings.knowledge_dir, clock=clock, timezone=settings.timezone)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def handle(self, text: str) -> bool:
        """One line of input; False means quit."""
        from bot.coach.service import MAX_TURN_CHARS, CoachError, NoActiveSession, TurnTooLong, UnknownScenario
        from bot.coach.text import OUTCOME_NAMES
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
            elif command == "/learn":
                self.learn()
            elif command in ("/quiz", "/review"):
                self.ask(review=command == "/review")
            elif command == "/progress":
                self.progress()
            elif command == "/exam":
                self.exam_start()
            elif command.startswith("/"):
                self.say(f"不认识的命令 {command}。\n{HELP}")
            elif self.coach.active(TERMINAL_USER) is None and self.typed_answer(text):
                pass
            elif self.coach.active(TERMINAL_USER) is not None:
                reply = self.coach.say(TERMINAL_USER, text)
                self.say(f"🧑‍💼 {self._customer()}：{reply.turn.text}")
                if reply.card:
                    self.say(f"🏁 这次练习结束了：{OUTCOME_NAMES.get(reply.card.outcome, reply.card.outcome)}。"
                             "评分在下面；再练一次输入 /roleplay。")
                    self.scorecard(reply.card)
            elif len(text) > MAX_QUESTION_CHARS:
                self.say(f"问题太长了（{len(text)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内。")
            else:
                ended = self.coach.just_ended(TERMINAL_USER, self.clock())
                if ended is not None:
                    title = self.coach.scenarios().get(ended.scenario)
                    self.say(f"（《{title.title if title else ended.scenario}》的练习已经结束，客户听不到了。"
                             "这句话我按知识库问题来回答；再练一次输入 /roleplay。）")
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

    # ------------------------------------------------------------------ self-study
    def learn(self) -> None:
        lesson = self.study.lesson(TERMINAL_USER)
        self.say(f"📖《{lesson.article.title}》（{lesson.screen + 1}/{lesson.screens}）\n{lesson.text}")
        self.say("/learn 下一页 · /quiz 考考我")

    def _show(self, showing, head: str) -> None:
        from bot.chat.study_views import question_text

        how = t("st_how_terminal", LANG) if showing.question.is_choice else ""
        self.say(question_text(showing, head, how, LANG))

    def ask(self, *, review: bool) -> None:
        from bot.coach.self_study import StudyError

        if review:
            due = self.study.due(TERMINAL_USER)
            if not due:
                self.say("现在没有要复习的题。")
                return
            q, head = due[0], f"🔁 复习（还有 {len(due)} 题到期）"
        else:
            try:
                q, head = self.study.quiz(TERMINAL_USER), "📝 小测验"
            except StudyError:
                self.say("这个模块还没有题目。输入 /learn 继续学习。")
                return
        self._show(self.study.show(TERMINAL_USER, q.id, "review" if review else "quiz"), head)

    def typed_answer(self, text: str) -> bool:
        """The line answers the question on screen (a letter, an option's words or free text); False when no
        question waits or, in a quiz, the line is not one of the options (then it is a question)."""
        from bot.chat.study_views import feedback_text

        typed = self.study.typed(TERMINAL_USER, text)
        if typed is None:
            return False
        showing = typed.showing
        if showing.context == "exam":
            if typed.answer is None:
                self.say(f"考试进行中：请输入 A–{'ABCDEFGH'[len(showing.options) - 1]} 中的一个字母，或写出选项的内容。")
            else:
                self.exam_answer(showing.attempt, showing.index, typed.answer)
            return True
        if typed.answer is None and typed.by_letter:
            self.say(f"没有这个选项：请输入 A–{'ABCDEFGH'[len(showing.options) - 1]} 中的一个字母，或选项的内容。")
            return True
        if typed.answer is None:
            return False  # not one of the options: a question for the knowledge base; the quiz question still waits
        fb = self.study.answer(TERMINAL_USER, showing.question.id, typed.answer, context=showing.context)
        self.say(feedback_text(fb, LANG))
        return True

    def progress(self) -> None:
        p = self.study.progress(TERMINAL_USER)
        for m in p.modules:
            acc = f"{100 * m.right / m.answered:.0f}%" if m.answered else "-"
            self.say(t("st_progress_module", LANG, mark="✅" if m.done else "▫️", title=m.title, read=m.read,
                       lessons=m.lessons, answered=m.answered, acc=acc))
        self.say(t("st_progress_streak", LANG, streak=p.streak, due=p.due)
                 + (t("st_progress_certified_mark", LANG) if p.certified else ""))

    def exam_start(self) -> None:
        from bot.coach.self_study import ExamLocked

        try:
            attempt, questions = self.study.exam_start(TERMINAL_USER)
        except ExamLocked as exc:
            self.say({"passed": "你已经通过考试了。", "attempts": "考试次数已用完，请联系培训师。"}.get(
                exc.reason, "两次考试之间要间隔一段时间，稍后再考。"))
            return
        self._exam_question(attempt, len(self.store.exam(attempt)["answers"]), questions)

    def _exam_question(self, attempt: int, i: int, questions) -> None:
        showing = self.study.show(TERMINAL_USER, questions[i].id, "exam", attempt=attempt, index=i)
        self._show(showing, t("st_exam_head_plain", LANG, n=i + 1, total=len(questions)))

    def exam_answer(self, attempt: int, i: int, option: int) -> None:
        from bot.chat.study_views import exam_result_text

        exam = self.store.exam(attempt)
        nxt = self.study.exam_answer(TERMINAL_USER, attempt, i, option)
        questions = [self.study.questions[q] for q in exam["questions"]]
        if nxt is not None:
            self._exam_question(attempt, nxt, questions)
            return
        result = self.study.exam_finish(TERMINAL_USER, attempt)
        self.say(exam_result_text(result, self.study.path.exam.pass_mark, LANG))
        if result.passed and self.study.try_certify(TERMINAL_USER):
            self.say("🎓 恭喜！你已通过认证。")

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
