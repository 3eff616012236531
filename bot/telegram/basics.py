"""The basics every user meets: /start (with its deep links), /help, the interface language (its command,
its buttons and the command menus in each language), and what the bot says to what it cannot read. Also the
bookkeeping every update passes through first (`seen`)."""

from __future__ import annotations

import re

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType

from bot.chat.i18n import COMMANDS, GROUP_COMMANDS, LANG_NAMES, LANGS, t
from bot.chat.reply import Button, SetLang, buttons, decode, encode
from bot.store import StoreUnwritable
from bot.telegram import game, roleplay, study
from bot.telegram.context import CoachContext, keyboard

LANG_BUTTON = "^(" + "|".join(re.escape(encode(SetLang(code))) for code in LANGS) + ")$"
"""The callback data of the language buttons; anything else that starts with "lang:" is stale (questions.on_button)."""


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
    await update.effective_message.reply_text(t("welcome", lang), reply_markup=lang_keyboard())


async def help_command(update: Update, context: CoachContext) -> None:
    """What the bot can do."""
    lang = context.lang(update)
    await update.effective_message.reply_text(t("help", lang, bot=context.bot.username))


async def lang_command(update: Update, context: CoachContext) -> None:
    """Offer the three interface languages."""
    await update.effective_message.reply_text(t("choose_lang", context.lang(update)), reply_markup=lang_keyboard())


async def language_chosen(update: Update, context: CoachContext) -> None:
    """A language button: remember the choice, confirm in it, and set this chat's command menu to it."""
    query = update.callback_query
    chosen = decode(query.data).lang  # the handler's pattern (LANG_BUTTON) admits only the three SetLang strings
    context.services.store.set_user_lang(query.from_user.id, chosen)
    await query.answer()
    await query.edit_message_text(t("lang_set", chosen))
    if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
        await context.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS[chosen]],
                                          scope=BotCommandScopeChat(query.message.chat_id))


async def set_command_menus(bot: Bot) -> None:
    """Command menus: zh-CN by default, English for English clients (zh-TW is set per chat when chosen);
    groups get their own shorter menu in the same two languages."""
    await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["zh-CN"]])
    await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["en"]], language_code="en")
    for lang in (None, "en"):  # groups: zh-CN by default, English for English clients
        await bot.set_my_commands([BotCommand(c, d) for c, d in GROUP_COMMANDS[lang or "zh-CN"]],
                                  scope=BotCommandScopeAllGroupChats(), language_code=lang)


async def unsupported(update: Update, context: CoachContext) -> None:
    """Stickers, photos, voice...: say what works instead of staying silent."""
    await update.effective_message.reply_text(t("unsupported", context.lang(update)))


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


def lang_keyboard() -> InlineKeyboardMarkup:
    return keyboard(buttons([Button(LANG_NAMES[code], SetLang(code)) for code in LANGS]))
