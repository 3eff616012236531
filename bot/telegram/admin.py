"""What admins do in the chat: send a file to add it to the knowledge base (with progress in one message and
a report at the next start of any upload a crash interrupted), /kb to list what is in it, /reload to re-read
knowledge/ after editing articles on the server."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.chat.i18n import t
from bot.kb.errors import KnowledgeBaseError
from bot.services import Services
from bot.telegram import render
from bot.telegram.context import CoachContext, send_html

log = logging.getLogger(__name__)


def _is_admin(update: Update, context: CoachContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admin_ids


async def on_document(update: Update, context: CoachContext) -> None:
    """An admin sends a file: it is read, indexed and answered from, with progress in one message.

    The file is parsed in a child process with time and memory limits (bot.kb.extract), so no file
    stalls anyone else; it goes into the uploads' namespace, so it never replaces a bundled article;
    and every stage is stored, so an upload a crash interrupted is reported at the next start.
    """
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
    try:
        await status.edit_text(text)
    except TelegramError:
        log.warning("could not edit the upload status message; sending a new one", exc_info=True)
        await status.get_bot().send_message(status.chat_id, text)


async def report_interrupted_uploads(app: Application, rerun: list[Update] = ()) -> None:
    """At start: finish the progress message of every upload a crash interrupted, and tell its admin
    (that it is being read again, when its update is among the `rerun` ones from the journal)."""
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
