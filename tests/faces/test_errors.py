"""The error tree of bot/errors.py: every error salescoach raises on purpose is a SalescoachError, so an edge
can tell a condition a user can act on from a bug; and the command line turns one into a line, not a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.coach.game import GameError, NotRunning
from bot.coach.self_study import ExamLocked, StudyError
from bot.coach.service import CoachError, NoActiveSession
from bot.config import ConfigError, StartupError
from bot.errors import SalescoachError, StoreError
from bot.kb.errors import IndexMissing, KnowledgeBaseError, UnreadableDocument
from bot.store import StoreOutdated, StoreUnwritable


@pytest.mark.parametrize(("error", "family"), [
    (ConfigError, StartupError), (UnreadableDocument, KnowledgeBaseError), (IndexMissing, KnowledgeBaseError),
    (StoreUnwritable, StoreError), (StoreOutdated, StoreError), (NoActiveSession, CoachError),
    (ExamLocked, StudyError), (NotRunning, GameError),
])
def test_every_domain_error_has_its_family_under_one_root(error, family):
    assert issubclass(error, family)
    assert issubclass(family, SalescoachError)


def test_an_unwritable_store_is_one_line_naming_what_to_do_and_exit_1(settings, monkeypatch):
    """`salescoach chat` over a store that takes no writes: the CLI's one translation (_exit_for) speaks."""
    from bot import cli

    def unwritable(_settings):
        raise StoreUnwritable(settings.data_dir / "state.sqlite", "disk full")

    monkeypatch.setattr(cli, "_settings", lambda: settings)
    monkeypatch.setattr("bot.store.open_store", unwritable)
    result = CliRunner().invoke(cli.app, ["chat"])
    assert result.exit_code == 1
    assert "cannot be written: disk full: free some space or make it writable" in result.output
    assert "Traceback" not in result.output
