"""Application factory and handlers. Handlers parse the update, call one service, render the reply."""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import time

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.chat.i18n import COMMANDS, GROUP_COMMANDS, LANG_NAMES, LANGS, guess_lang, t
from bot.chat.router import route
from bot.config import Settings, StartupError, mask_secret
from bot.kb.answer import MAX_QUESTION_CHARS
from bot.services import Services
from bot.store import StoreUnwritable
from bot.telegram import game, render, replies, roleplay, study, trainer
from bot.telegram.context import CoachContext, parse_id, send_html, typing
from bot.telegram.health import StoreHealth
from bot.telegram.inbox import JournaledApplication, JournalingQueue, replay_unfinished
from bot.telegram.questions import answer_question
from bot.telegram.retry import RetryingRequest

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------- commands
async def start(update: Update, context: CoachContext) -> None:
    """Welcome, what the bot can do, and a language choice."""
    lang = context.lang(update)
    context.try_write(context.services.store.touch_user, update.effective_user.id)
    if context.args and context.args[0] == "roleplay":  # deep link from /roleplay in a group
        await roleplay.roleplay_command(update, context)
        return
    if context.args and context.args[0] == "exam":  # deep link from /exam in a group
        await study.exam_command(update, context)
        return
    if context.args and context.args[0] == "game":  # deep link from a game lobby: hand over the brief
        if await game.deliver_pending_briefs(update, context):
            return
        await update.effective_message.reply_text(t("game_brief_later", lang))
        return
    await update.effective_message.reply_text(t("welcome", lang), reply_markup=_lang_keyboard())


async def help_command(update: Update, context: CoachContext) -> None:
    """What the bot can do."""
    lang = context.lang(update)
    await update.effective_message.reply_text(t("help", lang, bot=context.bot.username))


async def lang_command(update: Update, context: CoachContext) -> None:
    """Offer the three interface languages."""
    await update.effective_message.reply_text(t("choose_lang", context.lang(update)), reply_markup=_lang_keyboard())


async def ask_command(update: Update, context: CoachContext) -> None:
    """/ask QUESTION: the way to ask in a group without mentioning the bot."""
    question = " ".join(context.args or []).strip()
    if not question:
        await update.effective_message.reply_text(t("ask_usage", context.lang(update)))
        return
    await answer_question(update, context, question)


# --------------------------------------------------------------------------- messages
async def private_text(update: Update, context: CoachContext) -> None:
    """Any text in a private chat: bot.chat.router decides what it is (a role-play turn, the answer to the
    question on screen, else a question for the knowledge base)."""
    services, who = context.services, replies.caller(update, context)
    async with typing(context.bot, who.chat):
        outcome = await services.run(route, services, who, update.effective_message.text, user=who.user)
    await replies.show(update, context, outcome, ask=answer_question)


async def group_text(update: Update, context: CoachContext) -> None:
    """In groups, answer only when mentioned or replied to; during a key-account game, only record."""
    if await game.record(update, context):
        return
    message = update.effective_message
    username = f"@{context.bot.username}".lower()
    text = message.text or ""
    replied_to_bot = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == context.bot.id
    if username in text.lower():
        start_at = text.lower().index(username)
        text = (text[:start_at] + text[start_at + len(username):]).strip()
    elif not replied_to_bot:
        return
    if text:
        await answer_question(update, context, text)


async def edited_private(update: Update, context: CoachContext) -> None:
    """An edited private message is not a new turn nor a new question: during a role-play the rep hears
    that the customer only answers new messages; otherwise it is left alone (it was answered already)."""
    user = update.effective_user
    if user is not None and context.services.coach.active(user.id) is not None:
        await update.edited_message.reply_text(t("edit_not_a_turn", context.lang(update)))


async def unsupported(update: Update, context: CoachContext) -> None:
    """Stickers, photos, voice...: say what works instead of staying silent."""
    await update.effective_message.reply_text(t("unsupported", context.lang(update)))


