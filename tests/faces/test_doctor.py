"""`salescoach doctor` and start-up, as an operator sees them: one line per problem, naming what to fix."""

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store import Store
from tests.servers import closed_port


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("SALESCOACH_LLM_PROVIDER", "none")
    monkeypatch.delenv("SALESCOACH_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("SALESCOACH_CHROMA_URL", raising=False)
    return monkeypatch


def _invoke(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def test_doctor_passes_a_healthy_store_in_both_modes(env, store_location):
    if not isinstance(store_location, str):
        env.delenv("SALESCOACH_DATABASE_URL", raising=False)
        env.setenv("SALESCOACH_DATA_DIR", str(store_location.parent))
    else:
        env.setenv("SALESCOACH_DATABASE_URL", store_location)
    assert _invoke("migrate")[0] == 0
    code, lines = _invoke("doctor")
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith("✓ store ")
    assert "schema at 0004, takes writes" in lines[0]


def test_doctor_names_a_refused_database_and_the_setting(env):
    env.setenv("SALESCOACH_DATABASE_URL", f"postgresql://coach:pw@127.0.0.1:{closed_port()}/sales")
    code, lines = _invoke("doctor")
    assert code == 1
    assert len(lines) == 1
    assert "✗ store postgresql://coach:***@127.0.0.1" in lines[0]
    assert "Connection refused" in lines[0]
    assert lines[0].endswith("check SALESCOACH_DATABASE_URL")


@pytest.mark.parametrize("store_location", ["postgresql"], indirect=True)
def test_doctor_says_which_migrations_are_missing(env, store_location):
    env.setenv("SALESCOACH_DATABASE_URL", store_location)
    store = Store(store_location)
    store.db.execute("UPDATE alembic_version SET version_num = '0001'")  # as an older salescoach left it
    store.close()
    code, lines = _invoke("doctor")
    assert code == 1
    assert "at schema revision 0001, missing the migrations up to 0004: run `salescoach migrate`" in lines[0]


def test_doctor_says_a_chroma_server_is_not_there(env):
    env.setenv("SALESCOACH_CHROMA_URL", f"http://127.0.0.1:{closed_port()}")
    code, lines = _invoke("doctor")
    assert code == 1
    assert lines[1].startswith("✗ Chroma server http://127.0.0.1:")
    assert "check SALESCOACH_CHROMA_URL" in lines[1]


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://db/sales", "SALESCOACH_DATABASE_URL='mysql://db/sales': not a PostgreSQL URL"),
    ("postgresql://coach:pw@127.0.0.1:{port}/sales", "SALESCOACH_DATABASE_URL: the store postgresql://coach:***@"),
])
def test_a_wrong_database_url_at_start_up_is_one_line_naming_the_setting(env, url, says):
    env.setenv("SALESCOACH_DATABASE_URL", url.format(port=closed_port()))
    code, lines = _invoke("run")
    assert code in (1, 2)
    problems = [line for line in lines if line.startswith("✗")]
    assert len(problems) == 1
    assert says in problems[0]
    assert "pw@" not in "\n".join(lines)
