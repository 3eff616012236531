"""The key-account game in a group: lobby, private briefs, the clock, the vote, the debrief.

The clock lives in the store (deadline, or time left while paused); JobQueue jobs are only its echo and
are rebuilt from the store at start-up, so a restart mid-game keeps time and sends each reminder once.
"""

from __future__ import annotations

import io
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from bot.chat import game_views as views
from bot.chat.game_views import group_lang, minutes_text, team_name
from bot.chat.i18n import t
from bot.chat.reply import GameAction, GameJoin, GameLeave, GameStart, GameVote, Reply, decode
from bot.coach.game import (
    DEFAULT_SCENE,
    TEAMS,
    GameError,
    GameStarted,
    KeyAccountGame,
    NotTeamB,
    NotVoting,
    TeamsIncomplete,
    debrief_text,
    transcript_markdown,
)
from bot.telegram.context import CoachContext
from bot.telegram.replies import edit, send

log = logging.getLogger(__name__)

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


# What a refused request tells the user: (request, error type) -> text, the most specific type first; a
# request's bare GameError row covers every other reason (and a scene or debrief file that cannot be read).
REFUSALS: dict[tuple[str, type[GameError]], str] = {
    ("create", GameError): "game_already",
    ("start", TeamsIncomplete): "game_need_teams",
    ("start", GameError): "game_already_started",
    ("vote", NotTeamB): "game_vote_not_b",
    ("vote", NotVoting): "game_vote_closed",
    ("vote", GameError): "game_stale",
    ("pause", GameError): "game_cannot_pause",
    ("resume", GameError): "game_not_paused",
    ("extend", GameError): "game_cannot_extend",
    ("debrief", GameError): "game_over_no_scene",
}


def refusal(request: str, exc: GameError, lang: str) -> str:
    """The user's words for a game request the game refused."""
    key = next(REFUSALS[request, kind] for kind in type(exc).__mro__ if (request, kind) in REFUSALS)
    return t(key, lang)


def _name(user) -> str:
    return user.full_name or user.username or str(user.id)


def _brief_url(context: CoachContext) -> str:
    """The link that opens a private chat with the bot, where a player reads the team's brief."""
    return f"https://t.me/{context.bot.username}?start=game"


# --------------------------------------------------------------------------- lobby
async def game_command(update: Update, context: CoachContext) -> None:
    """/game [scene]: a trainer opens a lobby in the group."""
    message, chat, lang = update.effective_message, update.effective_chat, context.lang(update)
    if chat.type == ChatType.PRIVATE:
        await message.reply_text(t("game_private_only", lang))
        return
    if not await is_trainer(update, context):
        await message.reply_text(t("game_trainer_only", lang))
        return
    book = context.services.games
    scenes = book.scenes()
    scene_id = (context.args or [DEFAULT_SCENE])[0]
    if scene_id not in scenes:
        listing = "\n".join(f"• {s.id}：{s.title}" for s in scenes.values())
        await message.reply_text(t("game_no_scene", lang, scene=scene_id, listing=listing))
        return
    try:
        game_id, game = book.create(chat.id, update.effective_user.id, scene_id)
    except GameError as exc:
        await message.reply_text(refusal("create", exc, lang))
        return
    game = _update(context, game_id, lambda g: g.state.update(lang=lang))
    sent = await send(context.bot, chat.id, views.lobby(game_id, game, scenes[scene_id], _brief_url(context)), message)
    _update(context, game_id, lambda g: g.state.update(lobby_message=sent.message_id))


# --------------------------------------------------------------------------- buttons
async def on_button(update: Update, context: CoachContext) -> None:
    """The game's buttons (`GameJoin`, `GameLeave`, `GameStart`, `GameVote`, read by `bot.chat.reply.decode`, the
    one place that knows callback strings); stale or forged buttons get a polite no.

    Callback data is whatever a client sends: a button only acts on the game of the group whose message
    carries it, so a forged `g:1:join:B` from another chat cannot join, read team B's brief or vote."""
    query = update.callback_query
    action = decode(query.data)
    book, lang = context.services.games, context.lang(update)
    if not isinstance(action, GameAction):
        await query.answer(t("game_stale", lang), show_alert=True)
        return
    game_id = action.game
    game = book.get(game_id)
    if game is None:
        await query.answer(t("game_stale", lang), show_alert=True)
        return
    if query.message is None or query.message.chat.id != game.state["chat_id"]:
        log.info("game %s: button %r from chat %s refused", game_id, query.data[:64],
                 query.message.chat.id if query.message else None)
        await query.answer(t("game_other_group", lang), show_alert=True)
        return
    user = query.from_user
    if isinstance(action, GameJoin):
        await _join(query, context, game_id, user, action.team, lang)
    elif isinstance(action, GameLeave):
        try:
            game, left = book.update(game_id, lambda g: g.leave(user.id))
        except GameStarted:
            await query.answer(t("game_started_no_switch", lang), show_alert=True)
            return
        if left:
            await query.answer(t("game_left", lang))
            await _refresh_lobby(query, context, game_id, game)
        else:
            await query.answer(t("game_not_in", lang))
    elif isinstance(action, GameStart):
        if not await is_trainer(update, context):
            await query.answer(t("game_start_trainer_only", lang), show_alert=True)
            return
        now = context.services.clock()
        try:  # the game as stored now: is_trainer awaited, players may have joined meanwhile
            game, _ = book.update(game_id, lambda g: g.start(now))
        except GameError as exc:
            await query.answer(refusal("start", exc, lang), show_alert=True)
            return
        await query.answer(t("game_go", lang))
        await _begin(context, game_id, game)
    elif isinstance(action, GameVote):
        if game.status in ("lobby", "running", "paused"):
            await query.answer(t("game_vote_not_yet", lang), show_alert=True)
            return
        try:  # the last two votes at once: only the second sees everyone has voted, and it finishes the game
            _, everyone = book.update(game_id, lambda g: g.vote(user.id, action.renew))
        except GameError as exc:
            await query.answer(refusal("vote", exc, lang), show_alert=True)
            return
        await query.answer(t("game_vote_recorded", lang))
        if everyone:
            await finish(context, game_id)


