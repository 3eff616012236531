"""The key-account game in a group: lobby, private briefs, the clock, the vote, the debrief.

The clock lives in the store (deadline, or time left while paused); JobQueue jobs are only its echo and
are rebuilt from the store at start-up, so a restart mid-game keeps time and sends each reminder once.
"""

from __future__ import annotations

import html
import io
import logging
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from bot.chat.i18n import DEFAULT_LANG, t
from bot.coach.game import (
    DEFAULT_SCENE,
    TEAMS,
    GameError,
    KeyAccountGame,
    debrief_text,
    team_brief,
    transcript_markdown,
)
from bot.telegram.context import ChatTarget, CoachContext, parse_id, send_html

log = logging.getLogger(__name__)

TEAM_LABEL = {"A": "A 组（供应商）", "B": "B 组（大客户）"}
JOB_PREFIX = "game:"


# --------------------------------------------------------------------------- permissions
async def is_trainer(update: Update, context: CoachContext) -> bool:
    """Trainers listed in the settings (and admins), or an administrator of this group."""
    user, chat = update.effective_user, update.effective_chat
    settings = context.services.settings
    if user is None:
        return False
    if user.id in settings.trainer_ids or user.id in settings.admin_ids:
        return True
    if chat is None or chat.type == ChatType.PRIVATE:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except (BadRequest, Forbidden):
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _now() -> float:
    return time.time()


def _name(user) -> str:
    return user.full_name or user.username or str(user.id)


# --------------------------------------------------------------------------- lobby
async def game_command(update: Update, context: CoachContext) -> None:
    """/game [scene]: a trainer opens a lobby in the group."""
    message, chat = update.effective_message, update.effective_chat
    if chat.type == ChatType.PRIVATE:
        await message.reply_text("大客户维护游戏在团队群里进行：把我拉进群，由培训师在群里发 /game。")
        return
    if not await is_trainer(update, context):
        await message.reply_text("只有培训师（或群管理员）可以开游戏。")
        return
    book = context.services.games
    scenes = book.scenes()
    scene_id = (context.args or [DEFAULT_SCENE])[0]
    if scene_id not in scenes:
        listing = "\n".join(f"• {s.id}：{s.title}" for s in scenes.values())
        await message.reply_text(f"没有这个场景：{scene_id}。可选：\n{listing}\n用法：/game 场景id")
        return
    try:
        game_id, game = book.create(chat.id, update.effective_user.id, scene_id)
    except GameError:
        await message.reply_text("这个群里已经有一局游戏还没结束。培训师可以 /endgame 结束它。")
        return
    sent = await message.reply_text(_lobby_text(game, scenes[scene_id]), reply_markup=_lobby_keyboard(context, game_id, game))
    _update(context, game_id, lambda g: g.state.update(lobby_message=sent.message_id))


def _lobby_text(game: KeyAccountGame, scene) -> str:
    size = game.state["team_size"]
    lines = [f"🎲 大客户维护游戏 ·《{scene.title}》", scene.summary, "",
             f"A 组扮演供应商，B 组扮演大客户；每组最多 {size} 人，{game.state['minutes']:g} 分钟，结束后 B 组投票、复盘。",
             "角色说明会私聊发给每位玩家。", ""]
    for team in TEAMS:
        names = "、".join(game.name(u) for u in game.members(team)) or "（暂无）"
        lines.append(f"{TEAM_LABEL[team]} {len(game.members(team))}/{size}：{names}")
    return "\n".join(lines)


def _lobby_keyboard(context: CoachContext, game_id: int, game: KeyAccountGame) -> InlineKeyboardMarkup:
    size = game.state["team_size"]
    rows = [[InlineKeyboardButton(f"加入 {TEAM_LABEL[t]} {len(game.members(t))}/{size}",
                                  callback_data=f"g:{game_id}:join:{t}") for t in TEAMS],
            [InlineKeyboardButton("退出", callback_data=f"g:{game_id}:leave"),
             InlineKeyboardButton("▶ 开始（培训师）", callback_data=f"g:{game_id}:start")],
            [InlineKeyboardButton("📩 先私聊我，领取角色说明", url=f"https://t.me/{context.bot.username}?start=game")]]
    return InlineKeyboardMarkup(rows)


