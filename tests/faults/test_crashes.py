"""Crashes, a full disk, a read-only store, two instances, bad settings: against the real bot process.
Each case kills or restarts the bot of its module; the state on disk is what the next start sees."""

from __future__ import annotations

import contextlib
import json
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.store.lock import instance_locks
from bot.telegram.inbox import STOP_GRACE
from tests.faults.harness import ROOT, BotAPI, BotProcess, token


def _turns(bot: BotProcess, text: str) -> int:
    db = sqlite3.connect(bot.data_dir / "state.sqlite")
    try:
        return db.execute("SELECT COUNT(*) FROM roleplay_turns WHERE role = 'rep' AND text = ?", (text,)).fetchone()[0]
    finally:
        db.close()


def _customer_lines(api: BotAPI, uid: int, since: float = 0.0) -> list[str]:
    return [p["text"] for p in api.sent(uid, since=since) if p["text"].startswith("🧑‍💼")]


def _start_roleplay(api: BotAPI, uid: int) -> None:
    t = api.now()
    api.press("rp:go:late-delivery-complaint:normal", uid=uid)
    api.wait_for(lambda: _customer_lines(api, uid, t), timeout=15)


# ----------------------------------------------------------------------------- kill -9 at chosen points
@pytest.mark.parametrize("point", ["delivered", "confirmed", "reply-in-flight"])
def test_kill_9_after_a_role_play_turn_loses_nothing(fresh, point):
    """delivered: the bot just fetched the turn; confirmed: it already asked for the next offset (Telegram
    forgets the turn); reply-in-flight: the turn is stored and the customer's reply is on its way."""
    api, bot = fresh
    bot.start()
    uid, text = 301, "非常抱歉给您添麻烦了，这是我们的责任，我马上核实发货情况。"
    _start_roleplay(api, uid)
    if point == "reply-in-flight":
        api.hold["sendMessage"] = threading.Event()
    update_id = api.say(text, uid=uid)
    if point == "delivered":
        api.wait_for(lambda: update_id in api.delivered, timeout=10)
    elif point == "confirmed":
        api.wait_for(lambda: update_id in api.confirmed, timeout=10)
    else:
        assert api.held.wait(15)
        time.sleep(0.2)
    bot.kill9()
    api.hold.clear()
    t = api.now()
    bot.start()
    line = api.wait_for(lambda: _customer_lines(api, uid, t), timeout=20)[0]
    assert line
    assert _turns(bot, text) == 1  # stored once, never played twice


def test_an_update_that_crashes_the_bot_every_time_is_tried_three_times_then_dropped_and_its_sender_told(fresh):
    """Its handling brings the bot down each time it reaches its reply (kill -9 there); the journal re-runs it
    at each start, at most three attempts in all, then drops it with a log line and tells its sender once."""
    api, bot = fresh
    poison, other = 351, 352
    bot.start()
    gate = api.hold[("sendMessage", poison)] = threading.Event()
    start = api.now()
    update_id = api.say("客户说价格太高怎么回应？", uid=poison)
    for attempt in (1, 2, 3):
        assert api.held.wait(30), f"attempt {attempt} never reached its reply"
        if attempt == 1:  # others are served while it hangs
            t = api.now()
            api.say("怎么做需求挖掘？", uid=other)
            assert "来源" in api.reply_to(other, t)["text"]
        api.held.clear()
        bot.kill9()
        if attempt == 3:  # a fourth attempt would now get through, and be seen
            del api.hold[("sendMessage", poison)]
            gate.set()
        bot.start()
    told = api.wait_for(lambda: [x for x in _texts(api, poison, start) if x.startswith("⚠️")], timeout=20)
    assert told == ["⚠️ 你发的消息「客户说价格太高怎么回应？」处理了 3 次都没能完成，已经放弃。请换个说法再发，或者告诉管理员。"]
    t = api.now()
    api.say("客户一直催货怎么办？", uid=other)  # the bot goes on serving
    assert "来源" in api.reply_to(other, t)["text"]
    answers = [x for x in _texts(api, poison, start) if "来源" in x]
    assert len(answers) == 3  # one per attempt, each cut off by the crash; no fourth
    dropped = [line for line in bot.output().splitlines() if f"journaled update {update_id} " in line]
    assert len(dropped) == 1
    assert "dropped: its handling was cut off 3 times" in dropped[0]


def _scorecards(api: BotAPI, uid: int, since: float) -> list[str]:
    return [x for x in _texts(api, uid, since) if "总分：" in x]


