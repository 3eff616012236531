"""A fake Telegram Bot API for tests and benchmarks: an in-process request class (in the style of
PTB's own OfflineRequest) that answers the methods the bot calls and records every call with its
time, plus helpers that build incoming updates. Nothing here touches the network."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from telegram import Update
from telegram.request import BaseRequest, RequestData

BOT = {"id": 999, "is_bot": True, "first_name": "Coach", "username": "coach_bot", "can_join_groups": True,
       "can_read_all_group_messages": False, "supports_inline_queries": True}


BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses larger files
_MESSAGE_METHODS = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendPoll", "stopPoll",
                    "editMessageReplyMarkup"}


class FakeBotAPI(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.times: list[tuple[str, float, dict]] = []  # (method, perf_counter(), params)
        self._ids = itertools.count(1000)
        self.files: dict[str, bytes] = {}  # file_id -> content, served by getFile + download
        self.failures: list[object] = []  # next calls fail: an HTTP status (e.g. 502) or an exception
        self.updates: list[dict] = []  # served by getUpdates, for tests that run the real polling loop
        self.chat_admins: set[int] = set()  # getChatMember answers "administrator" for these user ids
        self.blocked: set[int] = set()  # chats that answer 403 (the user never opened a private chat)
        self.uploads: list[tuple[str, dict]] = []  # calls that uploaded files (params["_files"]: name -> bytes)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url, method, request_data: RequestData | None = None, read_timeout=None,
                         write_timeout=None, connect_timeout=None, pool_timeout=None):
        if self.failures:
            failure = self.failures.pop(0)
            self.calls.append((url.rsplit("/", 1)[-1] + ":failed", {}))
            if isinstance(failure, BaseException):
                raise failure
            return int(failure), json.dumps({"ok": False, "error_code": failure, "description": "Bad Gateway"}).encode()
        if "/file/bot" in url:  # a file download
            return 200, self.files[url.rsplit("/", 1)[-1]]
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if name.startswith("send") and int(params.get("chat_id", 0) or 0) in self.blocked:
            self.calls.append((name + ":forbidden", params))
            return 403, json.dumps({"ok": False, "error_code": 403,
                                    "description": "Forbidden: bot can't initiate conversation with a user"}).encode()
        self.calls.append((name, params))
        self.times.append((name, time.perf_counter(), params))
        if name == "getMe":
            result: object = BOT
        elif name in _MESSAGE_METHODS:
            if request_data is not None and request_data.multipart_data:
                params["_files"] = {k: v[1] for k, v in request_data.multipart_data.items()}
                self.uploads.append((name, params))
            chat_id = int(params.get("chat_id", 0))
            result = {"message_id": int(params.get("message_id") or next(self._ids)), "date": int(time.time()),
                      "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                      "from": BOT, "text": params.get("text", "")}
            fid = f"sent{next(self._ids)}"
            if name == "sendPhoto":
                result["photo"] = [{"file_id": fid, "file_unique_id": fid, "width": 800, "height": 600}]
            elif name == "sendDocument":
                result["document"] = {"file_id": fid, "file_unique_id": fid}
            elif name in ("sendPoll", "stopPoll"):
                options = params.get("options") or []
                options = json.loads(options) if isinstance(options, str) else options
                result["poll"] = {"id": fid, "question": params.get("question", ""), "total_voter_count": 0,
                                  "options": [{"text": o if isinstance(o, str) else o["text"], "voter_count": 0}
                                              for o in options],
                                  "is_closed": name == "stopPoll", "is_anonymous": False, "type": "regular",
                                  "allows_multiple_answers": False}
                if name == "stopPoll":
                    result = result["poll"]
        elif name == "getChatMember":
            uid = int(params["user_id"])
            result = {"status": "administrator" if uid in self.chat_admins else "member",
                      "user": {"id": uid, "is_bot": False, "first_name": f"User{uid}"},
                      **({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                          "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                          "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                          "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False}
                         if uid in self.chat_admins else {})}
        elif name == "getFile":
            fid = params["file_id"]
            if len(self.files[fid]) > BOT_DOWNLOAD_LIMIT:  # what Telegram answers for files bots may not fetch
                return 400, json.dumps({"ok": False, "error_code": 400,
                                        "description": "Bad Request: file is too big"}).encode()
            result = {"file_id": fid, "file_unique_id": fid, "file_size": len(self.files[fid]), "file_path": fid}
        elif name == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            result = list(self.updates)
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # what a user would see ------------------------------------------------------------
    def sent(self, method: str = "sendMessage") -> list[dict]:
        return [p for name, p in self.calls if name == method]

    def texts(self) -> list[str]:
        return [p["text"] for p in self.sent()]

    def push(self, update: Update) -> None:
        """Queue an incoming update for the bot's getUpdates polling."""
        self.updates.append(update.to_dict())

    def clear(self) -> None:
        self.calls.clear()
        self.times.clear()