# --------------------------------------------------------------------------- admin
def _is_admin(update: Update, context: CoachContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admin_ids


async def on_document(update: Update, context: CoachContext) -> None:
    """An admin sends a file: it is read, indexed and answered from, with progress in one message.

    The file is parsed in a child process with time and memory limits (bot.kb.extract), so no file
    stalls anyone else; it goes into the uploads' namespace, so it never replaces a bundled article;
    and every stage is stored, so an upload a crash interrupted is reported at the next start.
    """
    from bot.kb.errors import KnowledgeBaseError
    from bot.kb.extract import read_document
    from bot.kb.service import as_upload, bundled_namesake

    message, lang = update.effective_message, context.lang(update)
    if not _is_admin(update, context):
        await message.reply_text(t("admin_only", lang))
        return
    services, store = context.services, context.services.store
    doc = message.document
    name = doc.file_name or "document"
    limit = int(services.settings.max_file_mb * 1e6)
    status = await message.reply_text(t("ingest_received", lang, name=name))
    upload_id = store.start_upload(update.effective_user.id, message.chat_id, name, status.message_id)
    try:
        if doc.file_size and doc.file_size > limit:
            raise KnowledgeBaseError(_too_large(doc.file_size, limit))
        data = await _download(doc, limit)
        store.set_upload_stage(upload_id, "reading")
        document = as_upload(await read_document(name, data, max_bytes=limit))
        store.set_upload_stage(upload_id, "indexing", f"{document.doc_id} {document.content_hash}")
        await status.edit_text(t("ingest_indexing", lang, name=name))
        namesake = bundled_namesake(services.retriever.generation.docs, document)
        report = await services.run_ingest(services.ingest, document)
    except KnowledgeBaseError as exc:
        store.set_upload_stage(upload_id, "failed", str(exc))
        await _show_status(status, t("ingest_failed", lang, name=name, reason=str(exc)))
        store.log_admin_action(update.effective_user.id, "ingest-failed", f"{name}: {exc}")
        return
    except Exception:  # the status must not stay at "reading…": finish it, then log the traceback
        log.exception("upload of %s failed", name)
        store.set_upload_stage(upload_id, "failed", "internal error")
        await _show_status(status, t("ingest_failed", lang, name=name, reason=t("ingest_internal_error", lang)))
        return
    store.set_upload_stage(upload_id, "done", document.doc_id)
    what = "what_added" if report.added else "what_updated" if report.updated else "what_unchanged"
    generation = services.retriever.generation
    text = t("ingest_done", lang, name=name, what=t(what, lang), docs=len(generation.docs),
             chunks=len(generation.chunks))
    if namesake is not None:
        text += t("ingest_beside_bundled", lang, title=namesake.title)
    await _show_status(status, text)
    store.log_admin_action(update.effective_user.id, "ingest", name)


def _too_large(size: int, limit: int) -> str:
    return f"too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB)"


async def _download(doc, limit: int) -> bytes:
    """The document's bytes; a file Telegram will not hand to bots (over 20 MB) is a one-line reason.

    Telegram omits ``file_size`` on some documents, so the size is often first known here.
    """
    from telegram.error import BadRequest

    from bot.kb.errors import KnowledgeBaseError

    try:
        file = await doc.get_file()
    except BadRequest as exc:
        if "too big" not in exc.message.lower():
            raise
        raise KnowledgeBaseError(f"too large: Telegram lets bots download files of up to 20 MB; "
                                 f"the limit here is {limit / 1e6:.0f} MB") from None
    if file.file_size and file.file_size > limit:
        raise KnowledgeBaseError(_too_large(file.file_size, limit))
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit:
        raise KnowledgeBaseError(_too_large(len(data), limit))
    return data


async def _show_status(status, text: str) -> None:
    """Edit the progress message; if it is gone, say it in a new one (the admin must hear the end)."""
    from telegram.error import TelegramError

    try:
        await status.edit_text(text)
    except TelegramError:
        log.warning("could not edit the upload status message; sending a new one", exc_info=True)
        await status.get_bot().send_message(status.chat_id, text)


async def report_interrupted_uploads(app: Application, rerun: list[Update] = ()) -> None:
    """At start: finish the progress message of every upload a crash interrupted, and tell its admin
    (that it is being read again, when its update is among the `rerun` ones from the journal)."""
    from telegram.error import TelegramError

    again = {(u.message.chat_id, u.message.document.file_name or "document")
             for u in rerun if u.message is not None and u.message.document is not None}
    services: Services = app.bot_data["services"]
    store = services.store
    docs = services.retriever.generation.docs
    for upload in store.unfinished_uploads():
        lang = store.user_lang(upload.user_id) or "zh-CN"
        doc_id, _, content_hash = upload.detail.partition(" ")
        added = upload.stage == "indexing" and doc_id in docs and docs[doc_id].content_hash == content_hash
        log.warning("upload %s (%s) was interrupted while %s", upload.upload_id, upload.name, upload.stage)
        store.set_upload_stage(upload.upload_id, "done" if added else "interrupted", upload.detail)
        try:
            if upload.status_message_id is not None and not added:
                await app.bot.edit_message_text(t("ingest_interrupted_status", lang, name=upload.name),
                                                upload.chat_id, upload.status_message_id)
            key = "ingest_interrupted_added" if added else \
                "ingest_interrupted_rerun" if (upload.chat_id, upload.name) in again else "ingest_interrupted"
            await app.bot.send_message(upload.chat_id, t(key, lang, name=upload.name,
                                                         stage=t(f"stage_{upload.stage}", lang)))
        except TelegramError:
            log.warning("could not tell user %s about the interrupted upload", upload.user_id, exc_info=True)


async def kb_command(update: Update, context: CoachContext) -> None:
    """/kb: what is in the knowledge base."""
    lang = context.lang(update)
    if not _is_admin(update, context):
        await update.effective_message.reply_text(t("admin_command_only", lang))
        return
    gen = context.services.retriever.generation
    titles = sorted({d.title for d in gen.docs.values()})
    listing = "\n".join(f"• {html.escape(render.in_script(title, lang))}" for title in titles)
    text = html.escape(t("kb_summary", lang, docs=len(gen.docs), chunks=len(gen.chunks))) + "\n\n" + listing
    await send_html(update.effective_message, text, None)


async def reload_command(update: Update, context: CoachContext) -> None:
    """/reload: re-read knowledge/ and reload the index."""
    lang = context.lang(update)
    if not _is_admin(update, context):
        await update.effective_message.reply_text(t("admin_command_only", lang))
        return
    report = await context.services.run_ingest(context.services.reload)
    context.services.store.log_admin_action(update.effective_user.id, "reload", "")
    await update.effective_message.reply_text(t("reloaded", lang, added=len(report.added),
                                                updated=len(report.updated), removed=len(report.removed)))


# --------------------------------------------------------------------------- buttons
async def on_button(update: Update, context: CoachContext) -> None:
    """Language choice, full passage, more results, ratings; stale or forged data gets a polite no."""
    query = update.callback_query
    lang = context.lang(update)
    kind, _, rest = (query.data or "").partition(":")
    services = context.services
    if kind == "lang" and rest in LANGS:
        services.store.set_user_lang(query.from_user.id, rest)
        await query.answer()
        await query.edit_message_text(t("lang_set", rest))
        if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
            await _set_chat_commands(context, query.message.chat_id, rest)
        return
    parts = rest.split(":")
    try:
        stored = services.store.answer(parse_id(parts[0]))
    except (ValueError, IndexError):
        stored = None
    # query.message is None when Telegram no longer lets us see the message the button was on.
    if stored is None or kind not in ("p", "m", "r") or (kind != "r" and query.message is None):
        await query.answer(t("stale_button", lang), show_alert=True)
        return
    if kind == "r":
        if query.from_user.id != stored.user_id:
            await query.answer(t("not_yours", lang))
            return
        try:
            rating = int(parts[1])
        except (ValueError, IndexError):
            rating = 0
        if rating not in (1, -1):
            await query.answer(t("stale_button", lang), show_alert=True)
            return
        services.store.rate(stored.answer_id, query.from_user.id, rating)
        await query.answer(t("thanks_rating", lang))
        return
    passages = [p for p in (services.retriever.passage(cid) for cid in stored.chunk_ids) if p is not None]
    if kind == "p":
        try:
            n = parse_id(parts[1], upper=len(stored.chunk_ids))
            chunk_id = stored.chunk_ids[n - 1] if n >= 1 else None
        except (ValueError, IndexError):
            chunk_id = None
        passage = services.retriever.section(chunk_id) if chunk_id else None
        if passage is None:
            await query.answer(t("stale_button", lang), show_alert=True)
            return
        await query.answer()
        await send_html(query.message, render.passage_html(passage, n, lang), None, reply=False)
        return
    if not passages:
        await query.answer(t("stale_button", lang), show_alert=True)
        return
    await query.answer()
    await send_html(query.message, render.more_html(passages, lang), None, reply=False)


# --------------------------------------------------------------------------- inline mode
async def inline_query(update: Update, context: CoachContext) -> None:
    """@bot QUESTION in any chat: passages a rep can drop into the conversation."""
    query = update.inline_query
    text = (query.query or "").strip()[:MAX_QUESTION_CHARS]
    if not text:
        await query.answer([], cache_time=5)
        return
    lang = context.lang(update)
    result = await context.services.run(context.services.retriever.search, text, 5, user=query.from_user.id)
    articles = []
    for n, p in enumerate(result.passages, 1):
        snippet = render.in_script(p.text.replace("\n", " "), lang)[:100]
        articles.append(InlineQueryResultArticle(
            id=hashlib.sha1(f"{p.chunk_id}".encode()).hexdigest()[:32],
            title=render.cite(p, lang)[:64],
            description=snippet,
            input_message_content=InputTextMessageContent(
                render.split_message(render.passage_html(p, n, lang), 4000)[0], parse_mode=ParseMode.HTML),
        ))
    await query.answer(articles, cache_time=30)


# --------------------------------------------------------------------------- errors
MESSAGES_PER_SECOND = 29  # sends to all chats together, a little under Telegram's ~30/s
CONFLICT_LOG_SECONDS = 60.0  # a Conflict repeats every poll: one line a minute says it all


async def on_error(update: object, context: CoachContext) -> None:
    """Log first, then apologise to the user if there is one. An unwritable store and another process
    polling with our token are conditions, not bugs: no traceback, and the store's outage is logged and
    told to the admins once (StoreHealth), however many updates run into it."""
    error = context.error
    if isinstance(error, StoreUnwritable):
        await _store_unwritable(update, context, error)
        return
    if isinstance(error, Conflict):
        now = time.monotonic()
        if now - context.bot_data.get("conflict_logged", -CONFLICT_LOG_SECONDS) >= CONFLICT_LOG_SECONDS:
            context.bot_data["conflict_logged"] = now
            log.error("another process is getting this bot's updates (Telegram says Conflict): stop it; "
                      "only one salescoach may run per token")
        return
    log.error("unhandled error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        lang = "zh-CN"
        try:
            lang = context.lang(update)
            await context.bot.send_message(update.effective_chat.id, t("error", lang))
        except Exception:  # the error handler must never raise
            log.exception("could not tell the user about the error")


async def _store_unwritable(update: object, context: CoachContext, error: StoreUnwritable) -> None:
    """The user hears, in one line, that what they did was not saved and to try again later."""
    health = context.store_health
    health.failed(error)
    log.info("update %s not done: %s", getattr(update, "update_id", None), error.reason)
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        lang = guess_lang(user.language_code) if user is not None else "zh-CN"
        with contextlib.suppress(Exception):  # the store may not even read
            lang = context.lang(update)
        text = t("store_unwritable", lang)
        if update.callback_query is not None:  # stop the button's spinner too (it may be answered already)
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, text)
    await health.report(context.bot)


# --------------------------------------------------------------------------- helpers
def _lang_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(LANG_NAMES[code], callback_data=f"lang:{code}")
                                  for code in LANGS]])