def test_kill_9_right_after_the_turn_that_ended_a_role_play_sends_its_scorecard_once_and_nothing_new(fresh):
    """One rep's last turn made the customer leave, another sent /end; the bot died while their endings went
    out (the customer's last line; the chart after the scorecard). The journal re-runs both updates: the
    rest of each ending arrives, the scorecard exactly once; neither is read as a question or a new turn."""
    api, bot = fresh
    left, ender = 361, 362
    bot.start()
    for uid in (left, ender):
        _start_roleplay(api, uid)
    for uid, text in ((left, "嗯"), (left, "嗯"), (ender, "韩经理，真对不起，这次延误是我们的责任，给您添麻烦了。")):
        t = api.now()
        api.say(text, uid=uid)
        api.wait_for(lambda uid=uid, t=t: _customer_lines(api, uid, t))
    start = api.now()
    api.hold[("sendMessage", left)] = threading.Event()  # the customer's parting line is on its way
    api.hold[("sendPhoto", ender)] = threading.Event()  # the scorecard is out, the chart on its way
    api.say("嗯", uid=left)  # a third turn that says nothing: the customer leaves
    api.say("/end", uid=ender)
    api.wait_for(lambda: api.sent(left, since=start) and api.sent(ender, "sendPhoto", since=start), timeout=20)
    assert _scorecards(api, ender, start)
    bot.kill9()
    for gate in api.hold.values():
        gate.set()
    api.hold.clear()
    restart = api.now()
    bot.start()
    api.wait_for(lambda: _scorecards(api, left, restart) and api.sent(ender, "sendPhoto", since=restart), timeout=20)
    time.sleep(1.0)  # whatever else the re-runs would send comes now
    for uid in (left, ender):
        texts = _texts(api, uid, start)
        assert len(_scorecards(api, uid, start)) == 1, texts
        assert not [x for x in texts if "来源" in x or "客户听不到了" in x or x.startswith("现在没有进行中的练习")], texts
    assert _texts(api, ender, restart) == []  # only the chart was missing
    assert len(api.sent(ender, "sendPhoto", since=restart)) == 1
    db = sqlite3.connect(bot.data_dir / "state.sqlite")
    try:
        sessions = db.execute("SELECT user_id, status FROM roleplays WHERE user_id IN (?, ?) ORDER BY user_id",
                              (left, ender)).fetchall()
        unfinished = db.execute("SELECT COUNT(*) FROM inbox WHERE done IS NULL").fetchone()[0]
    finally:
        db.close()
    assert sessions == [(left, "ended"), (ender, "ended")]  # nothing new was started
    assert unfinished == 0


def test_kill_9_while_an_upload_is_downloaded_is_redone_and_the_admin_told(fresh):
    api, bot = fresh
    bot.start()
    api.hold["getFile"] = threading.Event()
    api.upload("after-crash.md", "# 催货\n\n客户催货时先确认发货时间，再告诉客户车号。\n".encode(), uid=1)
    assert api.held.wait(15)
    bot.kill9()
    api.hold.clear()
    t = api.now()
    bot.start()
    done = api.wait_for(lambda: [p for p in api.sent(1, "editMessageText", since=t) + api.sent(1, since=t)
                                 if p.get("text", "").startswith("✅") and "after-crash.md" in p["text"]], timeout=30)
    assert done
    told = [p["text"] for p in api.sent(1, since=t) if "after-crash.md" in p["text"] and "重启" in p["text"]]
    assert told


def test_kill_9_after_a_game_line_keeps_it_once(fresh):
    api, bot = fresh
    bot.start()
    group = -5001
    t = api.now()
    api.say("/game", uid=7, chat_id=group, chat_type="supergroup")
    lobby = api.wait_for(lambda: [p for p in api.sent(group, since=t) if "reply_markup" in p])[0]
    markup = json.loads(lobby["reply_markup"])
    data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row if "callback_data" in b]
    game_id = data[0].split(":")[1]
    api.press(f"g:{game_id}:join:A", uid=311, chat_id=group)
    api.press(f"g:{game_id}:join:B", uid=312, chat_id=group)
    time.sleep(0.5)
    t = api.now()
    api.press(f"g:{game_id}:start", uid=7, chat_id=group)
    api.wait_for(lambda: len(api.sent(group, since=t)) >= 1, timeout=15)
    line_id = api.say("我们可以保证下周一到货。", uid=311, chat_id=group, chat_type="supergroup")
    api.wait_for(lambda: line_id in api.confirmed, timeout=10)
    bot.kill9()
    bot.start()
    time.sleep(1.0)
    db = sqlite3.connect(bot.data_dir / "state.sqlite")
    rows = db.execute("SELECT COUNT(*) FROM game_messages WHERE text = ?", ("我们可以保证下周一到货。",)).fetchone()[0]
    db.close()
    assert rows == 1