# --------------------------------------------------------------------------- buttons
STALE = "这个按钮已失效。"
VOTE_ERRORS = {"not-team-b": "只有 B 组（大客户）投票。", "not-voting": "投票已经结束。"}


async def on_button(update: Update, context: CoachContext) -> None:
    """g:ID:join:A|B, g:ID:leave, g:ID:start, g:ID:vote:1|0; stale or forged buttons get a polite no.

    Callback data is whatever a client sends: a button only acts on the game of the group whose message
    carries it, so a forged `g:1:join:B` from another chat cannot join, read team B's brief or vote."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    book = context.services.games
    try:
        game_id = parse_id(parts[1])
        action = parts[2]
    except (IndexError, ValueError):
        await query.answer(STALE, show_alert=True)
        return
    game = book.get(game_id)
    if game is None:
        await query.answer(STALE, show_alert=True)
        return
    if query.message is None or query.message.chat.id != game.state["chat_id"]:
        log.info("game %s: button %r from chat %s refused", game_id, query.data[:64],
                 query.message.chat.id if query.message else None)
        await query.answer("这个按钮只在开这局游戏的群里有效。", show_alert=True)
        return
    user = query.from_user
    arg = parts[3] if len(parts) == 4 else None
    if action == "join" and arg in TEAMS:
        await _join(query, context, game_id, game, user, arg)
    elif action == "leave" and arg is None:
        if game.status != "lobby":
            await query.answer("游戏已经开始，不能再换组了。", show_alert=True)
        elif game.leave(user.id):
            book.save(game_id, game)
            await query.answer("已退出。")
            await _refresh_lobby(query, context, game_id, game)
        else:
            await query.answer("你不在这局游戏里。")
    elif action == "start" and arg is None:
        if not await is_trainer(update, context):
            await query.answer("只有培训师可以开始游戏。", show_alert=True)
            return
        game = book.get(game_id)  # read again: is_trainer awaited, players may have joined meanwhile
        try:
            game.start(_now())
        except GameError as exc:
            await query.answer("两组都至少要有一人才能开始。" if str(exc) == "teams" else "游戏已经开始了。",
                               show_alert=True)
            return
        book.save(game_id, game)
        await query.answer("开始！")
        await _begin(context, game_id, game)
    elif action == "vote" and arg in ("1", "0"):
        if game.status in ("lobby", "running", "paused"):
            await query.answer("投票还没开始：时间到了，B 组才投票。", show_alert=True)
            return
        try:
            everyone = game.vote(user.id, arg == "1")
        except GameError as exc:
            await query.answer(VOTE_ERRORS.get(str(exc), STALE), show_alert=True)
            return
        book.save(game_id, game)
        await query.answer("已记录你的投票。")
        if everyone:
            await finish(context, game_id)
    else:
        await query.answer(STALE, show_alert=True)


async def _join(query, context: CoachContext, game_id: int, game: KeyAccountGame, user, team: str) -> None:
    if game.status != "lobby":
        await query.answer("游戏已经开始，不能再换组了。", show_alert=True)
        return
    if game.join(user.id, _name(user), team) == "full":
        await query.answer(f"{TEAM_LABEL[team]}已满。", show_alert=True)
        return
    context.services.games.save(game_id, game)
    note = "" if context.services.store.is_reachable(user.id) else \
        "\n请先点“先私聊我”按钮并发 /start，角色说明会私聊发给你。"
    await query.answer(f"你在 {TEAM_LABEL[team]}。" + note, show_alert=bool(note))
    await _refresh_lobby(query, context, game_id, game)


def _update(context: CoachContext, game_id: int, change) -> KeyAccountGame | None:
    """Apply `change` to the game as stored now and save it. Handlers that awaited (a send, a permission
    check) must not save the object they read before: a join saved meanwhile would be erased. No await
    happens between this read and write, so on the one event loop nothing can slip in between."""
    book = context.services.games
    game = book.get(game_id)
    if game is not None:
        change(game)
        book.save(game_id, game)
    return game


async def _refresh_lobby(query, context: CoachContext, game_id: int, game: KeyAccountGame) -> None:
    scene = context.services.games.scenes().get(game.state["scene"])
    if scene is None or query.message is None:
        return
    try:
        await query.edit_message_text(_lobby_text(game, scene), reply_markup=_lobby_keyboard(context, game_id, game))
    except BadRequest as exc:  # "message is not modified" when nothing changed
        log.debug("lobby not edited: %s", exc)


async def _begin(context: CoachContext, game_id: int, game: KeyAccountGame) -> None:
    """Briefs by private message, the start in the group, the clock's jobs."""
    scene = context.services.games.scenes()[game.state["scene"]]
    missing, briefed = [], []
    for team in TEAMS:
        for uid in game.members(team):
            if not await _send_brief(context, uid, scene, team):
                missing.append(game.name(uid))
            else:
                briefed.append(uid)
    _update(context, game_id, lambda g: g.state["briefed"].extend(u for u in briefed if u not in g.state["briefed"]))
    chat_id = game.state["chat_id"]
    text = (f"🎬 游戏开始！{game.state['minutes']:g} 分钟。角色说明已经私聊发给大家，请各自查看。\n"
            "A 组（供应商）和 B 组（大客户）在群里直接对话，我只负责计时和记录。")
    if missing:
        text += "\n\n⚠️ 这些玩家还没私聊过我，收不到角色说明：" + "、".join(missing) + \
            "。请点下面的按钮，发 /start 领取。"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        "📩 领取角色说明", url=f"https://t.me/{context.bot.username}?start=game")]]) if missing else None
    await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    schedule(context.application, game_id, game)


