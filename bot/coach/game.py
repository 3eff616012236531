"""The key-account game: two teams in a group chat, secret briefs, a stored clock, a vote and a debrief.

Team A plays the supplier, team B its key account (knowledge/key-account-role-play-game.md). The game
is a plain state dict saved on every change; the clock is a stored deadline (or the time left while
paused), so a restarted bot reschedules its reminders from the store and loses nothing.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.coach.judge import cue_matches, match_form, sentences
from bot.coach.scenario import Needs
from bot.config import PROJECT_ROOT

log = logging.getLogger(__name__)
GAMES_DIR = PROJECT_ROOT / "prompts" / "games"
DEFAULT_SCENE = "renewal-late-delivery-price"
TEAMS = ("A", "B")
NEED_KINDS = ("spoken", "real", "unspoken", "delight", "secret")
NEED_NAMES = {"spoken": "说出来的需要", "real": "真正的需要", "unspoken": "没说出来的需要",
              "delight": "满足后令人高兴的需要", "secret": "秘密需要"}
Status = Literal["lobby", "running", "paused", "voting", "ended"]


class GameError(Exception):
    """A game request that cannot be served; the message is for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamA(_Strict):
    role: str
    history: list[str] = Field(min_length=1, description="The account's history with us.")
    value: list[str] = Field(min_length=1, description="What the account is worth to us.")
    goals: list[str] = Field(min_length=1)
    limits: list[str] = Field(min_length=1, description="What the supplier may not give away.")


class TeamB(_Strict):
    role: str
    situation: str
    needs: Needs
    need_cues: dict[Literal["spoken", "real", "unspoken", "delight", "secret"], list[str]] = Field(
        description="Words by which team A shows it found each need.")
    pain_points: list[str] = Field(min_length=1)
    competitor_offer: str


class Scene(_Strict):
    id: str
    title: str
    summary: str
    setting: str = Field(description="The scene both teams read.")
    team_a: TeamA
    team_b: TeamB
    articles: list[str] = Field(min_length=1)


class Cue(_Strict):
    id: str
    title: str
    means: str = ""
    cues: list[str] = Field(min_length=1)


class DebriefGuide(_Strict):
    kotler_levels: list[Cue] = Field(min_length=5, max_length=5)
    strategies: list[Cue] = Field(min_length=7, max_length=7)
    value_arguments: list[Cue] = Field(min_length=1)
    articles: list[str] = Field(min_length=1)


def _load(path: Path, model):
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise GameError(f"{path.name}: {exc}") from exc


@functools.cache
def _scenes(directory: Path, stamp: tuple) -> dict[str, Scene]:
    out = {}
    for p in sorted(directory.glob("*.yaml")):
        if p.stem == "debrief":
            continue
        try:
            scene = _load(p, Scene)
        except GameError as exc:
            log.warning("game scene skipped: %s", exc)
            continue
        out[scene.id] = scene
    return out


def load_scenes(directory: Path = GAMES_DIR) -> dict[str, Scene]:
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml")))
    return _scenes(directory, stamp)


@functools.cache
def load_guide(directory: Path = GAMES_DIR) -> DebriefGuide:
    return _load(directory / "debrief.yaml", DebriefGuide)


# ----------------------------------------------------------------------------- brief texts
def team_brief(scene: Scene, team: str) -> str:
    """The private brief of one team; the other team never sees it."""
    lines = [f"🎲 大客户维护游戏 ·《{scene.title}》", "", f"公共场景：{scene.setting}", ""]
    if team == "A":
        a = scene.team_a
        lines += [f"你们是 A 组：{a.role}", "", "客户历史："] + [f"• {x}" for x in a.history]
        lines += ["", "这个客户对我们的价值："] + [f"• {x}" for x in a.value]
        lines += ["", "你们的目标："] + [f"• {x}" for x in a.goals]
        lines += ["", "你们的底线（不能突破）："] + [f"• {x}" for x in a.limits]
        lines += ["", "提示：先问清客户真正的需要，再谈方案；B 组的内情只有问到才会说。"]
    else:
        b = scene.team_b
        lines += [f"你们是 B 组：{b.role}", "", f"你们的处境：{b.situation}", "", "你们的五种需要（不要主动全说出来）："]
        lines += [f"• {NEED_NAMES[k]}：{getattr(b.needs, k)}" for k in NEED_KINDS]
        lines += ["", "痛点："] + [f"• {x}" for x in b.pain_points]
        lines += ["", f"竞争对手的报价：{b.competitor_offer}", "",
                  "玩法：像真正的客户一样回应 A 组；他们问到点子上，再透露真正的需要。结束时你们投票决定是否续约。"]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the game
