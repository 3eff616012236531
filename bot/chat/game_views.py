"""What the key-account game says in a group and to its players, as `Reply`s any face can render: the lobby
with its buttons, the start, a team's brief, the vote, the debrief, the clock's notices.

Group messages are in the language of the trainer who opened the game (`group_lang`). `brief_url` is the link
that opens a private chat with the bot (Telegram: ``https://t.me/<bot>?start=game``), where briefs are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.i18n import DEFAULT_LANG, t
from bot.chat.reply import Button, GameJoin, GameLeave, GameStart, GameVote, Reply, buttons
from bot.coach.game import TEAMS, team_brief

if TYPE_CHECKING:
    from bot.coach.game import KeyAccountGame


def group_lang(game: KeyAccountGame) -> str:
    """What the bot says to the whole group is in the language of the trainer who opened the game."""
    return game.state.get("lang", DEFAULT_LANG)


def team_name(team: str, lang: str) -> str:
    return t(f"game_team_{team}", lang)


def minutes_text(seconds: float, lang: str) -> str:
    seconds = max(0, round(seconds))
    if seconds % 60:
        return t("game_min_sec", lang, m=seconds // 60, s=seconds % 60)
    return t("game_min", lang, m=seconds // 60)


def lobby(game_id: int, game: KeyAccountGame, scene, brief_url: str, *, edit: bool = False) -> Reply:
    """The lobby: the scene, the rules, who is in which team; join, leave, start and the brief link."""
    size, lang = game.state["team_size"], group_lang(game)
    lines = [t("game_lobby_title", lang, title=scene.title), scene.summary, "",
             t("game_lobby_rules", lang, size=size, minutes=game.state["minutes"]), t("game_lobby_briefs", lang), ""]
    for team in TEAMS:
        names = t("list_sep", lang).join(game.name(u) for u in game.members(team)) or t("game_nobody", lang)
        lines.append(t("game_team_line", lang, team=team_name(team, lang), n=len(game.members(team)), size=size,
                       names=names))
    rows = buttons(
        [Button(t("game_btn_join", lang, team=team_name(x, lang), n=len(game.members(x)), size=size), GameJoin(game_id, x))
         for x in TEAMS],
        [Button(t("game_btn_leave", lang), GameLeave(game_id)), Button(t("game_btn_start", lang), GameStart(game_id))],
        [Button(t("game_btn_brief", lang), url=brief_url)])
    return Reply("\n".join(lines), rows, edit=edit)


def begin(game: KeyAccountGame, missing: list[str], brief_url: str) -> Reply:
    """The start in the group; players whose brief could not be sent are named, with the link to get it."""
    lang = group_lang(game)
    text = t("game_begin", lang, minutes=game.state["minutes"])
    if not missing:
        return Reply(text)
    text += t("game_missing_briefs", lang, names=t("list_sep", lang).join(missing))
    return Reply(text, buttons([Button(t("game_btn_get_brief", lang), url=brief_url)]))


def brief(scene, team: str) -> Reply:
    """A team's private brief (the scene's own words: content, as written)."""
    return Reply(team_brief(scene, team))


def vote(game_id: int, game: KeyAccountGame, question: str | None, minutes: float) -> Reply:
    """Time is up: team B is asked the scene's renewal question, with the two vote buttons."""
    lang = group_lang(game)
    names = t("list_sep", lang).join(game.name(u) for u in game.members("B"))
    text = t("game_vote", lang, names=names, question=question or t("game_default_vote_question", lang),
             minutes=minutes)
    return Reply(text, buttons([Button(t(label, lang), GameVote(game_id, renew))
                                for label, renew in (("game_renew", True), ("game_not_renew", False))]))


def time_left(game: KeyAccountGame, minutes: float) -> Reply:
    lang = group_lang(game)
    return Reply(t("game_time_left", lang, left=minutes_text(minutes * 60, lang)))
