"""The store's behaviour, the same on SQLite and on PostgreSQL (each test runs once per backend)."""

import sqlite3
import threading

import pytest

from bot.store import RolePlayMoved, Store, StoreOutdated, StoreUnwritable, migrate
from tests.servers import closed_port

BIG_CHAT = -1001234567890  # a supergroup's id: past 2**31, as Telegram's are
WHEN = 1796531492.7673042  # a time to the microsecond: a 4-byte float column would round it by minutes


def _turns(*texts):
    return [{"role": "customer" if i % 2 == 0 else "rep", "text": t} for i, t in enumerate(texts)]


def test_state_survives_reopening_the_store(store_location):
    store = Store(store_location)
    store.set_user_lang(7, "zh-TW")
    aid = store.save_answer(7, 7, "客户一直催货怎么办？", ["shipment#0", "apology#1"])
    store.rate(aid, 7, 1)
    store.rate(aid, 7, -1)  # changing one's mind replaces the rating
    store.log_admin_action(1, "ingest", "report.pdf")
    store.close()

    again = Store(store_location)
    assert again.user_lang(7) == "zh-TW"
    assert again.user_lang(8) is None
    stored = again.answer(aid)
    assert stored.question == "客户一直催货怎么办？"
    assert stored.chunk_ids == ["shipment#0", "apology#1"]
    assert again.answer(aid + 100) is None
    assert again.ratings() == [(aid, 7, -1)]
    assert again.admin_actions() == [(1, "ingest", "report.pdf")]
    again.close()


def test_a_roleplay_is_kept_turn_by_turn_and_its_ending_is_not_doubled(store_location):
    store = Store(store_location, clock=lambda: WHEN)
    sid = store.start_roleplay(5, BIG_CHAT, "late-shipment", "hard", {"transcript": _turns("货呢？")})
    store.save_roleplay_turn(sid, {"transcript": _turns("货呢？", "抱歉，我马上查"), "mood": 2}, 1)
    assert store.active_roleplay(5).state["mood"] == 2
    final = {"transcript": _turns("货呢？", "抱歉，我马上查", "好吧")}
    store.end_roleplay(sid, final, 78, "won", {"criteria": {"empathy": 4}})
    store.end_roleplay(sid, final, 78, "won", {"criteria": {"empathy": 4}})  # re-run after a crash
    store.close()

    again = Store(store_location)
    assert again.active_roleplay(5) is None
    ended = again.roleplay(sid)
    assert (ended.chat_id, ended.status, ended.total, ended.outcome) == (BIG_CHAT, "ended", 78, "won")
    assert ended.card == {"criteria": {"empathy": 4}}
    assert ended.updated == WHEN
    assert again.roleplay_transcript(sid) == [("customer", "货呢？"), ("rep", "抱歉，我马上查"), ("customer", "好吧")]
    assert [r.session_id for r in again.roleplays()] == [sid]
    assert again.roleplays(6) == []
    again.close()


def test_a_roleplay_written_since_it_was_read_is_not_written_over(store_location):
    """Two processes (two bots on one database) read the session at the same version; the first write wins,
    the second is refused and changes nothing, so its caller can take the turn again on the newer state."""
    one, two = Store(store_location), Store(store_location)
    sid = one.start_roleplay(5, 5, "late-shipment", "normal", {"transcript": _turns("货呢？")})
    read_by_one, read_by_two = one.active_roleplay(5), two.active_roleplay(5)
    assert read_by_one.version == read_by_two.version == 0
    two.save_roleplay_turn(sid, {"transcript": _turns("货呢？", "车号苏E·5K723", "好"), "turn": 1}, 1,
                           version=read_by_two.version)
    with pytest.raises(RolePlayMoved):
        one.save_roleplay_turn(sid, {"transcript": _turns("货呢？", "对不起", "哼"), "turn": 1}, 1,
                               version=read_by_one.version)
    with pytest.raises(RolePlayMoved):
        one.end_roleplay(sid, {"transcript": _turns("货呢？")}, 0, "ended", {}, version=read_by_one.version)
    now = one.active_roleplay(5)
    assert (now.status, now.version, now.state["turn"]) == ("active", 1, 1)
    assert one.roleplay_transcript(sid) == [("customer", "货呢？"), ("rep", "车号苏E·5K723"), ("customer", "好")]
    one.end_roleplay(sid, now.state, 10, "ended", {}, version=now.version)
    assert one.roleplay(sid).version == 2
    one.close()
    two.close()