async def _send_brief(context: CoachContext, user_id: int, scene, team: str) -> bool:
    try:
        await send_html(ChatTarget(context.bot, user_id), html.escape(team_brief(scene, team)), None, reply=False)
    except Forbidden:
        return False
    return True


async def deliver_pending_briefs(update: Update, context: CoachContext) -> bool:
    """After /start in private: the brief of any started game the user plays in. True if one was sent."""
    user = update.effective_user
    book = context.services.games
    sent = False
    for game_id, game in book.playing(user.id):
        scene = book.scenes().get(game.state["scene"])
        if scene and await _send_brief(context, user.id, scene, game.team_of(user.id)):
            if user.id not in game.state["briefed"]:
                _update(context, game_id,
                        lambda g: g.state["briefed"].append(user.id) if user.id not in g.state["briefed"] else None)
            sent = True
    return sent


# --------------------------------------------------------------------------- play
async def record(update: Update, context: CoachContext) -> bool:
    """Record a group message in the running game; True means the bot stays quiet about it."""
    message, user = update.effective_message, update.effective_user
    found = context.services.games.open(update.effective_chat.id)
    if found is None or user is None:
        return False
    game_id, game = found
    if game.status not in ("running", "paused"):
        return game.status == "voting"
    context.services.games.record(game_id, game, user.id, _name(user), message.text or "", message.message_id)
    return True


async def record_edit(update: Update, context: CoachContext) -> None:
    """An edited group message: during a game it replaces the line it recorded (the debrief reads what the
    player finally said, once); otherwise the bot ignores it, as it already answered or stayed quiet."""
    message, user = update.edited_message, update.effective_user
    found = context.services.games.open(update.effective_chat.id)
    if found is None or user is None or message is None:
        return
    game_id, game = found
    if context.services.games.edit(game_id, game, user.id, message.message_id, message.text or ""):
        log.debug("game %s: message %s edited", game_id, message.message_id)