def test_sigterm_with_updates_queued_answers_them_after_the_restart(fresh):
    api, bot = fresh
    bot.start()
    api.hold["sendMessage"] = threading.Event()
    for uid in (321, 322, 323):
        api.say("客户一直催货怎么办？", uid=uid)
    assert api.held.wait(15)
    # Telegram never answers the sends: the bot does not wait for them past its grace, and exits by itself.
    stopped = time.monotonic()
    assert bot.stop(timeout=20), "the bot did not exit within 20 s of SIGTERM"
    assert time.monotonic() - stopped < STOP_GRACE + 8
    assert "cut off, re-run at the next start" in bot.output()
    api.hold.clear()
    t = api.now()
    bot.start()
    for uid in (321, 322, 323):
        api.reply_to(uid, t - 60, timeout=20)


def test_an_upload_named_like_a_bundled_article_survives_a_restart(fresh):
    api, bot = fresh
    bot.start()
    api.upload("complaint-call-script.md", "# 我们自己的投诉话术\n\n接到投诉先道歉，再记录订单号。\n".encode(), uid=1)
    api.wait_for(lambda: [p for p in api.sent(1, "editMessageText") if p.get("text", "").startswith("✅")], timeout=30)
    bot.stop()
    bot.start()
    t = api.now()
    api.say("/kb", uid=1)
    listing = api.reply_to(1, t)["text"]
    assert "我们自己的投诉话术" in listing


# ----------------------------------------------------------------------------- full disk, read-only store
def _disk_full(bot: BotProcess, full: bool) -> None:
    """What a full disk does to every write of the bot (EFBIG, as ENOSPC): no file of it may grow."""
    _, hard = resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE, (1 if full else hard, hard))


@contextlib.contextmanager
def _store_stops_taking_writes(bot: BotProcess, fault: str):
    """The running bot's store stops taking writes until the block ends: `full` as a full disk does it, or
    `read-only` with the immutable flag (root ignores file modes; chattr +i holds even for root, and even for
    files the bot has open). Immutable are the store, its WAL and the folder (no new journal files there), not
    the -shm: SQLite maps it into memory, and writing a mapped immutable page is a SIGBUS, not an error."""
    if fault == "full":
        _disk_full(bot, True)
        try:
            yield
        finally:
            _disk_full(bot, False)
        return
    frozen: list[Path] = []
    try:
        for path in (bot.data_dir / "state.sqlite", bot.data_dir / "state.sqlite-wal", bot.data_dir):
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("chattr +i is not available here (it needs root and ext4 or the like)")
            frozen.append(path)
        yield
    finally:
        for path in frozen:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


UNSAVED = "⚠️ 服务器暂时无法保存数据，你刚才的操作没有记录下来。管理员已收到通知，请稍后再试。"
STORE_DOWN, STORE_BACK = "⚠️ 存储写不进去了", "✅ 存储恢复了"


def _texts(api: BotAPI, chat_id: int, since: float) -> list[str]:
    return [p.get("text", "") for p in api.sent(chat_id, since=since)]


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_store_that_stops_taking_writes_mid_run_still_answers_says_what_was_not_saved_and_heals(fresh, fault):
    api, bot = fresh
    bot.start()
    t = api.now()
    api.say("/start", uid=331)
    api.reply_to(331, t)
    start = api.now()
    with _store_stops_taking_writes(bot, fault):
        api.say("客户一直催货怎么办？", uid=332)  # only reads: answered, sources and all
        assert "来源" in api.reply_to(332, start, timeout=15)["text"]
        api.press("lang:en", uid=333)  # these must be saved: one plain line each
        api.press("rp:go:late-delivery-complaint:normal", uid=334)
        for uid in (333, 334):
            assert api.wait_for(lambda uid=uid: _texts(api, uid, start), timeout=15) == [UNSAVED]
        t = api.now()
        api.say("/help", uid=335)
        api.reply_to(335, t)
        api.wait_for(lambda: _texts(api, 1, start), timeout=15)
        assert [x[:len(STORE_DOWN)] for x in _texts(api, 1, start)] == [STORE_DOWN]  # once, not per update
    t = api.now()  # writable again, no restart: the same choice now works, and the admins hear it is over
    api.press("lang:en", uid=333)
    assert api.reply_to(333, t, method="editMessageText")["text"] == "Language set to English."
    api.wait_for(lambda: [x for x in _texts(api, 1, t) if x.startswith(STORE_BACK)], timeout=15)
    assert len(_texts(api, 1, start)) == 2
    assert _texts(api, 333, start) == [UNSAVED]
    assert not [p for p in api.sent(None, since=start) if p.get("text", "").startswith("抱歉，出了点问题")]
    assert bot.alive()
    assert "Traceback" not in bot.output()