def test_a_game_keeps_each_line_once_and_edits_replace_it(store_location):
    store = Store(store_location)
    gid = store.create_game(BIG_CHAT, {"status": "running", "teams": {"A": [1], "B": [2]}})
    store.add_game_message(gid, 1, "王", "A", "我们可以先补一半货", message_id=10)
    store.add_game_message(gid, 1, "王", "A", "我们可以先补一半货", message_id=10)  # the same message re-run
    store.add_game_message(gid, 2, "李", "B", "不行")
    assert store.edit_game_message(gid, 1, 10, "我们今天先补一半货")
    assert not store.edit_game_message(gid, 1, 99, "?")
    assert [(m["name"], m["text"]) for m in store.game_messages(gid)] == [("王", "我们今天先补一半货"), ("李", "不行")]
    assert store.open_game(BIG_CHAT) == (gid, {"status": "running", "teams": {"A": [1], "B": [2]}})
    assert store.update_game(gid, lambda state: state.update(status="ended")) == (
        {"status": "ended", "teams": {"A": [1], "B": [2]}}, None)
    assert store.open_game(BIG_CHAT) is None
    assert store.games(("ended",)) == [(gid, {"status": "ended", "teams": {"A": [1], "B": [2]}})]
    assert store.update_game(gid + 1, lambda state: state.clear()) is None  # no such game


def test_each_bot_sharing_a_database_lists_only_its_own_games(store_location):
    one, other = Store(store_location, bot_id=111), Store(store_location, bot_id=222)
    mine = one.create_game(BIG_CHAT, {"status": "running", "players": {}})
    theirs = other.create_game(BIG_CHAT, {"status": "running", "players": {}})  # one group, two bots
    assert one.games(("running", "voting")) == [(mine, {"status": "running", "players": {}})]
    assert other.games(("running", "voting")) == [(theirs, {"status": "running", "players": {}})]
    assert one.open_game(BIG_CHAT)[0] == mine
    assert other.open_game(BIG_CHAT)[0] == theirs
    one.close()
    other.close()


def test_games_and_role_plays_stored_at_revision_0002_carry_on_after_the_upgrade(store_location):
    """Games stored before they were keyed by bot are bot 0's; role-plays stored before they had a version
    start at version 0 and take their next turn."""
    store = Store(store_location)
    store.db.execute("DROP INDEX games_by_bot")  # the tables as revision 0002 left them
    store.db.execute("ALTER TABLE games DROP COLUMN bot_id")
    store.db.execute("ALTER TABLE roleplays DROP COLUMN version")
    store.db.execute("UPDATE alembic_version SET version_num = '0002'")
    store.db.execute("INSERT INTO games (chat_id, status, state, created, updated) "
                     "VALUES (?, 'running', '{\"status\": \"running\"}', 1.0, 1.0)", (BIG_CHAT,))
    store.db.execute("INSERT INTO roleplays (user_id, chat_id, scenario, difficulty, status, state, created, updated) "
                     "VALUES (5, 5, 'late-shipment', 'normal', 'active', ?, 1.0, 1.0)",
                     ('{"transcript": [{"role": "customer", "text": "货呢？"}]}',))
    store.close()
    upgraded, other = Store(store_location), Store(store_location, bot_id=222)
    assert migrate.revision(upgraded.db) == migrate.head()
    assert [state for _, state in upgraded.games(("running",))] == [{"status": "running"}]
    assert other.games(("running",)) == []
    session = upgraded.active_roleplay(5)
    assert session.version == 0
    upgraded.save_roleplay_turn(session.session_id, {"transcript": _turns("货呢？", "对不起", "哼")}, 1,
                                version=session.version)
    assert upgraded.active_roleplay(5).state["transcript"][1] == {"role": "rep", "text": "对不起"}
    upgraded.close()
    other.close()


def test_a_change_that_fails_saves_nothing(store_location):
    store = Store(store_location)
    gid = store.create_game(1, {"status": "lobby", "players": {}})

    def refused(state):
        state.setdefault("players", {})["7"] = "A"
        raise ValueError("the lobby is closed")

    with pytest.raises(ValueError, match="lobby is closed"):
        store.update_game(gid, refused)
    with pytest.raises(ValueError, match="lobby is closed"):
        store.update_study_state(3, refused)
    assert store.game(gid) == (gid, {"status": "lobby", "players": {}})
    assert store.study_state(3) == {}
    assert store.study_states() == []
    store.close()
    store.close()


