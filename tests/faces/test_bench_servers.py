"""`salescoach bench servers`, small: two bot processes with their own tokens and fake Bot APIs on one fresh
PostgreSQL schema and a `chroma run` started here, three users each going through a question, a role-play to
its scorecard, a quiz answer, a stale button and another question, all at once. Every message is answered,
the database holds every turn, scorecard and quiz answer, and nothing the run made is left behind.

Skips without PostgreSQL (fails under CI=true, as tests/servers.py says); the full figure is
`salescoach bench servers` (4 bots x 25 users), see the README."""

from __future__ import annotations

import io

import psycopg
import pytest
from rich.console import Console

from bot.tools.bench_servers import print_report, run, user_script
from tests.conftest import make_settings
from tests.servers import POSTGRES, admin_connection


def test_two_bots_on_shared_servers_answer_every_message_and_lose_nothing(tmp_path):
    admin_connection().close()  # no PostgreSQL: a skip saying why (a failure under CI=true)
    out = io.StringIO()
    report = run(make_settings(tmp_path / "data"), bots=2, users=3, database_url=POSTGRES,
                 console=Console(file=out, width=120), warm=False)
    print_report(report, Console(file=out, width=120))

    assert report.ok, out.getvalue()
    assert report.sent == report.count("answered") == 2 * 3 * len(user_script(0))
    assert report.lost == {"role-play turns": 0, "scorecards": 0, "quiz answers": 0}
    assert report.unfinished == 0
    assert {r["kind"] for r in report.records} == {"question", "role-play menu", "role-play turn", "scorecard",
                                                   "quiz", "stale button"}
    with psycopg.connect(POSTGRES) as db:  # the schema it made is gone, with every session in it
        assert db.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s",
                          (report.schema,)).fetchone()[0] == 0


@pytest.mark.parametrize(("args", "env", "said"), [
    (["servers"], {}, "✗ SALESCOACH_DATABASE_URL (or --database-url) must name a PostgreSQL database"),
    (["stores"], {}, "✗ SALESCOACH_DATABASE_URL (or --database-url) must name a PostgreSQL database"),
    (["servers", "--database-url", "sqlite:///state.db"], {}, "✗ --database-url='sqlite:///state.db': not a PostgreSQL URL"),
    (["servers"], {"SALESCOACH_DATABASE_URL": "postgresql://postgres@127.0.0.1:{port}/test"},
     "✗ no PostgreSQL answers at postgresql://postgres@127.0.0.1:{port}/test"),
])
def test_a_wrong_database_setting_is_one_line_naming_it(monkeypatch, tmp_path, args, env, said):
    from typer.testing import CliRunner

    from bot.cli import app
    from tests.servers import closed_port

    port = closed_port()
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SALESCOACH_DATABASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(port=port))
    result = CliRunner().invoke(app, ["bench", *args])
    assert result.exit_code == 2
    assert result.output.startswith(said.format(port=port))
    assert len(result.output.strip().splitlines()) == 1
