"""The application: the one wiring factory (handlers in ordered, commented groups), its lifecycle (start-up
checks, post_init / post_shutdown, polling or webhook) and the one error handler. The handlers live in their
feature modules: basics (start, help, language), questions (knowledge answers, their buttons, inline mode),
messages (what a text is), admin (uploads, /kb, /reload), roleplay, study, game and trainer."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time

from telegram import Bot, Update
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

from bot.chat.i18n import guess_lang, t
from bot.config import Settings, StartupError, mask_secret
from bot.services import Services
from bot.store import StoreUnwritable
from bot.telegram import admin, basics, game, messages, questions, roleplay, study, trainer
from bot.telegram.context import CoachContext
from bot.telegram.health import StoreHealth
from bot.telegram.inbox import JournaledApplication, JournalingQueue, replay_unfinished
from bot.telegram.retry import RetryingRequest

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- errors
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


# --------------------------------------------------------------------------- lifecycle
async def _post_init(app: Application) -> None:
    """Command menus, and the clocks of running games and the reminders of open assignments, rebuilt from the
    store; then the updates a crash cut off are run again and interrupted uploads reported."""
    await basics.set_command_menus(app.bot)
    game.restore(app)
    trainer.restore(app)
    study.restore(app)
    rerun = await replay_unfinished(app)
    await admin.report_interrupted_uploads(app, rerun)


async def _post_shutdown(app: Application) -> None:
    app.bot_data["services"].close()


# --------------------------------------------------------------------------- factory
MESSAGES_PER_SECOND = 27  # sends to all chats together, under Telegram's ~30/s with room for jitter (29 measured 31 once)
GROUP_MESSAGES_PER_MINUTE = 20  # to one group: Telegram's limit


def rate_limiter(*, group_per_minute: int = GROUP_MESSAGES_PER_MINUTE) -> AIORateLimiter:
    """One message per 1/27 s to all chats together, with no burst: a bucket of 30 that refills at 30/s lets ~60
    through in a second under load (measured: 59 with 20 users at once); Telegram asks for ~30 a second at most.
    A group gets 20 a minute (a burst of 20, then one every 3 s); `group_per_minute=0` turns that pace off (the
    face tests, whose groups would otherwise wait in real seconds)."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / MESSAGES_PER_SECOND,
                          group_max_rate=group_per_minute, group_time_period=60, max_retries=3)


def build_application(services: Services, *, request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None,
                      limiter: AIORateLimiter | None = None) -> Application:
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
        .rate_limiter(limiter or rate_limiter())
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
    app.add_handler(TypeHandler(Update, basics.seen), group=-1)
    # Group 0: commands, from new messages only: editing an old "/endgame" or "/exam" must not run it again.
    def command(name: str, callback) -> CommandHandler:
        return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)

    app.add_handler(command("start", basics.start))
    app.add_handler(command("help", basics.help_command))
    app.add_handler(command("lang", basics.lang_command))
    app.add_handler(command("ask", questions.ask_command))
    app.add_handler(command("kb", admin.kb_command))
    app.add_handler(command("reload", admin.reload_command))
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
    app.add_handler(CallbackQueryHandler(basics.language_chosen, pattern=basics.LANG_BUTTON))
    # Last: an answer's buttons, and any button no handler above took (stale or forged) gets a polite no.
    app.add_handler(CallbackQueryHandler(questions.on_button))
    app.add_handler(InlineQueryHandler(questions.inline_query))
    # Group 0: plain messages, private first, then groups.
    # An edit arrives as an update of its own: it is neither a new role-play turn nor a new game line.
    new, text = filters.UpdateType.MESSAGE, filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & text, messages.private_text))
    app.add_handler(MessageHandler(new & filters.ChatType.GROUPS & text, messages.group_text))
    # Group 0: edited messages, handled on purpose (a game line is replaced, a role-play turn is not replayed).
    edited = filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited & filters.ChatType.PRIVATE & filters.TEXT, messages.edited_private))
    app.add_handler(MessageHandler(edited & filters.ChatType.GROUPS & filters.TEXT, game.record_edit))
    # An edited caption of an uploaded file arrives as an edited message with the document: not a new upload.
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & filters.Document.ALL, admin.on_document))
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.COMMAND
                                   & ~filters.StatusUpdate.ALL, basics.unsupported))
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