# --------------------------------------------------------------------------- trainer clock commands
async def trainer_in_group(update: Update, context: CoachContext, *, private: str, refused: str) -> bool:
    """A group command only a trainer may use: say why not (`private`, `refused`) and return False."""
    message = update.effective_message
    if update.effective_chat.type == ChatType.PRIVATE:
        await message.reply_text(private)
        return False
    if not await is_trainer(update, context):
        await message.reply_text(refused)
        return False
    return True


async def _trainer_game(update: Update, context: CoachContext) -> tuple[int, KeyAccountGame] | None:
    if not await trainer_in_group(update, context, private="这个命令在游戏所在的群里用。",
                                  refused="只有培训师可以控制游戏。"):
        return None
    found = context.services.games.open(update.effective_chat.id)
    if found is None:
        await update.effective_message.reply_text("这个群里没有进行中的游戏。培训师发 /game 开一局。")
        return None
    return found


async def pause_command(update: Update, context: CoachContext) -> None:
    """/pause: stop the clock."""
    found = await _trainer_game(update, context)
    if not found:
        return
    game_id, game = found
    try:
        left = game.pause(_now())
    except GameError:
        await update.effective_message.reply_text("游戏没有在进行，不能暂停。")
        return
    context.services.games.save(game_id, game)
    unschedule(context.application, game_id)
    await update.effective_message.reply_text(f"⏸ 暂停。还剩 {_minutes(left)}。培训师发 /resume 继续。")


async def resume_command(update: Update, context: CoachContext) -> None:
    """/resume: restart the clock."""
    found = await _trainer_game(update, context)
    if not found:
        return
    game_id, game = found
    try:
        game.resume(_now())
    except GameError:
        await update.effective_message.reply_text("游戏没有暂停。")
        return
    context.services.games.save(game_id, game)
    schedule(context.application, game_id, game)
    await update.effective_message.reply_text(f"▶ 继续！还剩 {_minutes(game.seconds_left(_now()))}。")


async def extend_command(update: Update, context: CoachContext) -> None:
    """/extend N: N more minutes."""
    found = await _trainer_game(update, context)
    if not found:
        return
    game_id, game = found
    try:
        minutes = float((context.args or ["5"])[0])
        if not 0 < minutes <= 120:
            raise ValueError
    except ValueError:
        await update.effective_message.reply_text("用法：/extend 分钟数（1–120），例如 /extend 5")
        return
    try:
        left = game.extend(minutes, _now())
    except GameError:
        await update.effective_message.reply_text("游戏没有在进行，不能加时。")
        return
    context.services.games.save(game_id, game)
    if game.status == "running":
        schedule(context.application, game_id, game)
    await update.effective_message.reply_text(f"⏩ 加时 {minutes:g} 分钟，还剩 {_minutes(left)}。")


async def endgame_command(update: Update, context: CoachContext) -> None:
    """/endgame: end now (the vote follows), or close a lobby or a vote."""
    found = await _trainer_game(update, context)
    if not found:
        return
    game_id, game = found
    if game.status == "lobby":
        game.state["status"] = "ended"
        context.services.games.save(game_id, game)
        await update.effective_message.reply_text("已取消这局游戏。")
    elif game.status == "voting":
        await finish(context, game_id)
    else:
        await time_up(context, game_id)


