"""What a flow answers, for any face to render: `Reply` (text with light markup, buttons, an image), and the
typed actions behind buttons with their one encoding to short callback strings.

Markup in `Reply.text` is one thing only: ``**bold**`` (the articles' own Markdown bold, which the knowledge
base already carries). Telegram escapes the text and renders it as HTML; the terminal drops the markers.

A button's action travels as a callback string any client can forge or keep for months. `encode` and `decode`
are the only places that know the strings; whatever `decode` cannot read is `Stale`, and a face shows one
polite "this button has expired" for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.chat.i18n import LANGS, in_script
from bot.coach.game import TEAMS
from bot.coach.scenario import LEVELS

# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    """What pressing a button asks for."""


@dataclass(frozen=True)
class Stale(Action):
    """Callback data nothing reads any more (an old message, a forged button). `family` picks the wording."""

    family: str = ""


@dataclass(frozen=True)
class RolePlayAction(Action):
    """A role-play button: the scenario list, a scenario's levels, a brief, start, continue, end, the parked text."""


@dataclass(frozen=True)
class StudyAction(Action):
    """A self-study button: lessons, quiz and review questions, the exam."""


@dataclass(frozen=True)
class AnswerAction(Action):
    """A button under an answer (`answer`: the stored answer's id)."""

    answer: int


@dataclass(frozen=True)
class AnswerPassage(AnswerAction):
    n: int  # the citation's number, from 1


@dataclass(frozen=True)
class AnswerMore(AnswerAction):
    pass


@dataclass(frozen=True)
class AnswerRating(AnswerAction):
    rating: int  # 1 or -1


@dataclass(frozen=True)
class GameAction(Action):
    """A key-account game button in a group: it acts only on that group's game (`game`, its id)."""

    game: int


@dataclass(frozen=True)
class GameJoin(GameAction):
    team: str  # "A" or "B"


@dataclass(frozen=True)
class GameLeave(GameAction):
    pass


@dataclass(frozen=True)
class GameStart(GameAction):
    pass


@dataclass(frozen=True)
class GameVote(GameAction):
    renew: bool


@dataclass(frozen=True)
class SetLang(Action):
    """The interface language chosen (`lang`: one of bot.chat.i18n.LANGS)."""

    lang: str


@dataclass(frozen=True)
class RpList(RolePlayAction):
    pass


@dataclass(frozen=True)
class RpScenario(RolePlayAction):
    scenario: str


@dataclass(frozen=True)
class RpBrief(RolePlayAction):
    scenario: str
    level: str


@dataclass(frozen=True)
class RpStart(RolePlayAction):
    scenario: str
    level: str


@dataclass(frozen=True)
class RpContinue(RolePlayAction):
    pass


@dataclass(frozen=True)
class RpEnd(RolePlayAction):
    pass


@dataclass(frozen=True)
class RpSendParked(RolePlayAction):
    """The text parked after a long pause was meant for the customer."""


@dataclass(frozen=True)
class RpAskParked(RolePlayAction):
    """The text parked after a long pause was a question for the knowledge base."""


@dataclass(frozen=True)
class StLesson(StudyAction):
    article: str | None = None  # None: where the learner left off
    screen: int = 0


@dataclass(frozen=True)
class StQuiz(StudyAction):
    module: str | None = None


@dataclass(frozen=True)
class StReview(StudyAction):
    pass


@dataclass(frozen=True)
class StAnswer(StudyAction):
    key: str  # the question's short key (callback data has 64 bytes)
    option: int  # index in question.options, not the letter shown: options are shuffled per showing
    review: bool = False


@dataclass(frozen=True)
class StExamStart(StudyAction):
    pass


@dataclass(frozen=True)
class StExamAnswer(StudyAction):
    attempt: int
    index: int
    option: int


MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger id raised OverflowError deep in the store
MAX_CALLBACK = 64  # bytes Telegram keeps of callback data


def parse_id(text: str, *, upper: int = MAX_ID) -> int:
    """A number from callback data: plain ASCII digits (no sign, spaces, underscores or other scripts' digits,
    which int() would take) from 0 to `upper`; else ValueError."""
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        raise ValueError(f"not an id: {text[:40]!r}")
    value = int(text)
    if value > upper:
        raise ValueError(f"id out of range: {text!r}")
    return value


def encode(action: Action) -> str:
    """The short callback string for an action (the one format both directions share)."""
    match action:
        case RpList():
            return "rp:list"
        case RpScenario(scenario):
            return f"rp:s:{scenario}"
        case RpBrief(scenario, level):
            return f"rp:d:{scenario}:{level}"
        case RpStart(scenario, level):
            return f"rp:go:{scenario}:{level}"
        case RpContinue():
            return "rp:cont"
        case RpEnd():
            return "rp:end"
        case RpSendParked():
            return "rp:send"
        case RpAskParked():
            return "rp:ask"
        case StLesson(None, _):
            return "st:l"
        case StLesson(article, screen):
            return f"st:l:{article}:{screen}"
        case StQuiz(None):
            return "st:q"
        case StQuiz(module):
            return f"st:q:{module}"
        case StReview():
            return "st:r"
        case StAnswer(key, option, review):
            return f"st:{'r' if review else 'a'}:{key}:{option}"
        case StExamStart():
            return "st:x"
        case StExamAnswer(attempt, index, option):
            return f"st:e:{attempt}:{index}:{option}"
        case AnswerPassage(answer, n):
            return f"p:{answer}:{n}"
        case AnswerMore(answer):
            return f"m:{answer}"
        case AnswerRating(answer, rating):
            return f"r:{answer}:{rating}"
        case GameJoin(game, team):
            return f"g:{game}:join:{team}"
        case GameLeave(game):
            return f"g:{game}:leave"
        case GameStart(game):
            return f"g:{game}:start"
        case GameVote(game, renew):
            return f"g:{game}:vote:{int(renew)}"
        case SetLang(lang):
            return f"lang:{lang}"
    raise TypeError(f"no encoding for {action!r}")