def test_a_full_disk_during_a_role_play_turn_says_the_turn_was_not_saved(fresh):
    api, bot = fresh
    bot.start()
    uid = 334
    _start_roleplay(api, uid)
    _disk_full(bot, True)
    t = api.now()
    api.say("抱歉，我马上核实。", uid=uid)
    assert api.wait_for(lambda: [p for p in api.sent(uid, since=t) if "无法保存" in p["text"]], timeout=15)
    _disk_full(bot, False)


def test_a_store_that_cannot_be_opened_stops_the_start_in_one_line_and_admins_hear(fresh):
    api, bot = fresh
    (bot.data_dir / "state.sqlite").mkdir(parents=True)  # root ignores chmod: a folder where the file goes
    bot.start(wait=False)
    assert bot.proc.wait(60) == 1
    out = bot.output()
    assert "cannot be written" in out
    assert "Traceback" not in out
    assert [p for p in api.sent(1) if p["text"].startswith("⚠️ salescoach 无法启动")]


def test_a_read_only_store_file_stops_the_start_in_one_line(fresh):
    api, bot = fresh
    bot.start()
    bot.stop()
    store = bot.data_dir / "state.sqlite"
    if subprocess.run(["chattr", "+i", str(store)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        bot.start(wait=False)
        code = bot.proc.wait(60)
        out = bot.output().split("Loading")[-1]
        assert code == 1, out[-1500:]
        assert "cannot be written" in out
        assert "Traceback" not in out
    finally:
        subprocess.run(["chattr", "-i", str(store)], capture_output=True)


# ----------------------------------------------------------------------------- two instances
@pytest.mark.parametrize("where", ["same-data-dir", "same-token-other-dir", "webhook-same-data-dir"])
def test_a_second_instance_says_so_in_one_line_and_exits(fresh, tmp_path, where):
    api, bot = fresh
    bot.start()
    env = {"WEBHOOK_URL": "https://coach.example.com/tg", "WEBHOOK_PORT": "8443"} if where.startswith("webhook") else {}
    data = tmp_path / "other" if where == "same-token-other-dir" else bot.data_dir
    second = BotProcess(api, data, **env)
    second.log = tmp_path / "second.log"
    second.start(wait=False)
    assert second.proc.wait(60) == 3
    out = second.output().strip()
    assert "already running" in out
    assert ("with this bot token" in out) == (where == "same-token-other-dir")
    assert len(out.splitlines()) == 1
    secret = api.token.split(":")[1]
    assert secret not in out
    # The token's lock is in the machine's temp dir, named by a hash: the token is written nowhere.
    token_lock = instance_locks(bot.data_dir, api.token)[1].path
    assert token_lock.exists()
    written = [token_lock, *(p for d in (bot.data_dir, data) for p in d.rglob("*") if p.is_file())]
    assert [p for p in written if secret in p.name or secret.encode() in p.read_bytes()] == []
    assert secret not in bot.output()
    t = api.now()
    api.say("/help", uid=341)
    api.reply_to(341, t)
    assert len(api.sent(341, since=t)) == 1  # answered once, by the first


# ----------------------------------------------------------------------------- bad settings, real process
@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("GAME_MINUTES", "-1", "SALESCOACH_GAME_MINUTES='-1'"),
    ("TIMEZONE", "Mars/Phobos", "SALESCOACH_TIMEZONE='Mars/Phobos'"),
    ("TRAINER_IDS", "900;abc", "SALESCOACH_TRAINER_IDS='abc'"),
    ("LLM_TIMEOUT", "0", "SALESCOACH_LLM_TIMEOUT='0'"),
    ("TELEGRAM_TOKEN", "not-a-token-AAHsecret", "SALESCOACH_TELEGRAM_TOKEN="),
    ("TELEGRAM_API_URL", "http://127.0.0.1:9/bot", "cannot be reached"),
])
def test_a_bad_setting_stops_the_real_process_in_one_line(tmp_path, setting, value, expected):
    env = {"SALESCOACH_DATA_DIR": str(tmp_path / "d"), "SALESCOACH_EMBEDDING_MODEL": "fake",
           "SALESCOACH_TELEGRAM_TOKEN": token(), "SALESCOACH_TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
           f"SALESCOACH_{setting}": value, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode in (1, 2), out
    assert expected in out
    assert "Traceback" not in out
    assert len(out.splitlines()) == 1, out
    assert "AAHsecret" not in out
    assert ROOT.exists()