def _minutes(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds % 60 else f"{seconds // 60} 分钟"


# --------------------------------------------------------------------------- clock jobs
def schedule(app: Application, game_id: int, game: KeyAccountGame) -> None:
    """(Re)build the jobs of one game from its stored deadline."""
    unschedule(app, game_id)
    for event in game.events(_now()):
        app.job_queue.run_once(_on_clock, when=max(0.0, event.at - _now()), name=f"{JOB_PREFIX}{game_id}",
                               data={"game_id": game_id, "kind": event.kind, "minutes": event.minutes_left})


def unschedule(app: Application, game_id: int) -> None:
    for job in app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{game_id}"):
        job.schedule_removal()


def restore(app: Application) -> None:
    """At start-up: jobs for every running game and every open vote, from the store."""
    services = app.bot_data["services"]
    vote_seconds = services.settings.game_vote_minutes * 60
    for game_id, game in services.games.running():
        if game.status == "running":
            schedule(app, game_id, game)
        else:  # voting: close it when its time is up
            when = max(0.0, game.state["ended"] + vote_seconds - _now())
            app.job_queue.run_once(_on_clock, when=when, name=f"{JOB_PREFIX}{game_id}",
                                   data={"game_id": game_id, "kind": "close", "minutes": 0})


async def _on_clock(context: CoachContext) -> None:
    data = context.job.data
    game_id = data["game_id"]
    book = context.services.games
    game = book.get(game_id)
    if game is None:
        return
    if data["kind"] == "reminder":
        if game.remind(data["minutes"]):
            book.save(game_id, game)
            await context.bot.send_message(game.state["chat_id"], f"⏰ 还剩 {_minutes(data['minutes'] * 60)}。")
    elif data["kind"] == "end":
        if game.status == "running" and game.seconds_left(_now()) <= 1:
            await time_up(context, game_id)
    elif data["kind"] == "close" and game.status == "voting":
        await finish(context, game_id)


async def time_up(context: CoachContext, game_id: int) -> None:
    """Time is up: team B votes on renewal."""
    book = context.services.games
    game = book.get(game_id)
    if game is None or game.status not in ("running", "paused"):
        return
    game.stop(_now())
    book.save(game_id, game)
    unschedule(context.application, game_id)
    lang = DEFAULT_LANG  # a group has no one language; the game's texts are the scene's (Chinese)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t("game_renew", lang), callback_data=f"g:{game_id}:vote:1"),
                                      InlineKeyboardButton(t("game_not_renew", lang), callback_data=f"g:{game_id}:vote:0")]])
    names = "、".join(game.name(u) for u in game.members("B"))
    minutes = context.services.settings.game_vote_minutes
    scene = book.scenes().get(game.state["scene"])
    question = scene.vote_question if scene else "明年还和 A 组续约吗？"  # the scene file went offline mid-game
    await context.bot.send_message(game.state["chat_id"], t("game_vote", lang, names=names, question=question,
                                                            minutes=minutes), reply_markup=keyboard)
    context.application.job_queue.run_once(_on_clock, when=minutes * 60, name=f"{JOB_PREFIX}{game_id}",
                                           data={"game_id": game_id, "kind": "close", "minutes": 0})


async def finish(context: CoachContext, game_id: int) -> None:
    """The debrief in the group and the full transcript to the trainer."""
    book = context.services.games
    game = book.get(game_id)
    if game is None or game.status == "ended":
        return
    game.close()
    book.save(game_id, game)
    unschedule(context.application, game_id)
    chat_id = game.state["chat_id"]
    try:
        report, scene, messages = book.debrief(game_id, game)
    except GameError:
        await context.bot.send_message(chat_id, "游戏结束。场景文件已下线，无法复盘。")
        return
    gen = context.services.retriever.generation
    titles = {doc_id: doc.title for doc_id, doc in gen.docs.items()}
    body = debrief_text(report, scene, titles)
    await send_html(ChatTarget(context.bot, chat_id), html.escape(body), None, reply=False)
    transcript = transcript_markdown(game, scene, messages, body).encode("utf-8")
    name = f"game-{game_id}-{scene.id}.md"
    trainer = game.state["trainer_id"]
    try:
        await context.bot.send_document(trainer, io.BytesIO(transcript), filename=name,
                                        caption=f"完整记录：《{scene.title}》")
    except Forbidden:  # the trainer never opened a private chat: the team group gets it instead
        await context.bot.send_document(chat_id, io.BytesIO(transcript), filename=name,
                                        caption=f"完整记录：《{scene.title}》（培训师还没私聊过我，发在群里）")