def decode(data: str | None) -> Action:
    """The action a callback string names; `Stale` for anything else (never an exception)."""
    family, _, rest = (data or "").partition(":")
    try:
        action = _decode(family, rest.split(":") if rest else [])
    except (ValueError, IndexError):
        action = None
    return action if action is not None else Stale(family)


def _decode(family: str, parts: list[str]) -> Action | None:
    kind, args = (parts[0], parts[1:]) if parts else ("", [])
    if family == "rp":
        if not args:
            return {"list": RpList(), "cont": RpContinue(), "end": RpEnd(), "send": RpSendParked(),
                    "ask": RpAskParked()}.get(kind)
        if kind == "s" and len(args) == 1 and args[0]:
            return RpScenario(args[0])
        if len(args) == 2 and args[0] and args[1] in LEVELS:
            if kind in ("d", "next"):  # "next": the scorecard's suggested practice, as older messages carry it
                return RpBrief(*args)
            if kind == "go":
                return RpStart(*args)
        return None
    if family == "st":
        if kind == "l":
            if not args:
                return StLesson()
            if len(args) == 2 and args[0]:
                return StLesson(args[0], parse_id(args[1], upper=10_000))
        elif kind == "q" and len(args) <= 1:
            return StQuiz(args[0] if args and args[0] else None)
        elif kind == "r" and not args:
            return StReview()
        elif kind in ("a", "r") and len(args) == 2 and args[0]:
            return StAnswer(args[0], parse_id(args[1], upper=1000), review=kind == "r")
        elif kind == "x" and not args:
            return StExamStart()
        elif kind == "e" and len(args) == 3:
            return StExamAnswer(parse_id(args[0]), parse_id(args[1], upper=1000), parse_id(args[2], upper=1000))
    if family in ("p", "m", "r") and parts:  # p:ANSWER:N, m:ANSWER, r:ANSWER:1|-1
        answer, args = parse_id(parts[0]), parts[1:]
        if family == "p" and len(args) == 1:
            return AnswerPassage(answer, parse_id(args[0], upper=1000))
        if family == "m" and not args:
            return AnswerMore(answer)
        if family == "r" and len(args) == 1 and args[0] in ("1", "-1"):
            return AnswerRating(answer, int(args[0]))
        return None
    if family == "lang":
        return SetLang(parts[0]) if parts and len(parts) == 1 and parts[0] in LANGS else None
    if family == "g" and len(parts) >= 2:  # g:ID:join:A|B, g:ID:leave, g:ID:start, g:ID:vote:1|0
        game, kind, args = parse_id(parts[0]), parts[1], parts[2:]
        if kind == "join" and len(args) == 1 and args[0] in TEAMS:
            return GameJoin(game, args[0])
        if kind == "vote" and len(args) == 1 and args[0] in ("0", "1"):
            return GameVote(game, args[0] == "1")
        if not args:
            return {"leave": GameLeave(game), "start": GameStart(game)}.get(kind)
    return None


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Button:
    """A button: an action (Telegram: callback data; terminal: a numbered choice) or a link (`url`)."""

    label: str
    action: Action | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message as a face shows it.

    - `text`: plain text with ``**bold**``; with `image`, the image's caption.
    - `buttons`: rows of buttons.
    - `image` / `image_name`: a PNG (Telegram sends it as a photo; the terminal saves it under `image_name`).
    - `alert`: a short notice about the button just pressed (Telegram shows it on the button; a command or
      the terminal shows it as a message).
    - `edit`: replaces the message whose button was pressed, where the face can.
    - `part`: one part of a role-play's ending; the face reports it delivered once it is out (see
      `bot.chat.roleplay.ending`), so a re-run after a crash sends only what is missing.
    """

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: bytes | None = None
    image_name: str | None = None
    alert: bool = False
    edit: bool = False
    part: str | None = None

    @property
    def actions(self) -> list[Action]:
        """The buttons' actions in reading order (links left out): the terminal's numbered choices."""
        return [b.action for row in self.buttons for b in row if b.action is not None]


def say(text: str, lang: str, **kw) -> Reply:
    """A reply in the reader's script: text written in simplified characters reaches zh-TW readers in traditional."""
    return Reply(in_script(text, lang), **kw)


def buttons(*rows: list[Button] | tuple[Button, ...]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True)
class Caller:
    """Who a flow answers: the user, their chat, their language, their name (a certificate's greeting);
    `origin` names the request (Telegram: the update), which a role-play remembers as what ended it;
    `replayed`: the request runs again after a crash."""

    user: int
    chat: int
    lang: str
    name: str = ""
    origin: str | None = None
    replayed: bool = False


@dataclass
class Outcome:
    """What a flow did with an input: the replies to show, then, when `question` is set, that text answered
    as a question for the knowledge base (each face renders answers its own way: citations, buttons)."""

    replies: list[Reply] = field(default_factory=list)
    question: str | None = None
    # Called with a reply's `part` once the face has shown it (a role-play ending's parts, see Reply.part).
    delivered: Callable[[str], None] | None = None