async def _set_chat_commands(context: CoachContext, chat_id: int, lang: str) -> None:
    await context.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS[lang]],
                                      scope=BotCommandScopeChat(chat_id))


async def _post_init(app: Application) -> None:
    """Command menus (zh-CN by default, English for English clients; zh-TW is set per chat), and the
    clocks of running games and the reminders of open assignments, rebuilt from the store."""
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["zh-CN"]])
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["en"]], language_code="en")
    for lang in (None, "en"):  # groups: zh-CN by default, English for English clients
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in GROUP_COMMANDS[lang or "zh-CN"]],
                                      scope=BotCommandScopeAllGroupChats(), language_code=lang)
    game.restore(app)
    trainer.restore(app)
    study.restore(app)
    rerun = await replay_unfinished(app)
    await report_interrupted_uploads(app, rerun)


async def seen(update: Update, context: CoachContext) -> None:
    """Before any handler: who may receive private messages, and who is in which team group."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return
    store = context.services.store
    try:
        if chat.type == ChatType.PRIVATE:
            store.mark_reachable(user.id)
        else:
            store.seen_member(chat.id, user.id, user.full_name or user.username or str(user.id))
    except StoreUnwritable:
        pass  # bookkeeping: the handler that answers says what could not be saved, once


async def _post_shutdown(app: Application) -> None:
    app.bot_data["services"].close()


# --------------------------------------------------------------------------- factory
def build_application(services: Services, *, request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None) -> Application:
    """The one wiring point, used by production and by the tests (with a fake Bot API request)."""
    settings = services.settings
    if settings.telegram_token is None:
        raise ValueError("SALESCOACH_TELEGRAM_TOKEN is not set")
    health = StoreHealth(settings.admin_ids)
    builder = (
        ApplicationBuilder()
        .application_class(JournaledApplication)
        .update_queue(JournalingQueue(services.store, health))  # every update stored before Telegram is told we have it
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        .context_types(ContextTypes(context=CoachContext))
        # One message per 1/29 s with no burst: a bucket of 30 that refills at 30/s lets ~60 through in a
        # second under load (measured: 59 with 20 users at once); Telegram asks for ~30 a second at most.
        .rate_limiter(AIORateLimiter(overall_max_rate=1, overall_time_period=1 / MESSAGES_PER_SECOND, max_retries=3))
        # Many at once: each user's work is serialised in Services.run, and sends pass the rate limiter.
        .concurrent_updates(64)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    builder = builder.request(RetryingRequest(request or HTTPXRequest(connection_pool_size=32, read_timeout=20)))
    builder = builder.get_updates_request(RetryingRequest(get_updates_request or HTTPXRequest(read_timeout=30)))
    app = builder.build()
    app.bot_data["services"] = services

    # Group -1: bookkeeping every update passes through (never answers).
    app.add_handler(TypeHandler(Update, seen), group=-1)
    # Group 0: commands, from new messages only: editing an old "/endgame" or "/exam" must not run it again.
    def command(name: str, callback) -> CommandHandler:
        return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)

    app.add_handler(command("start", start))
    app.add_handler(command("help", help_command))
    app.add_handler(command("lang", lang_command))
    app.add_handler(command("ask", ask_command))
    app.add_handler(command("kb", kb_command))
    app.add_handler(command("reload", reload_command))
    app.add_handler(command("roleplay", roleplay.roleplay_command))
    app.add_handler(command("hint", roleplay.hint_command))
    app.add_handler(command("end", roleplay.end_command))
    app.add_handler(command("history", roleplay.history_command))
    app.add_handler(command("learn", study.learn_command))
    app.add_handler(command("quiz", study.quiz_command))
    app.add_handler(command("review", study.review_command))
    app.add_handler(command("progress", study.progress_command))
    app.add_handler(command("exam", study.exam_command))
    app.add_handler(command("remind", study.remind_command))
    app.add_handler(command("game", game.game_command))
    app.add_handler(command("pause", game.pause_command))
    app.add_handler(command("resume", game.resume_command))
    app.add_handler(command("extend", game.extend_command))
    app.add_handler(command("endgame", game.endgame_command))
    app.add_handler(command("assign", trainer.assign_command))
    app.add_handler(command("team", trainer.team_command))
    app.add_handler(command("leaderboard", trainer.leaderboard_command))
    app.add_handler(command("export", trainer.export_command))
    # Group 0: buttons and inline mode.
    app.add_handler(CallbackQueryHandler(roleplay.on_button, pattern=r"^rp:"))
    app.add_handler(CallbackQueryHandler(game.on_button, pattern=r"^g:"))
    app.add_handler(CallbackQueryHandler(study.on_button, pattern=r"^st:"))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(inline_query))
    # Group 0: plain messages, private first, then groups.
    # An edit arrives as an update of its own: it is neither a new role-play turn nor a new game line.
    new = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text))
    app.add_handler(MessageHandler(new & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text))
    # Group 0: edited messages, handled on purpose (a game line is replaced, a role-play turn is not replayed).
    edited = filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited & filters.ChatType.PRIVATE & filters.TEXT, edited_private))
    app.add_handler(MessageHandler(edited & filters.ChatType.GROUPS & filters.TEXT, game.record_edit))
    # An edited caption of an uploaded file arrives as an edited message with the document: not a new upload.
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.COMMAND
                                   & ~filters.StatusUpdate.ALL, unsupported))
    app.add_error_handler(on_error)
    return app


# --------------------------------------------------------------------------- start-up checks
async def check_bot_api(settings: Settings, *, request: BaseRequest | None = None,
                        notify: str | None = None) -> str:
    """getMe before anything slow is loaded: the bot's @username, or StartupError in one line (the token
    masked). With `notify`, that text also goes to every admin (a start-up problem they should know of)."""
    token = settings.telegram_token.get_secret_value()
    bot = Bot(token, base_url=settings.telegram_api_url,
              request=request or HTTPXRequest(connect_timeout=5, read_timeout=10))
    try:
        async with bot:  # initialize() calls getMe
            for admin in settings.admin_ids if notify else ():
                try:
                    await bot.send_message(admin, notify)
                except TelegramError as exc:
                    log.warning("could not tell admin %s: %s", admin, exc)
            return bot.username
    except InvalidToken:
        raise StartupError(f"SALESCOACH_TELEGRAM_TOKEN={mask_secret(token)}: Telegram rejected this token; "
                           "copy it again from @BotFather, for example 123456789:AAH…") from None
    except NetworkError as exc:  # TimedOut is a NetworkError
        reason = str(exc).replace(token, mask_secret(token))
        raise StartupError(f"the Bot API at SALESCOACH_TELEGRAM_API_URL={settings.telegram_api_url} cannot be "
                           f"reached ({reason}); check the network or the URL, for example "
                           "https://api.telegram.org/bot") from None
    except TelegramError as exc:
        reason = str(exc).replace(token, mask_secret(token))
        raise StartupError(f"the Bot API at {settings.telegram_api_url} refused getMe: {reason}") from None


def run(services: Services) -> None:
    """Long polling by default; a webhook server when SALESCOACH_WEBHOOK_URL is set."""
    settings = services.settings
    app = build_application(services)
    try:
        _run(app, settings)
    except InvalidToken:  # revoked between the start-up check and now
        raise StartupError(f"SALESCOACH_TELEGRAM_TOKEN={mask_secret(settings.telegram_token)}: Telegram "
                           "rejected this token; copy it again from @BotFather") from None
    except NetworkError as exc:
        raise StartupError(f"the Bot API at {settings.telegram_api_url} cannot be reached: {exc}") from None


def _run(app: Application, settings: Settings) -> None:
    if settings.webhook_url:
        path = hashlib.sha256(settings.telegram_token.get_secret_value().encode()).hexdigest()[:32]
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=f"{settings.webhook_url.rstrip('/')}/{path}",
            secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


__all__ = ["CoachContext", "build_application", "run"]