class WatchedBotAPI(FakeBotAPI):
    """The fake Bot API for drivers that put updates on a running application's queue and wait, as a user
    does, for the reply (`await api.reply(...)`), instead of awaiting the handlers."""

    REPLIES = frozenset({"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendPoll"})

    def __init__(self) -> None:
        super().__init__()
        self._arrived: asyncio.Condition | None = None

    async def do_request(self, *args, **kwargs):
        result = await super().do_request(*args, **kwargs)
        async with self._condition():
            self._condition().notify_all()
        return result

    def _condition(self) -> asyncio.Condition:
        if self._arrived is None:
            self._arrived = asyncio.Condition()
        return self._arrived

    def first_reply(self, since: int, chat_id: int, callback_id: str | None = None) -> tuple[float, dict] | None:
        """The first reply among the calls after call number `since` (`len(api.times)` when the update went
        in): a message to the chat, or the answer with text to the button `callback_id`; (time, params)."""
        for name, t, params in self.times[since:]:
            if name in self.REPLIES and int(params.get("chat_id", 0) or 0) == chat_id:
                return t, {**params, "_method": name}
            if (callback_id is not None and name == "answerCallbackQuery"
                    and params.get("callback_query_id") == callback_id and params.get("text")):
                return t, {**params, "_method": name}
        return None

    async def reply(self, since: int, chat_id: int, callback_id: str | None = None) -> tuple[float, dict]:
        """Wait for `first_reply` (bound it with `asyncio.timeout`)."""
        async with self._condition():
            await self._condition().wait_for(lambda: self.first_reply(since, chat_id, callback_id))
        return self.first_reply(since, chat_id, callback_id)  # type: ignore[return-value]


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def user(uid: int = 42, lang: str = "zh-hans") -> dict:
    return {"id": uid, "is_bot": False, "first_name": f"Rep{uid}", "language_code": lang}


def message(bot, text: str, *, uid: int = 42, chat_id: int | None = None, chat_type: str = "private",
            lang: str = "zh-hans", reply_to_bot: bool = False, reply_to_uid: int | None = None) -> Update:
    chat_id = chat_id if chat_id is not None else uid
    msg = {"message_id": next(_message_ids), "date": int(time.time()), "text": text,
           "chat": {"id": chat_id, "type": chat_type, **({"title": "Sales team"} if chat_type != "private" else {})},
           "from": user(uid, lang)}
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if reply_to_bot:
        msg["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": msg["chat"], "from": BOT,
                                   "text": "earlier answer"}
    elif reply_to_uid is not None:
        msg["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": msg["chat"],
                                   "from": user(reply_to_uid), "text": "earlier message"}
    return Update.de_json({"update_id": next(_update_ids), "message": msg}, bot)


def edited(bot, original: Update, text: str) -> Update:
    """The update Telegram sends when the author of `original` edits it to `text`."""
    msg = original.message.to_dict()
    msg.update(text=text, edit_date=int(time.time()))
    msg.pop("entities", None)
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json({"update_id": next(_update_ids), "edited_message": msg}, bot)


def document(bot, api: FakeBotAPI, name: str, data: bytes, *, uid: int = 1, with_size: bool = True) -> Update:
    """An uploaded file; ``with_size=False`` leaves out ``file_size``, as Telegram sometimes does."""
    fid = f"f{next(_message_ids)}"
    api.files[fid] = data
    meta = {"file_id": fid, "file_unique_id": fid, "file_name": name}
    if with_size:
        meta["file_size"] = len(data)
    msg = {"message_id": next(_message_ids), "date": int(time.time()), "chat": {"id": uid, "type": "private"},
           "from": user(uid), "document": meta}
    return Update.de_json({"update_id": next(_update_ids), "message": msg}, bot)


def button(bot, data: str, *, uid: int = 42, chat_id: int | None = None, lang: str = "zh-hans") -> Update:
    chat_id = chat_id if chat_id is not None else uid
    msg = {"message_id": 5, "date": int(time.time()),
           "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"}, "from": BOT, "text": "answer"}
    return Update.de_json({"update_id": next(_update_ids), "callback_query": {
        "id": str(next(_update_ids)), "from": user(uid, lang), "chat_instance": "ci", "data": data,
        "message": msg}}, bot)


def inline(bot, query: str, *, uid: int = 42, lang: str = "zh-hans") -> Update:
    return Update.de_json({"update_id": next(_update_ids), "inline_query": {
        "id": str(next(_update_ids)), "from": user(uid, lang), "query": query, "offset": ""}}, bot)
