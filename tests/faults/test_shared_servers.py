"""Two real bot processes with their own tokens on the same servers (PostgreSQL, a `chroma run` started here):
one is killed with SIGKILL mid role-play; the other goes on, and the killed one, restarted, replays from the
shared database's journal the turn Telegram had already forgotten, once."""

from __future__ import annotations

import pytest

from tests.faults.harness import BotAPI, BotProcess, token
from tests.faults.test_crashes import _customer_lines, _start_roleplay
from tests.servers import chroma_server, postgres_schema


@pytest.fixture
def servers(tmp_path):
    for url in postgres_schema():
        for chroma in chroma_server(tmp_path):
            yield {"DATABASE_URL": url, "CHROMA_URL": chroma}


def _turns(url: str, text: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute("SELECT COUNT(*) FROM roleplay_turns WHERE role = 'rep' AND text = %s",
                          (text,)).fetchone()[0]


def test_a_bot_killed_mid_role_play_loses_nothing_and_the_other_bot_is_untouched(servers, tmp_path):
    north_api, south_api = BotAPI(token()), BotAPI(token())
    north = BotProcess(north_api, tmp_path / "north", **servers)
    south = BotProcess(south_api, tmp_path / "south", **servers)
    try:
        north.start()
        south.start()
        _start_roleplay(north_api, 301)
        _start_roleplay(south_api, 302)
        said = "非常抱歉给您添麻烦了，这是我们的责任，我马上核实发货情况。"
        update_id = north_api.say(said, uid=301)
        north_api.wait_for(lambda: update_id in north_api.confirmed, timeout=10)  # Telegram has forgotten it
        north.kill9()

        t = south_api.now()  # the other bot answers as if nothing happened
        south_api.say("王总，实在抱歉，我这就查清楚车号和到货时间。", uid=302)
        assert south_api.wait_for(lambda: _customer_lines(south_api, 302, t), timeout=20)

        t = north_api.now()
        north.start()  # its journal in the shared database holds the turn: it is played now, once
        assert north_api.wait_for(lambda: _customer_lines(north_api, 301, t), timeout=30)
        assert _turns(servers["DATABASE_URL"], said) == 1
        assert _turns(servers["DATABASE_URL"], "王总，实在抱歉，我这就查清楚车号和到货时间。") == 1
        assert "Traceback" not in north.output() + south.output()
    finally:
        north.kill9()
        south.kill9()
        north_api.close()
        south_api.close()
