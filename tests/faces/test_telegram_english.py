"""An English reader runs every command of the Telegram face and sees no Chinese but the content: knowledge
passages, scenarios, scenes and study questions are written in Chinese; the interface around them is not."""

import dataclasses
import json
import re

import pytest

from bot.chat.i18n import LANG_NAMES
from bot.tools.fakeapi import button, message

from .helpers import GameRunning

REP, REP2, TRAINER, ADMIN, GROUP = 42, 43, 2, 1, -100
CJK_RUN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
# Sentences, and the pieces an answer composes from the content (an article at a glance joins a heading and its
# items: 「售前服务策略：广告宣传、提供咨询」); interface Chinese still shows (「依据：」 leaves 「依据」).
SENTENCE_END = re.compile(r"[。！？；：、]")
PUNCTUATION = "".join(chr(c) for c in [*range(0x3000, 0x3040), *range(0xFF01, 0xFF10), *range(0xFF1A, 0xFF21),
                                       *range(0xFF5B, 0xFF66)])


@pytest.fixture
async def running(face_settings):
    settings = face_settings(telegram_token="123:ABC", admin_ids=[ADMIN], trainer_ids=[TRAINER])
    r = await GameRunning(settings).start()
    yield r
    await r.stop()


def _walk(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, out)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _walk(v, out)
    elif hasattr(value, "model_dump"):
        _walk(value.model_dump(), out)
    elif dataclasses.is_dataclass(value):
        _walk(dataclasses.asdict(value), out)


def content(services) -> str:
    """Everything written as content, not interface: what an English reader may see in Chinese."""
    out: list[str] = []
    gen = services.retriever.generation
    _walk([(c.text, c.title, c.section, c.source) for c in gen.chunks], out)
    _walk([d.title for d in gen.docs.values()], out)
    _walk(list(services.coach.scenarios().values()), out)
    _walk(list(services.games.scenes().values()), out)
    study = services.study
    _walk([(a.title, a.text) for a in study.articles.values()], out)
    _walk([(q.prompt, q.options, q.explanation) for q in study.questions.values()], out)
    _walk([m.title for m in study.path.modules], out)
    out += LANG_NAMES.values()  # each language's name in its own script, as language menus show them
    return "\n".join(out).replace("**", "")


def seen(api) -> list[str]:
    """Every string the Bot API was asked to show: texts, buttons, alerts, captions, command menus."""
    shown = []
    for name, p in api.calls:
        if name in ("sendMessage", "editMessageText"):
            shown.append(re.sub(r"<[^>]+>", "", p["text"]))
        elif name == "answerCallbackQuery" and p.get("text"):
            shown.append(p["text"])
        elif name in ("sendPhoto", "sendDocument") and p.get("caption"):
            shown.append(p["caption"])
        elif name == "setMyCommands" and (p.get("language_code") == "en" or "scope" in p and "chat_id" in str(p["scope"])):
            commands = p["commands"]
            shown += [c["description"] for c in (json.loads(commands) if isinstance(commands, str) else commands)]
        markup = p.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else markup
        if markup and "inline_keyboard" in markup:
            shown += [b["text"] for row in markup["inline_keyboard"] for b in row]
    return shown


def chinese_outside_content(shown: list[str], corpus: str) -> list[tuple[str, str]]:
    """Each sentence of Chinese (without the brackets around it) that is not a piece of the content: a title in
    《》 passes, "依据：《title》" does not."""
    bad = []
    for text in shown:
        for run in CJK_RUN.findall(text):
            pieces = (p.strip(PUNCTUATION) for p in SENTENCE_END.split(run))
            bad += [(p, text) for p in pieces if p and p not in corpus]
    return bad


def buttons(params) -> dict[str, str]:
    markup = params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b.get("callback_data", b.get("url")) for row in markup["inline_keyboard"] for b in row}


async def test_an_english_reader_sees_no_chinese_outside_the_content(running):
    bot, api, services = running.bot, running.api, running.services

    async def say(text, uid=REP, **kw):
        await running.send(message(bot, text, uid=uid, lang="en", **kw))

    async def press(data, uid=REP, **kw):
        await running.send(button(bot, data, uid=uid, lang="en", **kw))

    # private: start, language, help, a question, role-play, study, exam, reminders
    for uid in (REP, REP2, TRAINER, ADMIN):
        await say("/start", uid=uid)
        await press("lang:en", uid=uid)
    for command in ("/help", "/lang", "/roleplay", "/hint", "/end", "/history", "/learn"):
        await say(command)
    lesson = api.sent()[-1]
    await press(next(d for label, d in buttons(lesson).items() if label.startswith("Next")))
    await say("How do I answer a customer who keeps chasing a late delivery?")
    await say("/quiz")
    quiz = api.sent()[-1]
    await press(next(iter(buttons(quiz).values())))  # option A, right or wrong
    for command in ("/review", "/progress", "/exam"):
        await say(command)
    await press(buttons(api.sent()[-1])["Start the exam"])
    await say("Z")  # not an option during the exam
    await say("A")
    for command in ("/remind", "/remind 08:30", "/remind 99:99", "/remind off"):
        await say(command)
    sid = services.store.start_roleplay(REP, REP, "late-delivery-complaint", "hard", {"transcript": []})
    services.store.end_roleplay(sid, {"transcript": []}, 72, "won", {})
    await say("/history")
    await press("zz:stale")

    # the team group: members, the key-account game's lobby and clock commands, trainer tools
    group = {"chat_id": GROUP, "chat_type": "group"}
    for uid in (REP, REP2):
        await say("Good morning, team", uid=uid, **group)
    await say("/game", uid=REP, **group)  # not a trainer
    await say("/game", uid=TRAINER, **group)
    lobby = buttons(api.sent()[-1])
    join_a, join_b = (d for label, d in lobby.items() if label.startswith("Join"))
    await press(join_a, uid=REP, chat_id=GROUP)
    await press(join_a, uid=REP, chat_id=GROUP)  # again: already in team A
    await press(join_b, uid=REP2, chat_id=GROUP)
    await press(next(d for label, d in lobby.items() if label.startswith("▶")), uid=REP, chat_id=GROUP)
    for command in ("/pause", "/resume", "/extend 500", "/extend 5", "/endgame", "/pause"):
        await say(command, uid=TRAINER, **group)
    await say("/game", uid=REP, **group)  # private commands in a group
    await say("/exam", **group)
    await say("/roleplay", **group)
    await say("/ask How do I keep a key account from leaving?", **group)
    await say("/assign", uid=TRAINER, **group)
    await say("/assign late-delivery-complaint extreme", uid=TRAINER, **group)
    await say("/assign late-delivery-complaint hard 3", uid=TRAINER, **group)
    for command in ("/team", "/team group", "/leaderboard", "/export"):
        await say(command, uid=TRAINER, **group)
    await say("/team", uid=REP, **group)  # not a trainer
    for command in ("/leaderboard", "/team", "/pause"):
        await say(command)  # group commands in private

    # admin tools
    for command in ("/kb", "/reload"):
        await say(command, uid=ADMIN)
        await say(command)

    shown = seen(api)
    assert len(shown) > 60
    assert any("Assigned “" in s for s in shown)  # the commands did run and answer in English
    assert any(s.startswith("📈 Progress") for s in shown)
    bad = chinese_outside_content(shown, content(services))
    assert bad == [], "\n".join(f"{clause!r} in {text[:300]!r}" for clause, text in bad)
