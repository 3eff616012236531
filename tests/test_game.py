"""The key-account game's rules with a controllable clock, its scene files and its debrief."""

import pytest

from bot.coach.game import (
    GAMES_DIR,
    NEED_KINDS,
    GameError,
    KeyAccountGame,
    debrief,
    load_guide,
    load_scenes,
    team_brief,
)
from bot.config import PROJECT_ROOT

KB_IDS = {p.stem for p in (PROJECT_ROOT / "knowledge").glob("*.md")}


def test_three_scenes_ship_and_every_scene_is_grounded():
    scenes = load_scenes()
    assert len(scenes) >= 3
    assert "renewal-late-delivery-price" in scenes
    assert len(scenes) == len([p for p in GAMES_DIR.glob("*.yaml") if p.stem != "debrief"])  # none skipped
    guide = load_guide()
    assert set(guide.articles) <= KB_IDS
    for scene in scenes.values():
        assert set(scene.articles) <= KB_IDS
        assert set(scene.team_b.need_cues) == set(NEED_KINDS)
        a, b = team_brief(scene, "A"), team_brief(scene, "B")
        assert scene.team_b.needs.secret in b
        assert scene.team_b.needs.secret not in a
        assert scene.team_a.limits[0] in a
        assert scene.team_a.limits[0] not in b


def _game(**kw):
    game = KeyAccountGame.new(-1, 2, "renewal-late-delivery-price", minutes=30, reminders=(10, 5, 1), **kw)
    game.join(11, "甲", "A")
    game.join(13, "乙", "B")
    return game


def test_lobby_rules():
    game = KeyAccountGame.new(-1, 2, "renewal-late-delivery-price", team_size=1)
    with pytest.raises(GameError):
        game.start(0)  # both teams need someone
    assert game.join(11, "甲", "A") == "joined"
    assert game.join(11, "甲", "A") == "already"
    assert game.join(12, "丙", "A") == "full"
    assert game.join(11, "甲", "B") == "switched"
    assert game.members("A") == []
    game.join(12, "丙", "A")
    game.start(1000)
    with pytest.raises(GameError):
        game.join(14, "丁", "A")  # no changing teams once it runs


def test_clock_pause_resume_extend_and_reminders():
    game = _game()
    game.start(0)
    assert [(e.kind, e.minutes_left, e.at) for e in game.events(0)] == [
        ("reminder", 10, 1200), ("reminder", 5, 1500), ("reminder", 1, 1740), ("end", 0, 1800)]
    assert game.remind(10)
    assert not game.remind(10)  # a duplicate job after a restart sends nothing
    assert game.pause(600) == 1200
    assert game.events(700) == []  # no jobs while paused
    game.resume(1000)
    assert game.seconds_left(1000) == 1200
    game.extend(10, 1000)  # 30 minutes left again: the 10-minute reminder will come round again
    assert game.seconds_left(1000) == 1800
    assert [e.minutes_left for e in game.events(1000) if e.kind == "reminder"] == [10, 5, 1]
    game.stop(1500)
    assert game.status == "voting"
    with pytest.raises(GameError):
        game.vote(11, True)  # team A does not vote
    assert game.vote(13, False)  # the only member of team B: the vote is complete
    assert game.verdict() == (0, 1)


def test_debrief_reads_team_a_and_finds_needs():
    game = _game()
    game.start(0)
    scene = load_scenes()["renewal-late-delivery-price"]
    msgs = [
        {"user_id": 13, "name": "乙", "team": "B", "text": "我们要降价 3%，还要帮我们省钱。", "created": 1},
        {"user_id": 11, "name": "甲", "team": "A", "text": "货发出后有问题随时打电话给我。", "created": 2},
        {"user_id": 11, "name": "甲", "team": "A", "text": "这不是一起想办法的事。我们不会派工程师。", "created": 3},
    ]
    d = debrief(game, scene, load_guide(), msgs)
    assert d.level.title == "被动型"  # team B's words do not count for team A; negated cues do not count
    assert d.level.quote == "货发出后有问题随时打电话给我。"
    found = {kind: f for kind, _, f in d.needs}
    assert found["满足后令人高兴的需要"] is None
    assert d.participation == [("甲", "A", 2, len(msgs[1]["text"]) + len(msgs[2]["text"])), ("乙", "B", 1, len(msgs[0]["text"]))]