@dataclass
class Event:
    """Something the clock must do: a reminder (minutes left) or the end."""

    at: float
    kind: Literal["reminder", "end"]
    minutes_left: float = 0


class KeyAccountGame:
    """One game's rules over its state dict (stored by the caller after every change)."""

    def __init__(self, state: dict) -> None:
        self.state = state

    @classmethod
    def new(cls, chat_id: int, trainer_id: int, scene: str, *, team_size: int = 5, minutes: float = 30,
            reminders: tuple[float, ...] = (10, 5, 1)) -> KeyAccountGame:
        return cls({"chat_id": chat_id, "trainer_id": trainer_id, "scene": scene, "status": "lobby",
                    "team_size": team_size, "minutes": minutes, "reminders": sorted(reminders, reverse=True),
                    "players": {}, "names": {}, "deadline": None, "left": None, "reminded": [],
                    "votes": {}, "started": None, "ended": None, "lobby_message": None, "briefed": []})

    @property
    def status(self) -> Status:
        return self.state["status"]

    def team_of(self, user_id: int) -> str | None:
        return self.state["players"].get(str(user_id))

    def members(self, team: str) -> list[int]:
        return [int(u) for u, t in self.state["players"].items() if t == team]

    def name(self, user_id: int) -> str:
        return self.state["names"].get(str(user_id), str(user_id))

    # lobby --------------------------------------------------------------------
    def join(self, user_id: int, name: str, team: str) -> str:
        """'joined', 'switched', 'already' or 'full'."""
        if self.status != "lobby":
            raise GameError("started")
        if team not in TEAMS:
            raise GameError("team")
        current = self.team_of(user_id)
        if current == team:
            return "already"
        if len(self.members(team)) >= self.state["team_size"]:
            return "full"
        self.state["players"][str(user_id)] = team
        self.state["names"][str(user_id)] = name
        return "switched" if current else "joined"

    def leave(self, user_id: int) -> bool:
        if self.status != "lobby":
            raise GameError("started")
        return self.state["players"].pop(str(user_id), None) is not None

    # clock --------------------------------------------------------------------
    def start(self, now: float) -> None:
        if self.status != "lobby":
            raise GameError("started")
        if not self.members("A") or not self.members("B"):
            raise GameError("teams")
        self.state.update(status="running", started=now, deadline=now + self.state["minutes"] * 60)

    def pause(self, now: float) -> float:
        if self.status != "running":
            raise GameError("not-running")
        self.state.update(status="paused", left=max(0.0, self.state["deadline"] - now), deadline=None)
        return self.state["left"]

    def resume(self, now: float) -> float:
        if self.status != "paused":
            raise GameError("not-paused")
        self.state.update(status="running", deadline=now + self.state["left"], left=None)
        return self.state["deadline"]

    def extend(self, minutes: float, now: float) -> float:
        """Add time; reminders whose moment comes round again will fire again."""
        if self.status == "running":
            self.state["deadline"] += minutes * 60
            left = self.state["deadline"] - now
        elif self.status == "paused":
            self.state["left"] += minutes * 60
            left = self.state["left"]
        else:
            raise GameError("not-running")
        self.state["reminded"] = [m for m in self.state["reminded"] if m * 60 >= left]
        return left

    def seconds_left(self, now: float) -> float:
        if self.status == "running":
            return max(0.0, self.state["deadline"] - now)
        if self.status == "paused":
            return self.state["left"]
        return 0.0

    def events(self, now: float) -> list[Event]:
        """What the clock still has to do, from the stored deadline (used again after a restart)."""
        if self.status != "running":
            return []
        deadline = self.state["deadline"]
        out = [Event(max(now, deadline - m * 60), "reminder", m) for m in self.state["reminders"]
               if m not in self.state["reminded"] and deadline - m * 60 > self.state["started"]]
        return [*out, Event(max(now, deadline), "end")]

    def remind(self, minutes: float) -> bool:
        """Mark a reminder as sent; False when it was already sent (a duplicate job after a restart)."""
        if self.status != "running" or minutes in self.state["reminded"]:
            return False
        self.state["reminded"].append(minutes)
        return True

    def stop(self, now: float) -> None:
        """Time is up (or the trainer ended it): team B votes next."""
        if self.status not in ("running", "paused"):
            raise GameError("not-running")
        self.state.update(status="voting", ended=now, deadline=None, left=None)

    # vote ---------------------------------------------------------------------
    def vote(self, user_id: int, renew: bool) -> bool:
        """Team B's vote; True when every member of team B has voted."""
        if self.status != "voting":
            raise GameError("not-voting")
        if self.team_of(user_id) != "B":
            raise GameError("not-team-b")
        self.state["votes"][str(user_id)] = renew
        return len(self.state["votes"]) >= len(self.members("B"))

    def close(self) -> None:
        if self.status not in ("voting", "running", "paused"):
            raise GameError("not-voting")
        self.state["status"] = "ended"

    def verdict(self) -> tuple[int, int]:
        votes = list(self.state["votes"].values())
        return sum(votes), len(votes) - sum(votes)