def test_study_progress_exams_and_assignments(store_location):
    store = Store(store_location, clock=lambda: WHEN)
    assert store.update_study_state(3, lambda state: state.update(read=["m1"])) is None
    store.add_quiz_answer(3, "q1", "m1", True, "quiz", "2026-12-06", '{"due": 1}', WHEN + 86400)
    store.add_quiz_answer(3, "q2", "m1", False, "exam", "2026-12-06", None, None)
    assert store.study_state(3) == {"read": ["m1"]}
    assert store.study_state(4) == {}
    assert store.quiz_answers(3) == [("q1", "m1", True, "quiz", "2026-12-06"), ("q2", "m1", False, "exam", "2026-12-06")]
    assert store.due_cards(3, WHEN + 86400) == ["q1"]
    assert store.due_cards(3, WHEN) == []
    attempt = store.start_exam(3, ["q1", "q2"], WHEN, WHEN + 600)
    assert store.add_exam_answer(attempt, 0, "a")
    assert not store.add_exam_answer(attempt, 0, "c")  # the same question again: the first answer stands
    assert not store.add_exam_answer(attempt, 2, "c")  # not reached yet
    assert store.add_exam_answer(attempt, 1, "b")
    assert not store.add_exam_answer(attempt + 1, 0, "a")  # no such attempt
    store.finish_exam(attempt, WHEN + 60, 1, False)
    assert store.exam(attempt)["answers"] == ["a", "b"]
    assert (store.exam(attempt)["right"], store.exam(attempt)["passed"]) == (1, False)
    store.certify(3, attempt)
    store.certify(3, attempt + 1)  # the first certification stands
    assert store.certified(3) == WHEN
    aid = store.add_assignment(BIG_CHAT, 900, 3, "late-shipment", "easy", WHEN + 3 * 86400)
    store.mark_assignment(aid, done_session=12)
    assert store.assignments(user_id=3)[0]["done_session"] == 12
    assert store.assignments(chat_id=BIG_CHAT, open_only=True) == []
    store.seen_member(BIG_CHAT, 3, "张三")
    store.seen_member(BIG_CHAT, 4, "bob")
    store.seen_member(BIG_CHAT, 5, "Carl")
    store.seen_member(BIG_CHAT, 3, "张三丰")  # renamed: one row, the new name
    assert store.members(BIG_CHAT) == [(5, "Carl"), (4, "bob"), (3, "张三丰")]  # by code point in both (a locale: bob first)
    uid = store.start_upload(900, 900, "报价.pdf", 55)
    store.set_upload_stage(uid, "indexing", "doc-1")
    assert [(u.name, u.stage) for u in store.unfinished_uploads()] == [("报价.pdf", "indexing")]
    store.close()


def test_two_bots_sharing_a_store_keep_their_own_update_journals(store_location):
    north, south = Store(store_location, bot_id=111), Store(store_location, bot_id=222)
    assert north.receive_update(1, '{"n": 1}')
    assert south.receive_update(1, '{"s": 1}')  # the same update id from the other bot is not a redelivery
    assert not north.receive_update(1, '{"n": 1}')  # a real redelivery is
    assert north.finish_update(1)
    assert north.unfinished_updates() == []
    assert [u[:2] for u in south.unfinished_updates()] == [(1, '{"s": 1}')]
    north.close()
    south.close()


def test_two_processes_writing_at_once_lose_nothing(store_location):
    """Two stores on one database (as two bot processes have), each written from several threads."""
    opened: list[Store] = []
    openers = [threading.Thread(target=lambda: opened.append(Store(store_location))) for _ in range(2)]
    for t in openers:  # two bots starting together on a fresh database: one migrates, the other waits
        t.start()
    for t in openers:
        t.join()
    assert len(opened) == 2
    gid = opened[0].create_game(1, {"status": "running"})

    def work(store: Store, n: int) -> None:
        for i in range(20):
            store.add_quiz_answer(n, f"q{i}", "m", True, "quiz", "d", f'{{"i": {i}}}', float(i))
            store.add_game_message(gid, i, "x", "A", "同一条", message_id=i)  # both see each message
            store.touch_user(i)

    threads = [threading.Thread(target=work, args=(store, n)) for store in opened for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened[1].quiz_answers(1)) == 40
    assert len(opened[0].quiz_answers(2)) == 40
    assert [m["user_id"] for m in opened[1].game_messages(gid)] == list(range(20))
    for store in opened:
        store.close()