async def _join(query, context: CoachContext, game_id: int, user, team: str, lang: str) -> None:
    try:
        game, joined = context.services.games.update(game_id, lambda g: g.join(user.id, _name(user), team))
    except GameStarted:
        await query.answer(t("game_started_no_switch", lang), show_alert=True)
        return
    if joined == "full":
        await query.answer(t("game_team_full", lang, team=team_name(team, lang)), show_alert=True)
        return
    note = "" if context.services.store.is_reachable(user.id) else t("game_joined_unreachable", lang)
    await query.answer(t("game_joined", lang, team=team_name(team, lang)) + note, show_alert=bool(note))
    await _refresh_lobby(query, context, game_id, game)


def _update(context: CoachContext, game_id: int, change) -> KeyAccountGame:
    """Apply `change` to the game as stored now and save it (GameBook.update). Handlers that awaited (a send,
    a permission check) must not save the object they read before: a join saved meanwhile would be erased."""
    return context.services.games.update(game_id, change)[0]


async def _refresh_lobby(query, context: CoachContext, game_id: int, game: KeyAccountGame) -> None:
    scene = context.services.games.scenes().get(game.state["scene"])
    if scene is None or query.message is None:
        return
    try:
        await edit(query, views.lobby(game_id, game, scene, _brief_url(context)))
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
    await send(context.bot, game.state["chat_id"], views.begin(game, missing, _brief_url(context)))
    schedule(context.application, game_id, game)


async def _send_brief(context: CoachContext, user_id: int, scene, team: str) -> bool:
    try:
        await send(context.bot, user_id, views.brief(scene, team))
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
    lang = context.lang(update)
    if not await trainer_in_group(update, context, private=t("game_cmd_in_group", lang),
                                  refused=t("game_cmd_trainer_only", lang)):
        return None
    found = context.services.games.open(update.effective_chat.id)
    if found is None:
        await update.effective_message.reply_text(t("game_none_running", lang))
        return None
    return found


async def _change(update: Update, context: CoachContext, game_id: int, request: str, change):
    """`change(game, now)` applied to the stored game: (the game, what `change` returned), or None when the game
    refused it (the trainer is told why)."""
    now = context.services.clock()
    try:
        return context.services.games.update(game_id, lambda g: change(g, now))
    except GameError as exc:
        await update.effective_message.reply_text(refusal(request, exc, context.lang(update)))
        return None


async def pause_command(update: Update, context: CoachContext) -> None:
    """/pause: stop the clock."""
    found = await _trainer_game(update, context)
    changed = found and await _change(update, context, found[0], "pause", lambda g, now: g.pause(now))
    if changed:
        unschedule(context.application, found[0])
        lang = context.lang(update)
        await update.effective_message.reply_text(t("game_paused", lang, left=minutes_text(changed[1], lang)))


async def resume_command(update: Update, context: CoachContext) -> None:
    """/resume: restart the clock."""
    found = await _trainer_game(update, context)
    changed = found and await _change(update, context, found[0], "resume", lambda g, now: g.resume(now))
    if changed:
        game = changed[0]
        schedule(context.application, found[0], game)
        lang = context.lang(update)
        left = game.seconds_left(context.services.clock())
        await update.effective_message.reply_text(t("game_resumed", lang, left=minutes_text(left, lang)))