# ----------------------------------------------------------------------------- debrief
@dataclass
class Found:
    id: str
    title: str
    quote: str | None = None
    speaker: str | None = None


@dataclass
class Debrief:
    level: Found | None  # the highest Kotler level team A's behaviour reached
    levels: list[Found]
    strategies: list[Found]
    values: list[Found]
    needs: list[tuple[str, str, Found | None]]  # (kind name, the need, how team A uncovered it)
    participation: list[tuple[str, str, int, int]]  # (name, team, messages, characters)
    renew: int
    not_renew: int
    articles: list[str] = field(default_factory=list)


def _first(cues: list[str], messages: list[dict]) -> tuple[str, str] | None:
    for m in messages:
        for sentence in sentences(m["text"]):
            form = match_form(sentence)
            if any(cue_matches(c, form) for c in cues):
                return sentence, m["name"]
    return None


def debrief(game: KeyAccountGame, scene: Scene, guide: DebriefGuide, messages: list[dict]) -> Debrief:
    """Read the record: what team A did, which of team B's needs it found, who took part."""
    team_a = [m for m in messages if m["team"] == "A"]
    levels = []
    for lv in guide.kotler_levels:
        hit = _first(lv.cues, team_a)
        levels.append(Found(lv.id, lv.title, *(hit or (None, None))))
    reached = [f for f in levels if f.quote]
    strategies = [Found(s.id, s.title, *hit) for s in guide.strategies if (hit := _first(s.cues, team_a))]
    values = [Found(v.id, v.title, *hit) for v in guide.value_arguments if (hit := _first(v.cues, team_a))]
    needs = []
    for kind in NEED_KINDS:
        hit = _first(scene.team_b.need_cues.get(kind, []), team_a)
        needs.append((NEED_NAMES[kind], getattr(scene.team_b.needs, kind),
                      Found(kind, NEED_NAMES[kind], *hit) if hit else None))
    counts: dict[int, list[int]] = {}
    for m in messages:
        c = counts.setdefault(m["user_id"], [0, 0])
        c[0] += 1
        c[1] += len(m["text"])
    participation = [(game.name(u), game.team_of(u) or "-", *counts.get(u, [0, 0]))
                     for u in sorted((int(x) for x in game.state["players"]),
                                     key=lambda u: (game.team_of(u) or "", -counts.get(u, [0])[0]))]
    renew, not_renew = game.verdict()
    articles = list(dict.fromkeys([*scene.articles, *guide.articles]))
    return Debrief(reached[-1] if reached else None, levels, strategies, values, needs, participation,
                   renew, not_renew, articles)


def debrief_text(d: Debrief, scene: Scene, titles: dict[str, str]) -> str:
    lines = [f"📋 复盘 ·《{scene.title}》", ""]
    if d.renew + d.not_renew:
        verdict = "续约 ✅" if d.renew > d.not_renew else "不续约 ❌" if d.not_renew > d.renew else "平票"
        lines.append(f"B 组投票：{d.renew} 票续约，{d.not_renew} 票不续约 → {verdict}")
    else:
        lines.append("B 组没有投票。")
    lines += ["", "🤝 A 组达到的关系水平（科特勒五种关系）："]
    if d.level:
        lines.append(f"最高：{d.level.title}。证据：{d.level.speaker}「{d.level.quote}」")
    else:
        lines.append("没有看到能对应任何关系水平的做法。")
    for f in d.levels:
        lines.append(f"{'✅' if f.quote else '▫️'} {f.title}" + (f"：{f.speaker}「{f.quote}」" if f.quote else ""))
    lines += ["", "🧭 用到的长期关系策略（七种）："]
    lines += [f"• {f.title}：{f.speaker}「{f.quote}」" for f in d.strategies] or ["• 没有用到。"]
    lines += ["", "💎 用到的客户价值论据："]
    lines += [f"• {f.title}：{f.speaker}「{f.quote}」" for f in d.values] or ["• 没有用到。"]
    found = sum(1 for *_, f in d.needs if f)
    lines += ["", f"🔍 B 组的五种需要（A 组发现了 {found}/5）："]
    for kind, need, f in d.needs:
        lines.append(f"{'✅' if f else '❌'} {kind}：{need}" + (f"（{f.speaker}「{f.quote}」）" if f else ""))
    lines += ["", "🗣 参与情况："]
    lines += [f"• {name}（{team} 组）：{n} 条，{chars} 字" for name, team, n, chars in d.participation]
    lines += ["", "📚 建议阅读："] + [f"• 《{titles.get(a, a)}》" for a in d.articles]
    return "\n".join(lines)