def test_two_bots_changing_one_learner_and_one_game_at_once_lose_no_change(store_location):
    """Study and game states are whole objects: each change must start from the one before it. Two stores
    (two bot processes), each with two threads, count up in one learner's state and in one game's."""
    bots = [Store(store_location), Store(store_location)]
    gid = bots[0].create_game(1, {"status": "running", "reminded": []})
    rounds = 50

    def count(state: dict) -> int:
        state["n"] = state.get("n", 0) + 1
        return state["n"]

    def work(store: Store, seen: list[int]) -> None:
        for _ in range(rounds):
            seen.append(store.update_study_state(3, count))
            store.update_game(gid, count)

    seen: list[list[int]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=work, args=(bots[i % 2], seen[i])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bots[1].study_state(3) == {"n": 4 * rounds}
    assert bots[0].game(gid)[1]["n"] == 4 * rounds
    # Each change saw the one before it: the counts handed back are every number once.
    assert sorted(n for mine in seen for n in mine) == list(range(1, 4 * rounds + 1))
    for store in bots:
        store.close()


def test_a_store_that_refuses_writes_says_so_and_recovers_without_a_restart(store_location):
    store = Store(store_location)
    store.set_user_lang(1, "en")
    if store.dialect == "sqlite":
        store.db.execute("PRAGMA query_only = ON")  # what a read-only file looks like
    else:
        store.db.execute("SET default_transaction_read_only = on")  # what a read-only standby looks like
    with pytest.raises(StoreUnwritable, match="cannot be written"):
        store.set_user_lang(1, "zh-CN")
    with pytest.raises(StoreUnwritable):
        store.check_writable()
    assert store.user_lang(1) == "en"  # reading still works
    store.db.execute("PRAGMA query_only = OFF" if store.dialect == "sqlite"
                     else "SET default_transaction_read_only = off")
    store.check_writable()
    store.set_user_lang(1, "zh-CN")
    assert store.user_lang(1) == "zh-CN"
    store.close()


def test_a_store_written_by_a_newer_version_is_refused(store_location):
    Store(store_location).close()
    newer = Store(store_location)
    newer.db.execute("UPDATE alembic_version SET version_num = 'ffff0099'")
    newer.close()
    with pytest.raises(StoreOutdated, match="revision ffff0099, which this salescoach does not know"):
        Store(store_location)


# PostgreSQL only: a server that is not there, or goes away --------------------------------------------------

def test_a_refused_database_connection_is_unwritable_naming_the_url_without_its_password():
    with pytest.raises(StoreUnwritable) as caught:
        Store(f"postgresql://coach:s3cret@127.0.0.1:{closed_port()}/test")
    message = str(caught.value)
    assert "s3cret" not in message
    assert "postgresql://coach:***@127.0.0.1" in message
    assert "refused" in message.lower()


@pytest.mark.parametrize("store_location", ["postgresql"], indirect=True)
def test_a_dropped_database_connection_fails_one_write_then_reconnects(store_location):
    from tests.servers import admin_connection

    store = Store(store_location)
    store.set_user_lang(1, "en")
    pid = store.db.execute("SELECT pg_backend_pid()").fetchone()[0]
    admin = admin_connection()
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))  # a server restart, seen from this bot
    admin.close()
    with pytest.raises(StoreUnwritable):
        store.set_user_lang(1, "zh-TW")
    store.set_user_lang(1, "zh-CN")  # the next call connects again
    assert store.user_lang(1) == "zh-CN"
    store.close()


# SQLite only: stores made before migrations -------------------------------------------------------------------

LEGACY = """
CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, received REAL NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, done REAL);
CREATE TABLE users (user_id INTEGER PRIMARY KEY, lang TEXT, first_seen REAL NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE game_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, game_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
                            name TEXT NOT NULL, team TEXT NOT NULL, text TEXT NOT NULL, created REAL NOT NULL);
INSERT INTO inbox (update_id, payload, received) VALUES (41, '{"old": true}', 1.0);
INSERT INTO users VALUES (7, 'en', 1.0, 1.0);
INSERT INTO game_messages (game_id, user_id, name, team, text, created) VALUES (1, 7, '王', 'A', '老的一行', 1.0);
"""


def test_a_store_from_before_migrations_is_upgraded_keeping_everything(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY)
    store = Store(path)
    assert migrate.revision(store.db) == migrate.head()
    assert store.user_lang(7) == "en"
    assert [u[:2] for u in store.unfinished_updates()] == [(41, '{"old": true}')]  # still re-run at start
    store.add_game_message(1, 7, "王", "A", "新的一行", message_id=3)
    assert [m["text"] for m in store.game_messages(1)] == ["老的一行", "新的一行"]
    store.close()
