"""`salescoach run` as an operator starts it: every bad setting, a dead Bot API, a second instance or an
unwritable store is one line naming the problem and a non-zero exit, never a traceback or the token."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load_settings
from bot.store.lock import acquire_all, instance_locks

SECRET = "AAH7x9Qe_secretpartofthetoken-0123456789"


def _token() -> str:
    """A token of its own per test: the token lock is machine-wide and other test runs share the machine."""
    return f"{random.randrange(10**8, 10**9)}:{SECRET}"


@pytest.fixture
def env(tmp_path, monkeypatch):
    for name in ("TRAINER_IDS", "ADMIN_IDS", "GAME_MINUTES", "TIMEZONE", "TELEGRAM_TOKEN", "WEBHOOK_URL"):
        monkeypatch.delenv(f"SALESCOACH_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("SALESCOACH_LLM_PROVIDER", "none")
    return monkeypatch


class _BotAPI(BaseHTTPRequestHandler):
    """A loopback Bot API: getMe answers 200 for the good token, 401 for any other; sendMessage is recorded."""

    good: str = ""
    sent: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        token, _, method = self.path.removeprefix("/bot").partition("/")
        if token != self.good:
            status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif method == "getMe":
            status, payload = 200, {"ok": True, "result": {"id": 999, "is_bot": True, "first_name": "Coach",
                                                           "username": "coach_bot"}}
        else:
            type(self).sent.append((method, body))
            status, payload = 200, {"ok": True, "result": {"message_id": 1, "date": 0,
                                                           "chat": {"id": 1, "type": "private"}}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def bot_api():
    token = _token()
    handler = type("Handler", (_BotAPI,), {"good": token, "sent": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot", token, handler
    server.shutdown()
    server.server_close()


def _run(**env) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run"], env={f"SALESCOACH_{k}": v for k, v in env.items()})
    return result.exit_code, result.output


@pytest.mark.parametrize("value", ["900", "900,901", "[900,901]", " 900 , 901 "])
def test_list_settings_accept_the_forms_an_operator_types(env, value):
    env.setenv("SALESCOACH_TRAINER_IDS", value)
    env.setenv("SALESCOACH_ADMIN_IDS", value)
    settings = load_settings(_env_file=None)
    assert settings.trainer_ids == settings.admin_ids == ([900] if value == "900" else [900, 901])


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("GAME_MINUTES", "-1", "SALESCOACH_GAME_MINUTES='-1': Input should be greater than 0; "
                           "for example SALESCOACH_GAME_MINUTES=30"),
    ("TIMEZONE", "Mars/Phobos", "SALESCOACH_TIMEZONE='Mars/Phobos': unknown time zone (an IANA name is expected); "
                                "for example SALESCOACH_TIMEZONE=Asia/Shanghai"),
    ("TRAINER_IDS", "900;abc", "SALESCOACH_TRAINER_IDS='abc': Input should be a valid integer"),
    ("GAME_REMINDERS", "10,-5", "SALESCOACH_GAME_REMINDERS='10,-5': every reminder must be a positive number"),
    ("WEBHOOK_PORT", "99999", "SALESCOACH_WEBHOOK_PORT='99999': Input should be less than or equal to 65535"),
])
def test_a_bad_setting_is_one_line_with_its_name_value_and_an_example(env, name, value, expected):
    code, output = _run(**{name: value, "TELEGRAM_TOKEN": _token()})
    assert code == 2
    assert expected in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_a_malformed_token_is_named_but_never_printed(env):
    code, output = _run(TELEGRAM_TOKEN=f"not a token {SECRET}")
    assert code == 2
    assert output.startswith("✗ SALESCOACH_TELEGRAM_TOKEN=")
    assert "not a bot token" in output
    assert "for example SALESCOACH_TELEGRAM_TOKEN=123456789:AAH" in output
    assert SECRET not in output
    assert SECRET[:8] not in output


def test_a_token_telegram_rejects_is_one_line_and_never_printed_nor_logged(env, bot_api, caplog):
    url, _, _ = bot_api
    wrong = _token()
    code, output = _run(TELEGRAM_TOKEN=wrong, TELEGRAM_API_URL=url)
    assert code == 1
    assert "Telegram rejected this token" in output
    assert wrong.split(":")[0] in output  # the public bot id tells the operator which bot
    assert SECRET not in output
    assert SECRET not in caplog.text
    assert len(output.strip().splitlines()) == 1


def test_an_unreachable_bot_api_is_one_line(env):
    code, output = _run(TELEGRAM_TOKEN=_token(), TELEGRAM_API_URL="http://127.0.0.1:9/bot")
    assert code == 1
    assert "the Bot API at SALESCOACH_TELEGRAM_API_URL=http://127.0.0.1:9/bot cannot be reached" in output
    assert "Traceback" not in output
    assert SECRET not in output


def test_an_unusable_data_dir_is_one_line(env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, output = _run(TELEGRAM_TOKEN=_token(), DATA_DIR=str(blocker / "data"))
    assert code == 1
    assert f"SALESCOACH_DATA_DIR={blocker / 'data'}: cannot be used (" in output
    assert "Traceback" not in output


def test_an_unwritable_store_is_said_at_start_up_and_to_the_admins(env, bot_api, tmp_path):
    url, token, api = bot_api
    data = tmp_path / "data"
    (data / "state.sqlite").mkdir(parents=True)  # root ignores chmod: a folder where the file goes cannot be opened
    code, output = _run(TELEGRAM_TOKEN=token, TELEGRAM_API_URL=url, ADMIN_IDS="1,2", DATA_DIR=str(data))
    assert code == 1
    assert f"the store {data / 'state.sqlite'} cannot be written" in output
    assert "Traceback" not in output
    told = [json.loads(body) if body.startswith("{") else dict(parse_qsl(body))
            for method, body in api.sent if method == "sendMessage"]
    assert sorted(int(m["chat_id"]) for m in told) == [1, 2]
    assert all(m["text"].startswith("⚠️ salescoach 无法启动：the store ") for m in told)


@pytest.mark.parametrize("webhook", [None, "https://coach.example.com/tg"])
def test_a_second_instance_on_the_same_data_dir_and_token_says_so_and_exits(env, tmp_path, webhook):
    token = _token()
    first = acquire_all(instance_locks(tmp_path / "data", token))  # the running bot
    try:
        extra = {"WEBHOOK_URL": webhook} if webhook else {}
        code, output = _run(TELEGRAM_TOKEN=token, **extra)
        assert code == 3
        assert f"salescoach is already running on the data dir {tmp_path / 'data'} (pid " in output
        assert "stop that one first" in output
        assert "Traceback" not in output
        # Another data dir with the same token would steal the first one's updates: refused too.
        code, output = _run(TELEGRAM_TOKEN=token, DATA_DIR=str(tmp_path / "other"), **extra)
        assert code == 3
        assert "salescoach is already running with this bot token" in output
        assert SECRET not in output
    finally:
        for lock in first:
            lock.release()


def test_the_lock_dies_with_its_process(tmp_path):
    """kill -9 leaves no stale lock: the kernel drops a flock with its process."""
    import subprocess
    import sys

    token = _token()
    code = ("import sys, os, signal; from pathlib import Path; from bot.store.lock import acquire_all, instance_locks;"
            f"acquire_all(instance_locks(Path({str(tmp_path)!r}), {token!r})); print('locked', flush=True);"
            "os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "locked" in proc.stdout
    locks = acquire_all(instance_locks(tmp_path, token))
    for lock in locks:
        lock.release()


def test_a_lock_file_that_cannot_be_opened_is_one_line_and_a_planted_symlink_is_not_followed(tmp_path):
    """The token's lock lives in the shared temp dir, where anyone may plant a file or a symlink under its name."""
    from bot.store.lock import InstanceLock, LockUnavailable

    victim = tmp_path / "victim"
    victim.write_text("keep me")
    planted = tmp_path / "salescoach-bot-0123456789abcdef.lock"
    planted.symlink_to(victim)
    with pytest.raises(LockUnavailable, match="cannot open the lock file .* that keeps salescoach to one instance"):
        InstanceLock(planted, "with this bot token").acquire()
    assert victim.read_text() == "keep me"


def test_log_lines_and_tracebacks_never_carry_the_token(env, caplog):
    """PTB's InvalidToken quotes the token; every log handler masks it once `run` has read the settings."""
    import logging

    from telegram.error import InvalidToken

    from bot.cli import _RedactSecrets

    token = _token()
    handler = logging.StreamHandler(stream := __import__("io").StringIO())
    handler.addFilter(_RedactSecrets([token]))
    log = logging.getLogger("telegram.test")
    log.addHandler(handler)
    try:
        try:
            raise InvalidToken(f"The token `{token}` was rejected by the server.")
        except InvalidToken:
            log.exception("start failed for %s", token)
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "InvalidToken" in text
    assert f"{token.split(':')[0]}:…" in text
    assert SECRET not in text
