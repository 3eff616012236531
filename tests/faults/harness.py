"""What the fault-injection suite drives: the real `python -m bot run` process against a loopback Bot API
(an HTTP server in the test process) and, when asked, a loopback OpenAI-compatible LLM that can hang.

Nothing leaves 127.0.0.1. The Bot API keeps Telegram's semantics that matter here: getUpdates long-polls,
an update stays pending until a later getUpdates asks for an offset past it (that is how a bot confirms),
and every call is recorded with its time so tests can measure what a user would wait.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import psutil

ROOT = Path(__file__).resolve().parents[2]
BOT = {"id": 999, "is_bot": True, "first_name": "Coach", "username": "coach_bot", "can_join_groups": True,
       "can_read_all_group_messages": False, "supports_inline_queries": True}
_SENDS = ("sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendPoll", "stopPoll",
          "editMessageReplyMarkup")


def token() -> str:
    """A token of its own per bot: the token lock is machine-wide and other runs share the machine."""
    return f"{random.randrange(10**8, 10**9)}:AAH-faults-{random.randrange(10**12)}"


class BotAPI:
    """A loopback Telegram Bot API on a free port (threaded HTTP)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.cond = threading.Condition()
        self.pending: list[dict] = []  # updates not yet confirmed
        self.delivered: dict[int, float] = {}  # update_id -> when getUpdates first handed it out
        self.confirmed: dict[int, float] = {}  # update_id -> when an offset past it was asked for
        self.calls: list[tuple[str, float, dict]] = []
        self.files: dict[str, bytes] = {}
        # method, or (method, chat_id) -> calls to it (in that chat) wait until the event is set
        self.hold: dict[str | tuple[str, int], threading.Event] = {}
        self.held = threading.Event()  # set when a call is being held
        self.chat_admins: set[int] = set()
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(10_000)
        self.polls = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes on a kept-alive connection: with Nagle's algorithm on, the
            # body waits for the bot's delayed ACK (~40 ms on Linux), a stall Telegram's servers do not add.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api.handle(self, body)

            def do_GET(self):  # noqa: N802
                api.handle(self, b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def close(self) -> None:
        for event in self.hold.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ HTTP
    def handle(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        path = req.path
        if path.startswith("/file/bot"):
            fid = path.rsplit("/", 1)[-1]
            self._reply(req, 200, self.files.get(fid, b""), raw=True)
            return
        tok, _, method = path.removeprefix("/bot").partition("/")
        if tok != self.token:
            self._reply(req, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        ctype = req.headers.get("Content-Type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
        elif ctype.startswith("application/json"):
            params = json.loads(body or b"{}")
        else:  # multipart (photos, documents): only the chat is read from it
            chat = re.search(rb'name="chat_id"\r\n\r\n(-?\d+)\r\n', body)
            params = {"_multipart": len(body), **({"chat_id": chat.group(1).decode()} if chat else {})}
        now = time.perf_counter()
        if method != "getUpdates":
            with self.cond:
                self.calls.append((method, now, params))
                self.cond.notify_all()
        gate = self.hold.get(method) or self.hold.get((method, int(params.get("chat_id") or 0)))
        if gate is not None and not gate.is_set():
            self.held.set()
            gate.wait(120)
        status, result = self.answer(method, params)
        self._reply(req, status, {"ok": True, "result": result} if status == 200 else result)

    def _reply(self, req, status: int, payload, *, raw: bool = False) -> None:
        data = payload if raw else json.dumps(payload).encode()
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)
        except OSError:  # the bot was killed mid-call
            pass

    def answer(self, method: str, params: dict) -> tuple[int, object]:
        if method == "getMe":
            return 200, BOT
        if method == "getUpdates":
            return 200, self._get_updates(params)
        if method in _SENDS:
            chat_id = int(params.get("chat_id", 0) or 0)
            return 200, {"message_id": int(params.get("message_id") or next(self._msg_ids)), "date": int(time.time()),
                         "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                         "from": BOT, "text": params.get("text", "")}
        if method == "getFile":
            fid = params["file_id"]
            data = self.files.get(fid, b"")
            if len(data) > 20 * 1024 * 1024:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}
            return 200, {"file_id": fid, "file_unique_id": fid, "file_size": len(data), "file_path": fid}
        if method == "getChatMember":
            uid = int(params["user_id"])
            status = "administrator" if uid in self.chat_admins else "member"
            extra = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                     "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                     "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                     "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False}
            return 200, {"status": status, "user": {"id": uid, "is_bot": False, "first_name": f"U{uid}"},
                         **(extra if status == "administrator" else {})}
        return 200, True

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self.cond:
            self.polls += 1
            now = time.perf_counter()
            for u in self.pending:
                if u["update_id"] < offset:
                    self.confirmed.setdefault(u["update_id"], now)
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            self.cond.notify_all()
            while not self.pending and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            batch = list(self.pending[:100])
            now = time.perf_counter()
            for u in batch:
                self.delivered.setdefault(u["update_id"], now)
            return batch

    # ------------------------------------------------------------------ what users do
    def push(self, kind: str, payload: dict) -> int:
        with self.cond:
            update_id = next(self._ids)
            self.pending.append({"update_id": update_id, kind: payload})
            self.cond.notify_all()
        return update_id

    def push_raw(self, update: dict) -> int:
        """A forged update, as is (its update_id is assigned)."""
        with self.cond:
            update_id = next(self._ids)
            self.pending.append({**update, "update_id": update_id})
            self.cond.notify_all()
        return update_id

    def say(self, text: str, *, uid: int = 42, chat_id: int | None = None, chat_type: str = "private",
            lang: str = "zh-hans", edit_of: dict | None = None) -> int:
        msg = self.message(text, uid=uid, chat_id=chat_id, chat_type=chat_type, lang=lang)
        if edit_of is not None:
            msg = {**edit_of, "text": text, "edit_date": int(time.time())}
            return self.push("edited_message", msg)
        return self.push("message", msg)

    def message(self, text: str, *, uid: int = 42, chat_id: int | None = None, chat_type: str = "private",
                lang: str = "zh-hans") -> dict:
        chat_id = uid if chat_id is None else chat_id
        msg = {"message_id": next(self._msg_ids), "date": int(time.time()), "text": text,
               "chat": {"id": chat_id, "type": chat_type, **({"title": "Team"} if chat_type != "private" else {})},
               "from": {"id": uid, "is_bot": False, "first_name": f"Rep{uid}", "language_code": lang}}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return msg

    def press(self, data: str, *, uid: int = 42, chat_id: int | None = None) -> int:
        chat_id = uid if chat_id is None else chat_id
        msg = {"message_id": 5, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"}, "from": BOT, "text": "x"}
        return self.push("callback_query", {"id": f"cq{next(self._ids)}", "from": {"id": uid, "is_bot": False,
                         "first_name": f"Rep{uid}", "language_code": "zh-hans"}, "chat_instance": "ci",
                         "data": data, "message": msg})

    def upload(self, name: str, data: bytes, *, uid: int = 1, with_size: bool = True,
               caption: str | None = None) -> tuple[int, dict]:
        fid = f"f{next(self._ids)}"
        self.files[fid] = data
        meta = {"file_id": fid, "file_unique_id": fid, "file_name": name, **({"file_size": len(data)} if with_size else {})}
        msg = {"message_id": next(self._msg_ids), "date": int(time.time()), "chat": {"id": uid, "type": "private"},
               "from": {"id": uid, "is_bot": False, "first_name": "Admin"}, "document": meta,
               **({"caption": caption} if caption else {})}
        return self.push("message", msg), msg

    # ------------------------------------------------------------------ what users see
    def sent(self, chat_id: int | None = None, method: str = "sendMessage", since: float = 0.0) -> list[dict]:
        with self.cond:
            return [p for m, t, p in self.calls if m == method and t >= since
                    and (chat_id is None or int(p.get("chat_id", 0) or 0) == chat_id)]

    def wait_for(self, predicate, timeout: float = 20.0):
        """Wait until predicate() is truthy (checked whenever a call arrives); its value, or AssertionError."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s; last calls: {self.calls[-5:]}")
                self.cond.wait(min(left, 0.2))

    def reply_to(self, chat_id: int, since: float, timeout: float = 20.0, method: str = "sendMessage") -> dict:
        return self.wait_for(lambda: (s := self.sent(chat_id, method, since)) and s[0], timeout)

    def now(self) -> float:
        return time.perf_counter()


class BotProcess:
    """`python -m bot run` in a child process (its own session, so kill -9 takes nothing else)."""

    def __init__(self, api: BotAPI, data_dir: Path, **env: str) -> None:
        self.api, self.data_dir = api, data_dir
        self.env = {**os.environ, "SALESCOACH_TELEGRAM_TOKEN": api.token, "SALESCOACH_TELEGRAM_API_URL": api.url,
                    "SALESCOACH_DATA_DIR": str(data_dir), "SALESCOACH_EMBEDDING_MODEL": "fake",
                    "SALESCOACH_LLM_PROVIDER": "none", "SALESCOACH_ADMIN_IDS": "1", "SALESCOACH_TRAINER_IDS": "7",
                    "PYTHONUNBUFFERED": "1", **{f"SALESCOACH_{k}": v for k, v in env.items()}}
        self.proc: subprocess.Popen | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"

    def with_kb(self, built_kb: Path) -> BotProcess:
        """Start on a copy of an already built knowledge base (building it costs each first start ~5 s)."""
        shutil.copytree(built_kb, self.data_dir / "kb")
        return self

    def start(self, *, wait: bool = True, timeout: float = 120.0) -> BotProcess:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        polls = self.api.polls
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            deadline = time.monotonic() + timeout
            while self.api.polls <= polls:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the bot exited with {self.proc.returncode}: {self.output()[-2000:]}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot did not start polling in {timeout} s: {self.output()[-2000:]}")
                time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, and kill -9 if it has not exited within `timeout`: True if it exited by itself."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return False
        return True

    def rss_mb(self) -> float:
        """Resident memory of the bot and its children (the upload reader runs in one)."""
        try:
            proc = psutil.Process(self.proc.pid)
            return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20
        except psutil.NoSuchProcess:
            return 0.0


class LLMStub:
    """A loopback OpenAI-compatible chat server: `mode` is ok, slow (answers after `delay`), hang (accepts,
    reads, never answers), error (500) or close (drops the connection)."""

    def __init__(self, mode: str = "ok", delay: float = 1.0) -> None:
        self.mode, self.delay, self.requests = mode, delay, 0
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes on a kept-alive connection: with Nagle's algorithm on, the
            # body waits for the bot's delayed ACK (~40 ms on Linux), a stall Telegram's servers do not add.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests += 1
                if stub.mode == "hang":
                    stub.release.wait(300)
                    return
                if stub.mode == "close":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if stub.mode == "slow":
                    time.sleep(stub.delay)
                if stub.mode == "error":
                    data, status = b'{"error": {"message": "boom"}}', 500
                else:
                    data, status = json.dumps({
                        "id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": "（模型）按资料处理。[1]"}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode(), 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