def transcript_markdown(game: KeyAccountGame, scene: Scene, messages: list[dict], debrief_body: str) -> str:
    from datetime import datetime

    lines = [f"# 大客户维护游戏：{scene.title}", "", f"- 场景：{scene.setting}"]
    for team in TEAMS:
        lines.append(f"- {team} 组：" + "、".join(game.name(u) for u in game.members(team)))
    lines += ["", "## 对话记录", ""]
    for m in messages:
        when = datetime.fromtimestamp(m["created"]).strftime("%H:%M:%S")
        lines.append(f"- {when} **{m['name']}**（{m['team']} 组）：{m['text']}")
    lines += ["", "## 复盘", "", debrief_body, ""]
    return "\n".join(lines)


class GameBook:
    """Games kept in the store: every change is saved before the caller replies."""

    def __init__(self, store, *, team_size: int = 5, minutes: float = 30, reminders: tuple[float, ...] = (10, 5, 1),
                 directory: Path = GAMES_DIR) -> None:
        self.store, self.directory = store, directory
        self.team_size, self.minutes, self.reminders = team_size, minutes, tuple(reminders)

    def scenes(self) -> dict[str, Scene]:
        return load_scenes(self.directory)

    def guide(self) -> DebriefGuide:
        return load_guide(self.directory)

    def create(self, chat_id: int, trainer_id: int, scene_id: str) -> tuple[int, KeyAccountGame]:
        if scene_id not in self.scenes():
            raise GameError("scene")
        if self.store.open_game(chat_id):
            raise GameError("open")
        game = KeyAccountGame.new(chat_id, trainer_id, scene_id, team_size=self.team_size, minutes=self.minutes,
                                  reminders=self.reminders)
        return self.store.create_game(chat_id, game.state), game

    def open(self, chat_id: int) -> tuple[int, KeyAccountGame] | None:
        found = self.store.open_game(chat_id)
        return (found[0], KeyAccountGame(found[1])) if found else None

    def get(self, game_id: int) -> KeyAccountGame | None:
        found = self.store.game(game_id)
        return KeyAccountGame(found[1]) if found else None

    def save(self, game_id: int, game: KeyAccountGame) -> None:
        self.store.save_game(game_id, game.state)

    def running(self) -> list[tuple[int, KeyAccountGame]]:
        return [(i, KeyAccountGame(s)) for i, s in self.store.games(("running", "voting"))]

    def playing(self, user_id: int) -> list[tuple[int, KeyAccountGame]]:
        """Started games the user plays in (to hand them their brief after they open a private chat)."""
        return [(i, KeyAccountGame(s)) for i, s in self.store.games(("running", "paused", "voting"))
                if str(user_id) in s["players"]]

    def record(self, game_id: int, game: KeyAccountGame, user_id: int, name: str, text: str,
               message_id: int | None = None) -> None:
        self.store.add_game_message(game_id, user_id, name, game.team_of(user_id) or "-", text, message_id)

    def edit(self, game_id: int, game: KeyAccountGame, user_id: int, message_id: int, text: str) -> bool:
        """An edited message replaces the line it recorded, while the game is on; it never adds a line."""
        if game.status not in ("running", "paused"):
            return False
        return self.store.edit_game_message(game_id, user_id, message_id, text)

    def debrief(self, game_id: int, game: KeyAccountGame) -> tuple[Debrief, Scene, list[dict]]:
        scene = self.scenes().get(game.state["scene"])
        if scene is None:
            raise GameError("scene")
        messages = self.store.game_messages(game_id)
        return debrief(game, scene, self.guide(), [m for m in messages if m["team"] in TEAMS]), scene, messages