async def extend_command(update: Update, context: CoachContext) -> None:
    """/extend N: N more minutes."""
    found = await _trainer_game(update, context)
    if not found:
        return
    lang = context.lang(update)
    try:
        minutes = float((context.args or ["5"])[0])
        if not 0 < minutes <= 120:
            raise ValueError
    except ValueError:
        await update.effective_message.reply_text(t("game_extend_usage", lang))
        return
    changed = await _change(update, context, found[0], "extend", lambda g, now: g.extend(minutes, now))
    if changed:
        game, left = changed
        if game.status == "running":
            schedule(context.application, found[0], game)
        await update.effective_message.reply_text(t("game_extended", lang, minutes=minutes,
                                                    left=minutes_text(left, lang)))


async def endgame_command(update: Update, context: CoachContext) -> None:
    """/endgame: end now (the vote follows), or close a lobby or a vote."""
    found = await _trainer_game(update, context)
    if not found:
        return
    game_id, game = found
    if game.status == "lobby":
        try:
            game, _ = context.services.games.update(game_id, lambda g: g.cancel())
        except GameStarted:  # started meanwhile: it ends as a started game does
            game = context.services.games.get(game_id)
        else:
            await update.effective_message.reply_text(t("game_cancelled", context.lang(update)))
            return
    if game.status == "voting":
        await finish(context, game_id)
    else:
        await time_up(context, game_id)


# --------------------------------------------------------------------------- clock jobs
def schedule(app: Application, game_id: int, game: KeyAccountGame) -> None:
    """(Re)build the jobs of one game from its stored deadline."""
    unschedule(app, game_id)
    now = app.bot_data["services"].clock()
    for event in game.events(now):
        app.job_queue.run_once(_on_clock, when=max(0.0, event.at - now), name=f"{JOB_PREFIX}{game_id}",
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
            when = max(0.0, game.state["ended"] + vote_seconds - services.clock())
            app.job_queue.run_once(_on_clock, when=when, name=f"{JOB_PREFIX}{game_id}",
                                   data={"game_id": game_id, "kind": "close", "minutes": 0})


async def _on_clock(context: CoachContext) -> None:
    data = context.job.data
    game_id = data["game_id"]
    book = context.services.games
    if data["kind"] == "reminder":
        try:  # marked sent as it is read: a duplicate job (after a restart) never sends it twice
            game, due = book.update(game_id, lambda g: g.remind(data["minutes"]))
        except GameError:
            return
        if due:
            await send(context.bot, game.state["chat_id"], views.time_left(game, data["minutes"]))
        return
    game = book.get(game_id)
    if game is None:
        return
    if data["kind"] == "end":
        if game.status == "running" and game.seconds_left(context.services.clock()) <= 1:
            await time_up(context, game_id)
    elif data["kind"] == "close" and game.status == "voting":
        await finish(context, game_id)


async def time_up(context: CoachContext, game_id: int) -> None:
    """Time is up: team B votes on renewal."""
    book = context.services.games
    now = context.services.clock()
    try:  # once: the clock's end job and /endgame at the same moment open one vote
        game, _ = book.update(game_id, lambda g: g.stop(now))
    except GameError:
        return
    unschedule(context.application, game_id)
    minutes = context.services.settings.game_vote_minutes
    scene = book.scenes().get(game.state["scene"])  # None: the scene file went offline mid-game
    await send(context.bot, game.state["chat_id"],
               views.vote(game_id, game, scene.vote_question if scene else None, minutes))
    context.application.job_queue.run_once(_on_clock, when=minutes * 60, name=f"{JOB_PREFIX}{game_id}",
                                           data={"game_id": game_id, "kind": "close", "minutes": 0})


async def finish(context: CoachContext, game_id: int) -> None:
    """The debrief in the group and the full transcript to the trainer."""
    book = context.services.games
    try:  # once: the last vote and the vote's time running out at the same moment give one debrief
        game, _ = book.update(game_id, lambda g: g.close())
    except GameError:
        return
    unschedule(context.application, game_id)
    chat_id, lang = game.state["chat_id"], group_lang(game)
    try:
        report, scene, messages = book.debrief(game_id, game)
    except GameError as exc:
        await context.bot.send_message(chat_id, refusal("debrief", exc, lang))
        return
    gen = context.services.retriever.generation
    titles = {doc_id: doc.title for doc_id, doc in gen.docs.items()}
    body = debrief_text(report, scene, titles)
    await send(context.bot, chat_id, Reply(body))
    transcript = transcript_markdown(game, scene, messages, body).encode("utf-8")
    name = f"game-{game_id}-{scene.id}.md"
    trainer = game.state["trainer_id"]
    try:
        await context.bot.send_document(trainer, io.BytesIO(transcript), filename=name,
                                        caption=t("game_transcript", lang, title=scene.title))
    except Forbidden:  # the trainer never opened a private chat: the team group gets it instead
        await context.bot.send_document(chat_id, io.BytesIO(transcript), filename=name,
                                        caption=t("game_transcript_in_group", lang, title=scene.title))
