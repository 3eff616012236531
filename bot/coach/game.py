"""The key-account game: two teams in a group chat, secret briefs, a stored clock, a vote and a debrief.

Team A plays the supplier, team B its key account (knowledge/key-account-role-play-game.md). The game
is a plain state dict saved on every change; the clock is a stored deadline (or the time left while
paused), so a restarted bot reschedules its reminders from the store and loses nothing.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.coach.credits import GROUPS as CREDIT_GROUPS
from bot.coach.credits import KINDS as CREDIT_KINDS
from bot.coach.credits import TITLES as CREDIT_TITLES
from bot.coach.credits import CreditReader, default_reader
from bot.coach.judge import cue_matches, match_form
from bot.coach.moves import MoveCatalogue, MoveRecogniser, TurnMoves, default_recogniser, load_catalogue
from bot.coach.scenario import Needs
from bot.config import PROJECT_ROOT
from bot.errors import SalescoachError
from bot.kb.text import split_sentences, to_simplified

log = logging.getLogger(__name__)
GAMES_DIR = PROJECT_ROOT / "prompts" / "games"
DEFAULT_SCENE = "renewal-late-delivery-price"
TEAMS = ("A", "B")
NEED_KINDS = ("spoken", "real", "unspoken", "delight", "secret")
NEED_NAMES = {"spoken": "说出来的需要", "real": "真正的需要", "unspoken": "没说出来的需要",
              "delight": "满足后令人高兴的需要", "secret": "秘密需要"}
Status = Literal["lobby", "running", "paused", "voting", "ended"]
T = TypeVar("T")


class GameError(SalescoachError):
    """A game request that cannot be served. The subclasses say why and the faces choose the words (the
    message is for the log); a bare GameError is a scene or debrief file that cannot be read."""


class UnknownScene(GameError):
    """No such scene (there never was one, or its file went offline)."""


class NoSuchGame(GameError):
    """No game has this id (a forged button)."""


class GameAlreadyOpen(GameError):
    """The group already has a game that has not ended."""


class GameStarted(GameError):
    """The lobby is closed: teams can no longer be joined or left, and the game cannot start again."""


class NoSuchTeam(GameError):
    """A team other than A or B."""


class TeamsIncomplete(GameError):
    """Both teams need at least one player to start."""


class NotRunning(GameError):
    """The clock is not running (pause), or the game is neither running nor paused (extend, stop)."""


class NotPaused(GameError):
    """Resume asked of a game that is not paused."""


class NotVoting(GameError):
    """The vote is not open (not yet, or closed)."""


class NotTeamB(GameError):
    """Only team B, the key account, votes."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RedLine = Literal["gift_favour", "badmouth_competitor", "overpromise", "unconditional_discount", "blame_outside",
                  "blame_customer"]
"""Moves of the recogniser's catalogue a brief can forbid outright (a red line, not just a weak move)."""
RED_LINE_NAMES = {"gift_favour": "送礼或私人好处", "badmouth_competitor": "贬低竞争对手", "overpromise": "超出权限或能力的承诺",
                  "unconditional_discount": "不换条件的降价", "blame_outside": "把责任推给外部",
                  "blame_customer": "把责任推给客户"}
"""How a team's brief names its red lines (the players read them; the debrief holds messages against them)."""


class Mandate(_Strict):
    """Team A's limits as data, so the debrief can hold every message against them (the prose in ``limits``
    is what the players read; keep the two saying the same thing)."""

    max_discount_pct: float = Field(ge=0, description="Largest price cut team A may give, in percent.")
    max_payment_days: int | None = Field(None, gt=0, description="Longest payment terms; None: the brief sets none.")
    max_compensation_wan: float | None = Field(None, ge=0, description="Largest cash compensation, in 万元.")
    free_services: list[str] = Field(default_factory=list, description="What team A may give free of charge.")
    free_allowed: list[str] = Field(default_factory=list, description=(
        "Judge cues for the free services above: an offer of something free that matches none of them is a breach."))
    red_lines: list[RedLine] = Field(min_length=1)
    beyond_authority: dict[str, list[str]] = Field(default_factory=dict, description=(
        "Offers team A has no authority to make: what the trainer reads -> judge cues ('A|B', 'A&B', 're:...')."))
    unit_price: float | None = Field(None, gt=0, description=(
        "Today's unit price in 元 (per 吨 or per 平方米, as the brief's figures imply it): a new price offered "
        "(「按305走」) or a cut per unit (「每吨低八百」) is read as a cut in percent against it."))
    fastest_days: int | None = Field(None, gt=0, description=(
        "The fastest delivery team A can promise, in days: a promise of less (「保证3天到」) is beyond its authority."))
    min_share_pct: float | None = Field(None, gt=0, le=100, description=(
        "The least share of the account's volume a price cut may be traded for (「只能换取主供地位（份额不低于 55%）」): "
        "a cut offered for less (「给我们50%的份额，单价就降2%」) is a cut the brief does not allow."))
    standard_days: int | None = Field(None, gt=0, description=(
        "The standard delivery time, in days, where a faster one is a paid rush order (加急): a promise faster than "
        "it that is no rush order (「尽量5天，也不用走加急」) is beyond what team A can give."))
    rivals: list[str] = Field(default_factory=list, description=(
        "The competitors' names as players write them (「科睿」「远东」): a rumour about one (「科睿是不是出过色差？我好像"
        "听同行讲过」) runs it down, however it is asked."))


class TeamA(_Strict):
    role: str
    history: list[str] = Field(min_length=1, description="The account's history with us.")
    value: list[str] = Field(min_length=1, description="What the account is worth to us.")
    goals: list[str] = Field(min_length=1)
    limits: list[str] = Field(min_length=1, description="What the supplier may not give away.")
    mandate: Mandate


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
    vote_question: str = Field(min_length=4, description="What team B votes on when time is up.")


class Cue(_Strict):
    id: str
    title: str
    means: str = ""
    cues: list[str] = Field(min_length=1)
    moves: list[str] = Field(default_factory=list, description="Recogniser moves that also show it.")


class DebriefGuide(_Strict):
    kotler_levels: list[Cue] = Field(min_length=5, max_length=5)
    strategies: list[Cue] = Field(min_length=7, max_length=7)
    value_arguments: list[Cue] = Field(min_length=1)
    articles: list[str] = Field(min_length=1)
    move_articles: dict[str, str] = Field(description="Move id (or limit) -> the knowledge article to read about it.")


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
        m = a.mandate
        lines.append("• 红线：" + "、".join(RED_LINE_NAMES[r] for r in m.red_lines) + "。")
        lines.append("• 可以免费给的只有：" + "、".join(m.free_services) + "。" if m.free_services
                     else "• 不能免费给任何额外的东西（加急、服务、赠品都算）。")
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
            raise GameStarted(self.status)
        if team not in TEAMS:
            raise NoSuchTeam(team)
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
            raise GameStarted(self.status)
        return self.state["players"].pop(str(user_id), None) is not None

    # clock --------------------------------------------------------------------
    def start(self, now: float) -> None:
        if self.status != "lobby":
            raise GameStarted(self.status)
        if not self.members("A") or not self.members("B"):
            raise TeamsIncomplete("both teams need a player")
        self.state.update(status="running", started=now, deadline=now + self.state["minutes"] * 60)

    def pause(self, now: float) -> float:
        if self.status != "running":
            raise NotRunning(self.status)
        self.state.update(status="paused", left=max(0.0, self.state["deadline"] - now), deadline=None)
        return self.state["left"]

    def resume(self, now: float) -> float:
        if self.status != "paused":
            raise NotPaused(self.status)
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
            raise NotRunning(self.status)
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
            raise NotRunning(self.status)
        self.state.update(status="voting", ended=now, deadline=None, left=None)

    # vote ---------------------------------------------------------------------
    def vote(self, user_id: int, renew: bool) -> bool:
        """Team B's vote; True when every member of team B has voted."""
        if self.status != "voting":
            raise NotVoting(self.status)
        if self.team_of(user_id) != "B":
            raise NotTeamB(user_id)
        self.state["votes"][str(user_id)] = renew
        return len(self.state["votes"]) >= len(self.members("B"))

    def close(self) -> None:
        if self.status not in ("voting", "running", "paused"):
            raise NotVoting(self.status)
        self.state["status"] = "ended"

    def cancel(self) -> None:
        """The trainer calls off a game before it starts."""
        if self.status != "lobby":
            raise GameStarted(self.status)
        self.state["status"] = "ended"

    def verdict(self) -> tuple[int, int]:
        votes = list(self.state["votes"].values())
        return sum(votes), len(votes) - sum(votes)


# ----------------------------------------------------------------------------- debrief
# The debrief reads each team A sentence twice: the recogniser says what it *does* (a gift, a run-down
# competitor, an apology, a discovery question) and rules read the numbers in it (a cut of 5%, 90 days)
# against the scene's mandate. A sentence that breaks the brief is listed as a breach and never credited,
# whatever else it also does: 「私下请您吃个饭」 is a gift, not the strategy 个人联系.
CREDITED = {"apology": "道歉、认错", "own_fault": "道歉、认错", "open_question": "发现需要的提问",
            "value_figures": "价值论据", "total_cost": "价值论据", "quality_evidence": "价值论据",
            "relationship_value": "价值论据", "service_commitment": "价值论据", "corrective_plan": "价值论据",
            "tailored_solution": "价值论据", "conditional_concession": "有条件的让步"}
"""Good moves the debrief credits by name, grouped as a trainer reads them."""
SPOILS = 0.6
SPOILS_MESSAGE = frozenset({"argue_pressure", "badmouth_competitor", "blame_customer", "gift_favour", "pleading"})
"""Mistakes that turn a whole message (「他们今年接了多少单您问过没？到时候真交不出来……」 is pressure, not a discovery
question); any other mistake (a vague 「我们回去按流程走」) spoils only its own sentence, not the question after it."""
"""A mistake read this surely in a message takes the credit from the good moves beside it (below this, the
recogniser's recall-first thresholds would spoil honest messages: 「很抱歉……」 reads blame_outside at 0.4)."""
OWNED_OUT = frozenset({"blame_outside", "blame_customer"})
SURE_ENOUGH = {"overpromise": 0.8}
"""A red line the recogniser reads less surely than this is not held against the player (nor is the move kept).
「有问题随时打电话给我」 reads as overpromise at 0.70, 「降5%没问题，账期90天也可以」 at 0.95: an accusation in front of
the group needs more than the recogniser's own threshold. Set on those examples, not calibrated on a corpus."""

_NUM = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十百]+)"
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # 九五折 (_DISCOUNT_RATE)
_PCT = re.compile(r"(?:降|让|便宜|优惠|下调|下浮|少收|减|最多|给到|一共|总共|合计|加起来|总计|累计|返|再加)[^，。\d%]{0,4}" + _NUM
                  + r"\s*(?:%|％|个点|个百分点)")
_NOT_PRICE = re.compile(r"损耗|准时|合格|份额|毛利|成本|利润|涨|增长|市场|省下|能省|省了|省的|(?i:\bloss|\bwaste|on-time)|"
                        r"(?:%|％|个点)\s*(?:大概|大约|差不多|也就)?\s*就?(?:是|等于|相当于)\s*\d|不是\s*\d+(?:\.\d+)?\s*(?:%|％|个点)")
"""Percentages that are not a price cut (「损耗从6%降到3.5%」 is a value argument; 「降3%大概是144万」 and 「损失就不是3个点
能比的」 work a cut out, they do not give it)."""
_DISCOUNT_RATE = re.compile(r"([八九])([一二三四五六七八九])?折")  # 九五折 = 5% off
_DAYS = re.compile(_NUM + r"\s*天")
_WAN = re.compile(r"(?<![几多数])" + _NUM + r"\s*万")  # not 「多赔几十万」: no figure
_REFUSE = re.compile(r"(?<!能)不能|不可能|(?<!可)不可以|做不到|办不到|没法|没办法|无法|(?<!行)不行|不了|不答应|给不起|超出|超过了?权限|"
                     r"不会|太(?:狠|多|高|离谱)|批不|不下来|(?:有点|有些|比较|很|太)难|有难度|"
                     r"(?i:\bbeyond\b|\bcan'?t\b|\bcannot\b|\bno way\b|\bnot possible\b|\bunable\b)")
_CANNOT = re.compile(r"做不到|办不到|保证不了|(?:不能|不敢|没法|无法|不会)(?:乱|随便|轻易)?(?:答应|保证|承诺|打包票|拍胸脯)|"
                     r"不(?:跟|给|和|对|向)(?:您|你们?)?(?:乱|随便)?(?:打包票|保证|承诺|拍胸脯)|"
                     r"不(?:往|写进?)合同|can'?t (?:promise|guarantee)|won'?t promise")
"""A promise named to decline it: not a promise. Narrower than _REFUSE, whose 不会 is the overpromise itself
(「保证以后不会再晚」)."""
_CONDITION = re.compile(r"(?i)如果|假如|假设|要是|只要|的话|前提是|条件是|满足.{0,6}(?:条|一个|之一)|换(?:来|取)|作为交换|"
                        r"就算|即使|即便|哪怕|"
                        r"\bif\b|\bas long as\b|\bprovided\b|\bin exchange\b|\bin return\b|\bon condition\b")
"""A cut tied to something the account gives (「锁1800吨的话，单价降1%」, "If 你们把账期缩到45天…"): a trade, not a
cut for nothing, whatever the recogniser's reading of a code-switched sentence."""
_WAIVED = re.compile(r"(?i)不用锁|不锁|不用.{0,4}(?:承诺|保证|签)|不要求|不强求|不设门槛|没有门槛|没门槛|"
                     r"no (?:commitment|strings)|don'?t (?:have|need) to commit")
"""A condition waived in the same breath (「只要明年主供给我们，单价降2%，量…不用锁」): the cut is given for nothing."""
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百]+\s*(?:万|个点|吨|天|小时|年|次|成)")
_VALUE_TALK = re.compile(r"(?i)省|损耗|准时率|合格率|返工|投诉|响应|交付率|到货率|综合账|总账|算一?笔|数据|记录|检测报告|"
                         r"on-time|pass rate|rework|\bsav|\bdata\b|\breport")
"""A figure put to what the account gains (「损耗每降1个点就是将近40万」「六年准时率95%，4次质量投诉都在7天内处理完」):
a value argument however the recogniser reads it; figures are facts, read by rule."""
_LOCK_DROPPED = re.compile(r"(?:即便|即使|就算|哪怕|不管|无论)[^。；]{0,24}(?:照给|也给|照样给|一样给)|(?:锁量|锁定|锁)[^，。；]{0,8}(?:不写|先不|不用|算了|免了|按原来|照旧|不影响|不急|不着急|后面(?:再|慢慢)?谈|"
                           r"以后再(?:说|谈)|回头再(?:说|谈)|慢慢谈)|不管.{0,8}锁不锁|(?:不跟|不和|不与).{0,8}挂钩|不挂钩")
"""The volume lock a cut was traded for, dropped (「那锁量就先不写进合同了……价格我们照样执行」「单价就按28710一吨执行，
账期和锁量先按原来的走」「1个点我们先给 不管明年锁不锁量」「先按降2%执行 不跟评审结果挂钩」): the cut stays, the condition
goes."""
_WITHDRAWN = re.compile(r"不算数|不作数|收回|撤回|作废")
_GIVES = re.compile(r"%|％|个点|折|[元块]|降|让|便宜|优惠|返|免|包了|不收|送|跟价|按.{0,4}\d")
"""What a price cut says it gives: a figure, a cut, something free. 「补板和运费我们回去出一份书面价目表」 names a
price list, not a cut."""
_NOT_OURS = re.compile(r"您说|你说|你们说|您要|你们要|要求|远东|佳成|科睿|对手|他们|对方")
_HARD = re.compile(r"[，,；;：:。！？!?]")
_SOFT = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?<![降让到按是减低少返给补扣付为])\s+(?=\d)|"
                   r"(?<=[\d%％])\s+(?=[\u4e00-\u9fff])")
_CLAUSES = re.compile(_HARD.pattern + "|" + _SOFT.pattern)
"""Where a clause ends: punctuation, or a space between Chinese words or between a word and a figure, which is how
a group chat punctuates (「今天签纪要 书面赔偿协议等联合检测报告出来再签」 is two clauses: the second signs nothing
today; 「价格嘛好说 3%就3% 跟远东一样」 is three: the competitor is named in the third, not where the cut is given).
Figures are read in ``_spans``: a figure keeps its topic across a space (「账期 90天 没问题」)."""
_ACCEPT = re.compile(r"(?i:\bok\b|no problem|\bdeal\b)|没问题|可以|行|好的|成交|同意|答应|认了|(?<![确否辨承])认|给你们|给您|我签|签字|就这么定|写进|那就|就按|拍板|"
                     r"先给|照给|就给|都给|(?:^|\s)给(?=\s|$)")
_SAME_PCT = re.compile(_NUM + r"\s*(?:%|％|个点)\s*就\s*" + _NUM + r"\s*(?:%|％|个点)")  # 「3%就3%」
_BARE_PCT = re.compile(_NUM + r"\s*(?:%|％|个点)")
_PRICE_WORDS = re.compile(r"降价|单价|价格|价钱|便宜|打折|折扣|[八九][一二三四五六七八九]?折|让利|优惠|返点|让价|降[\d一二两三四五六七八九十]")
"""A sentence that names the price gives more than a free service: the cut, not the service, is what it offers."""
_FREE = re.compile(r"(?<!不是)(?<!并非)(?<!不)免费|免了|不(?:单独|另外|额外|再)?(?:跟|向|找|问)[^，。；]{0,6}收|"
                   r"不单独收|不(?:另外|额外|单独|再)?算钱|不(?:跟|和|向)(?:你们|您)[^，。；]{0,6}算(?:钱|费|了)|(?:自己|我们|内部)(?:想办法)?消化|(?<!不)不收(?:取)?.{0,4}(?:费|钱)|全包|包了|不收钱|不收费|不要钱|不用你们出|不让你们出|你们不用出|"
                   r"(?:钱|费用?)(?:全|都|全都|也|全部)?我们(?:全|都|全部)?(?:来)?(?:出|承担|包)|我们(?:来)?出钱|全部我们(?:来|出|承担|包)|"
                   r"(?:费|钱)[^，。；]{0,3}(?:都|也|全)?不收|一分(?:钱)?(?:都|也)?不(?:用)?(?:出|掏|收)|"
                   r"不收(?:你们|您)?一分钱|白送|送给你们|送你们|算我们的|"
                   r"(?:都|全|全部|全都)我们(?:来)?(?:出|承担|包)|不用(?:你们|您)?(?:承担|出|付|掏)任何(?:费用|钱)|"
                   r"不另(?:外)?收|不额外收|不再收|全免|都免|免掉|absorb|waive|no charge|free of charge|for free|(?<!is )(?<!'s )on us\b|"
                   r"on the house|won'?t charge|at our cost")
_TOTAL = re.compile(r"一共|总共|合计|加起来|总额|总计|累计|in total|total")
"""A figure after these is what the whole offer comes to, not one more amount to add up (「最多35万」 caps one item:
it still adds up with the rest)."""
_FREE_SAID_NO = re.compile(r"不(?:会|用)?让.{0,6}(?:掏|出|花)(?:钱|一分)")
"""A free offer put in the negative (「反正不会让楚天掏钱的」): its 不会 refuses nothing."""
_DECLINES = re.compile(r"答应不了|做不到|办不到|给不了|批不了|定不了|没有?权限|(?<!行)不行|不可以|(?<!能)不能|没法|不可能")
"""A short clause right after an offer that takes it back (「1:1样板墙免费做 我这答应不了」「全职常驻…公司做不到」)."""
_TAKES_ON = re.compile(r"(?i)赔|补(?!充)|贴|承担|来担|担下|打款|扛|兜|(?<![确否辨承])认|分担|[来另额单]出|我们出|(?:不用|不让|不会让)[^，。]{0,6}(?:掏|出钱)|cover|"
                       r"compensat|\bpay")
"""Taking a sum on (「这50万我们来出」「罚款那50万我们来扛」): the account's figure is then team A's offer."""
_MORE_COST = re.compile(r"(?:租金|[^，。；\s]{0,4}费|损失|罚款|人工|工资)[^，。；]{0,4}(?:也|都|全|全部)?(?:我们|我方)?(?:来)?"
                        r"(?:出|承担|赔|包|扛|兜)")
"""One more cost taken on (「吊篮的租金也我们出」): once the cash offered is past the cap, more than the brief allows."""
_ASKED = re.compile(r"[？?]|还是|是不是|吗")
_CAP = re.compile(r"上限|封顶|顶多|超过|以内|(?i:\bcap\b|\bmax\b)")
"""Cash named as a ceiling (「现金赔偿我现场能表态的上限是50万」): the whole offer, not one more sum."""
_DISGUISED = re.compile(r"以.{0,10}(?:名义|名目)|换个名(?:义|目)|名义上|不(?:体现|写|算|放)(?:在|进|到)?单价|红字发票|走.{0,4}(?:费用|服务费|支持费)|(?:技术|项目|服务)(?:支持|服务)?费.{0,6}返|"
                        r"(?:市场|营销|推广|渠道)(?:支持|推广|合作)?费")
"""Money handed back under another name (「以技术支持费的名义返给你们5万」「每年再给你们0.5%的市场支持费」): a hidden
price cut, whatever the sum."""
_MONEY_BACK = re.compile(r"返|退款|退还|补贴|打款|钱|冲掉|冲抵|抵扣|折让|" + _NUM + r"\s*(?:万|%|％|个点|块)")
"""...as long as money goes back: 「以公司的名义给您发一封致歉函」 is no rebate."""
_DURATION = r"(?:" + _NUM + r"\s*天|(半)个月|" + _NUM + r"\s*个月|(一)个季度)"
_SOME_TIME = r"(?:\d+|[一二两三四五六七八九十百半]+)\s*(?:天|个月|个季度)"
_GRACE = re.compile(r"(?:晚付|晚点付|迟付|宽限|不催|缓|延后|推迟|往后(?:放|推|挪|延)|(?:晚|迟)[个点]?(?=" + _SOME_TIME
                    + r"))[^，。；]{0,8}?" + _DURATION)
"""Time to pay beyond the contract's terms (「到期后晚付半个月我们也不催」「晚个一个月付也没关系」「开票时间往后放一个月」):
it adds to them."""
_OPEN_ENDED = re.compile(r"什么时候方便什么时候(?:付|给|结)|(?:随时|有钱了?再|慢慢)(?:付|给|结)|不急着?(?:付|要|收)")
_NO_CHASE = re.compile(r"不会?(?:来|去)?催")
"""No date at all to pay by (「我们财务不会来催的，你们什么时候方便什么时候付」): longer than any terms a brief allows.
「不催」 alone is open-ended only where no day count says until when (「到了90天再付我们也不催」 is 90 days)."""
_ON_TOP = re.compile(r"(?i)再多?(?:让|降|便宜|优惠|减|返|少|补贴|贴|扣|加)|额外(?:再)?(?:让|降|返|优惠|给)|叠加|on top|additional")
"""A cut given on top of one already offered (「每吨再让100」): the account gets both, and the brief limits the sum."""
_SHARE_TALK = re.compile(r"(?i)份额|主供|\bshare\b")
_RUMOUR = re.compile(r"(?i)听说|(?<!数)据说|(?:您|你们?)(?:可以|不妨)?去?问问|打听打听|去查查|听.{0,6}(?:讲|说)过?|传言|传闻|在传|传开|有人说|风声|(?:好像|是不是).{0,12}(?:出过|有过|闹过|被)|"
                     r"\bI heard\b|\brumou?rs?\b|\bword is\b|\bapparently\b")
_TROUBLE = re.compile(r"(?i)出过|出事|出了?问题|色差|断供|断货|投诉|罚款|被罚|倒闭|质量|延误|拖欠|欠款|跑路|官司|事故|返工|返了.{0,3}工|退货|拖了|延期|起皮|脱落|开裂|生锈|变形|漏水|掉色|褪色|"
                      r"资金|撑不|亏损|裁员|不行了|\bproblems?\b|\bissues?\b|\bquality\b|\btrouble\b|\bbankrupt")
"""A rumour about a competitor's trouble (「科睿是不是前年在汉口出过色差？我好像听同行讲过」): running it down while
asking, which the recogniser reads as a question."""
_INSINUATE = re.compile(r"(?i)不多说了|懂的都懂|(?:你|您|你们|质检)懂的|大概率是|明眼人|you know what i mean")
"""What a rep says to let the account draw the conclusion about a named competitor (「远东能5天 大概率是拿库存板凑的
……你们质检懂的 我就不多说了」)."""
_JOB_FAVOUR = re.compile(r"(?:简历|实习|工作|岗位|入职|进厂|缺人|招人).{0,12}(?:打个?招呼|安排|内推|关照|留意|说一声)|"
                         r"(?:打个?招呼|内推|关照).{0,10}(?:工作|岗位|实习|进厂|入职|简历)")
_RELATIVE = re.compile(r"(?i)儿子|女儿|孩子|小孩|外甥|侄|亲戚|家属|表弟|表妹|弟弟|妹妹|老婆|爱人|嫂子|\b(?:son|daughter|nephew|niece|"
                       r"relative|cousin)\b")
_PLACED = re.compile(r"(?:安排|介绍|推荐|弄|招)(?:他|她)?(?:进来|进厂|进公司|过来|工作|岗位|实习|入职)|简历")
"""A job found for the buyer's relative (「您让他把简历发我，我跟人事那边打个招呼」「听说您儿子明年毕业……我们研发中心可以
直接安排进来」): a private favour."""
_NO_COMMENT = re.compile(r"(?i)不(?:评价|评论|做评价|议论)|不说(?:别人|人家|他们|对手)|\bno comment\b")
_RUNDOWN = re.compile(r"差|不行|烂|垃圾|小作坊|吹牛|出过事|出事|断供|骗|坑|不过|但是|可是|(?<!不)但|(?i:\bbut\b|\bhowever\b)")
"""「远东我们不评价，质量好不好您测过心里有数」 declines to run the competitor down: no red line, unless it runs it
down after all (「科睿我不评价，反正小作坊」) or turns with a "but" (「我们不说别人坏话 不过您可以去问问……」)."""
_CONTACTS = re.compile(r"(?:认识|有关系|找人|托人|打个?招呼).{0,14}(?:帮|问问|打听|说|介绍|安排)|帮(?:您|你)?(?:问问|打听|找找|介绍|联系|搞定|办好|解决)")
"""Pulling strings for the buyer's family (「您孩子明年小升初……我们老板认识那边几个学校的人，可以帮您问问」)."""
_NO_GIFT = re.compile(r"(?:一律|从来|绝对|都)(?:没有|不送|不收|不给)|不允许|不能送|不送|不收|合规|(?i:\bno gifts?\b|\bnever\b)")
_GIFT_GIVEN = re.compile(r"送(?:您|你|给)|给(?:您|你)(?:准备|带|送)|请(?:您|你)|私下|悄悄|不走.{0,3}账|(?i:nobody will know)")
"""A gift named to decline it (「送礼、回扣、私人好处一律没有」「礼品卡这些一律不送」) gives nothing, unless the sentence
gives one after all."""
_PAID_RUSH = re.compile(r"(?<!不用走)(?<!不走)(?<!不用)(?<!不)加急|(?i:\bexpedit|\brush order)")
_SAME_DAYS = re.compile(_NUM + r"\s*天\s*就\s*" + _NUM + r"\s*天")  # 「90天就90天」: giving in on the customer's figure


_CANTONESE = [(re.compile(a), b) for a, b in (
    (r"唔得", "不行"), (r"帐期", "账期"), (r"[嗰𠮶]", "那"), (r"我哋", "我们"), (r"你哋", "你们"), (r"佢哋", "他们"),
    (r"唔使", "不用"), (r"唔该", "谢谢"), (r"唔", "不"),
    (r"嘅", "的"), (r"咗", "了"), (r"俾", "给"), (r"今日", "今天"), (r"听日", "明天"), (r"冇", "没有"), (r"喺", "在"),
    (r"啲", "些"), (r"倾", "谈"), (r"睇", "看"), (r"一蚊", "一分钱"), (r"(?<=[签做讲])埋", ""),
    (r"落(?=\d|[一二两三四五六七八九十])", "降"), (r"(?<=[\d一二两三四五六七八九十])\s*日(?!期|子|常)", "天"),
    (r"(?<=\d)\s*days?\b", "天"), (r"(?<=\d)\s*weeks?\b", "周"))]
"""Cantonese words a Hong Kong player writes (「業主嗰50萬罰款我哋全部負責」「3日送到工地」「今日簽埋賠償協議」) as the
Mandarin the readings below know, after the script is folded; an English day count too (「90 days OK」)."""


@functools.lru_cache(maxsize=2048)
def _plain(text: str) -> str:
    """The sentence in simplified Mandarin, read once: a debrief asks for it from every rule that reads terms."""
    text = to_simplified(text)
    for pattern, mandarin in _CANTONESE:
        text = pattern.sub(mandarin, text)
    return text


def _number(token: str) -> float:
    if token[0].isdigit():
        return float(token)
    import cn2an  # Chinese numerals (一百二十, 两, 十五)

    while token:
        try:
            return float(cn2an.cn2an(token, "smart"))
        except ValueError:
            token = token[1:]  # 「二三十天」, a span: its larger end
    return 0.0


def offered_terms(sentence: str, base_days: float = 0.0) -> dict[str, float]:
    """The largest price cut (%), payment terms (days) and compensation (万元) a sentence offers.

    Read clause by clause: a clause that refuses (「降5%我们做不到」) or repeats what the customer or a competitor
    said (「您说要降5%」) offers nothing. ``base_days``: the payment terms already offered (earlier in the game), to
    which time to pay beyond them adds (「宽限15天没问题」 after 75 days is 90)."""
    out: dict[str, float] = {}

    def keep(key: str, value: float) -> None:
        out[key] = max(out.get(key, 0.0), value)

    text = _plain(sentence)
    amounts, totals = _cash(text)
    # 「损耗每降1个点就是将近40万 河西那次降了2.5个点」: a sentence about savings names figures that are no price cut,
    # in clauses of their own, unless the clause names the price.
    savings = bool(_NOT_PRICE.search(text))
    # A cut is read part by part (a long message's savings figures sit in parts of their own); days to pay are read
    # in the whole clause, beside their topic across a space.
    for part in (x for kept in _kept_parts(text) for x in kept):
        if _NOT_PRICE.search(part) or (savings and not _PRICE_WORDS.search(part)):
            continue
        for m in _PCT.finditer(part):
            keep("discount", _number(m.group(1)))
        for m in _SAME_PCT.finditer(part):  # giving in: 「3%就3%」
            keep("discount", _number(m.group(1)))
        if re.search(r"%|％|个点", text):  # 「1个点的基础上 我再加0.5个点……一共1.5」: the total, its unit said before
            for m in re.finditer(r"(?:一共|总共|合计|加起来)\s*" + _NUM + r"(?![\d.]|\s*(?:万|天|吨|元|块|年|月|个(?!点)))", part):
                keep("discount", _number(m.group(1)))
        if _ACCEPT.search(text) and not re.search(r"损耗|准时|合格|份额|毛利|增长|涨", text):
            for m in _BARE_PCT.finditer(part):  # 「行，5%，写进去」: a bare figure, accepted
                keep("discount", _number(m.group(1)))
        for m in _DISCOUNT_RATE.finditer(part):
            rate = _CN_DIGITS[m.group(1)] * 10 + (_CN_DIGITS[m.group(2)] if m.group(2) else 0)
            keep("discount", 100 - rate)
    for clause in _spans(text):
        if re.search(r"账期|付款|回款|结算|再付|才付|付清|付钱|打款", clause):
            for m in _DAYS.finditer(clause):
                keep("payment_days", _number(m.group(1)))
        elif _ACCEPT.search(clause) or re.search(r"给你们|给您|合同", clause):
            for m in _DAYS.finditer(clause):  # 「90天没问题」: a month or more is payment terms, not a delivery time
                if 30 <= _number(m.group(1)) <= 365:
                    keep("payment_days", _number(m.group(1)))
    payment_talk = re.search(r"账期|付款|回款|结算|结账|对账|统一结|再付|才付|付清|付钱|打款|开票|月结|季结|payment|pay", text)
    if payment_talk:
        for m in _SAME_DAYS.finditer(text):
            keep("payment_days", _number(m.group(1)))
    base = out.get("payment_days") or max((_number(m.group(1)) for c in _spans(text)
                                           for m in _DAYS.finditer(c) if 30 <= _number(m.group(1)) <= 365), default=0.0)
    # Settling by the quarter or the month first: the days counted after the settlement come on top of it
    # (「月结改成季结，每季结完再给60天」 is up to 150 days from delivery); after 改成 is what the terms become.
    after = text.split("改成", 1)[-1]
    # 「75天从每月月底对账以后开始算，月底统一结」: the days start at the month's end, so a month on top.
    cycle = 90.0 if re.search(r"季结|季度结|按季", after) else \
        30.0 if re.search(r"月结|按月结|月底(?:统一)?(?:结|对账)|对账(?:以|之)?后(?:开始|才|再)?(?:算|起算|计)", after) else 0.0
    if cycle and payment_talk:
        out["payment_days"] = base + cycle
    grace = _GRACE.search(text)
    if grace and not _REFUSE.search(text[max(0, grace.start() - 6):grace.end() + 4]):  # 「晚付半个月不行」
        # 「合同写75天，到期后晚付半个月我们也不催」: the terms are 75 days and the grace on top
        days, half, months, quarter = grace.groups()
        extra = _number(days) if days else 15.0 if half else 30.0 * _number(months) if months else 90.0
        base = out.get("payment_days") or base or base_days
        if base:
            out["payment_days"] = base + extra
    elif (_OPEN_ENDED.search(text) or (_NO_CHASE.search(text) and not base)) and re.search(r"付|结|账|催", text):
        out["payment_days"] = 999.0  # no date to pay by
    if totals:
        keep("compensation", max(totals))
    elif amounts:  # 「现金给30万，罚款再承担一半，25万」: what one message offers adds up
        keep("compensation", sum(cash_items(amounts)))
    return out


def _spans(text: str, also: re.Pattern | None = None) -> list[str]:
    """Each punctuated clause of ``text`` without its space-separated parts that refuse (「降5% 我们做不到」 drops both:
    the short part after a figure takes it back), repeat what the customer or a competitor said, or match ``also``:
    what the clause offers, its figures still beside their topic words (「账期 90天 没问题」)."""
    return [" ".join(kept) for kept in _kept_parts(text, also) if kept]


def _kept_parts(text: str, also: re.Pattern | None = None) -> list[list[str]]:
    """Per punctuated clause, its space-separated parts that ``_spans`` keeps."""
    out = []
    for hard in _HARD.split(text):
        parts = [x for x in _SOFT.split(hard) if x.strip()]
        out.append([x for i, x in enumerate(parts) if not _REFUSE.search(x) and not _NOT_OURS.search(x)
                    and not (also and also.search(x)) and not _declined(parts, i)])
    return out


def _cash(text: str) -> tuple[list[float], list[float]]:
    """The cash amounts (万元) a sentence in plain Mandarin offers the account, and the totals it names
    (「一共40万」「现金总额不超过50万」: what the offer comes to, not one more amount)."""
    # 「损失我们全赔，180万我们认」: the amount is a clause away from what it pays for.
    if not re.search(r"赔|补|贴|承担|损失|罚款|现金|打款|扛|兜|认了|我们认|认下|分担|cover|compensat|penalt|"
                     r"pay for|(?:我们|我方|公司)?(?:另外|额外|单独)出|我们(?:来)?出|来担|担下", text):
        return [], []
    amounts: list[float] = []
    totals: list[float] = []
    for clause in (x for kept in _kept_parts(text) for x in kept):  # an amount is read in its own part
        if re.search(r"成本|货值|价值|省|进度款|货款|回来", clause) and not re.search(r"赔|补偿|现金|承担|扛|兜|分担", clause):
            continue  # 「这块成本约100万」 says what the remake costs us, not cash to them
        found = [_number(m.group(1)) for m in _WAN.finditer(clause)]
        (totals if _TOTAL.search(clause) or _CAP.search(clause) else amounts).extend(found)
    return amounts, totals


def cash_items(amounts: list[float]) -> list[float]:
    """The separate sums among a message's amounts: each once, and without a figure that is the sum of the others
    (「一半35万；吊篮再补15万。现金就是这50万」 offers 35 and 15)."""
    amounts = list(dict.fromkeys(amounts))
    top = max(amounts, default=0.0)
    if len(amounts) > 2 and abs(sum(amounts) - 2 * top) < 1e-6:
        amounts.remove(top)
    return amounts


_PROMISED = re.compile(r"(?i)(?<![第前后\d])" + _NUM + r"\s*天(?:之内|以内|内|左右|上下)?\s*(?:就|一定|肯定|保证|准|能|可以|应该|估计|我们?|咱们?|"
                       r"差不多|大概|基本|基本上|也|都|先|guarantee|promise|(?:给|帮)(?:您|你们?)|\s)*\s*"
                       r"(?:到货|交货|送到|送达|交付|发到|发过来|送过来|运过来|运到|出货|发货|出厂|到(?![现场岗位期底时手]))|"
                       r"按\s*" + _NUM + r"\s*天(?:的标准|的交期)?来?(?:排|管|走|交|送|发)|"
                       r"(?:尽量|争取|确保|承诺)\s*" + _NUM + r"\s*天|"
                       + _NUM + r"\s*天[^，。；\d]{0,4}?(?:基本|应该|肯定|绝对|完全)?(?:没问题|稳了|搞得定|妥妥|都行|也行)|"
                       r"(隔天|第二天|次日)(?:就|一定|肯定|保证|能|可以)*(?:送到|到货|交货|到(?![现场岗位期底时手]))")
"""A delivery in so many days (「保证3天到」「5天内交货」); a clause that declines it (「3天做不到」) promises nothing."""


def promised_days(sentence: str) -> float | None:
    """The fastest delivery a sentence promises, in days, or None."""
    clauses = [c for c in _spans(_plain(sentence), _CANNOT)
               if not re.search(r"账期|付款|回款|结算|结账|付清|再付", c)]  # 「账期 90天 没问题」: days to pay
    found = [1.0 if (g := next(g for g in m.groups() if g)) in ("隔天", "第二天", "次日") else _number(g)
             for clause in clauses for m in _PROMISED.finditer(clause)
             if not _STEP.search(clause[max(0, m.start() - 4):m.start()])]
    found += [7 * _number(m.group(1)) for clause in clauses for m in _PROMISED_WEEKS.finditer(clause)]
    found += [_number(next(g for g in m.groups() if g)) for clause in clauses for m in _PROMISED_EN.finditer(clause)]
    return min(found) if found else None


_PROMISED_WEEKS = re.compile(_NUM + r"\s*(?:周|个?星期|个?礼拜)(?:之内|以内|内)?[^，。；\d]{0,8}?"
                             r"(?:到货|交货|送到|发(?:一半|一批|过来|过去|到|货)|到(?![现场岗位期底时手]))")
"""A delivery in so many weeks (「一周之内先发一半过来」)."""
_PROMISED_EN = re.compile(r"(?i)(\d+)\s*(?:[- ]?days?|天)\s*(?:delivery|lead[- ]?time|turnaround)|"
                          r"(?:deliver|ship|arriv|get it to)\w*[^.,;]{0,20}?\b(?:in|within)\s+(\d+)\s*(?:days?|天)")
"""A delivery promised in English (「we guarantee 5-day delivery」「we can deliver within 4 days」)."""


_STEP = re.compile(r"调色|打样|生产|运输|路上|在途|排产|备料|喷涂|装车")
"""A step of the lead time (「调色3天 生产10天 运输2天 15天到货」): its days are no delivery date."""


_PER_UNIT = r"(?:元|块)?\s*(?:一|每|/|／)\s*(?:吨|平方米|平米|平|㎡)"
_NEW_PRICE = re.compile(r"(?:调到|降到|改到|改成|调成|定在|落到)\s*" + _NUM + r"|"
                        r"(?:按|单价|价格?|报价|算|做到|给到)\D{0,4}?" + _NUM + r"\s*(?:元|块)?\s*(?:" + _PER_UNIT
                        + r")?\s*(?:走|算|结|来|给|签|成交|的价)|" + _NUM + r"\s*" + _PER_UNIT)
_CUT_PER_UNIT = re.compile(r"(?:低|降|便宜|少|让|优惠|减)[^，。；\d一二两三四五六七八九十百]{0,6}" + _NUM + r"\s*" + _PER_UNIT
                           + r"|(?:每|一)(?:吨|平方米|平米|平)[^，。；\d]{0,6}?再?(?:低|降|便宜|少|让|优惠|减|补贴|贴|扣|返)[^，。；\d一二两三四五六七八九十百]{0,4}" + _NUM
                           + r"|(?:一共|总共|合计|累计|加起来)\s*(?:降|让|便宜|少|优惠|减)\s*" + _NUM + r"(?![\d.]|\s*(?:%|％|个|万|天|吨))")


def price_cut(sentence: str, unit_price: float) -> float:
    """The cut, in percent of ``unit_price``, that a sentence gives as a new price (「要不明年就按305走吧」 against
    315) or as so much less per unit (「比现在低差不多八百一吨」); 0 when it gives none. A figure far from today's
    price is no price (a quantity, a date)."""
    best = 0.0
    for clause in _spans(_plain(sentence)):
        if _NOT_PRICE.search(clause):
            continue
        for m in _NEW_PRICE.finditer(clause):
            value = _number(next(g for g in m.groups() if g))
            if 0.7 * unit_price <= value < unit_price:
                best = max(best, (unit_price - value) / unit_price * 100)
        for m in _CUT_PER_UNIT.finditer(clause):
            value = _number(next(g for g in m.groups() if g))
            if 0 < value < 0.3 * unit_price:
                best = max(best, value / unit_price * 100)
    return round(best, 2)


@dataclass
class Found:
    id: str
    title: str
    quote: str | None = None
    speaker: str | None = None


@dataclass
class Said:
    """One sentence of one team A message, with what the recogniser read in it."""

    text: str
    speaker: str
    user_id: int
    moves: dict[str, float]
    index: int  # the message's position in the record


@dataclass
class Breach:
    quote: str
    speaker: str
    user_id: int
    reasons: list[str]  # what it breaks, as the trainer reads it
    keys: list[str]  # move ids or limit names, for the article to read


@dataclass
class Advice:
    quote: str | None
    what: str
    article: str


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
    breaches: list[Breach] = field(default_factory=list)
    credits: list[tuple[str, Found]] = field(default_factory=list)  # (group, what and where)
    improve: list[tuple[str, list[Advice]]] = field(default_factory=list)  # per team A player


def _read(messages: list[dict], recogniser: MoveRecogniser) -> tuple[list[Said], dict[int, TurnMoves]]:
    """Each sentence of each team A message with the moves read in it, and each message as the recogniser read it."""
    out, turns = [], {}
    for i, m in enumerate(messages):
        if m["team"] != "A":
            continue
        turn = turns[i] = recogniser.recognise(m["text"])
        for s in split_sentences(m["text"].strip()) or [m["text"].strip()]:
            s = s.strip()
            if not s:
                continue
            moves: dict[str, float] = {}
            whole = next((u.moves for u in turn.sentences if u.text == s), {})
            for unit in turn.sentences:  # a long sentence is also read by clauses: they belong to it
                if unit.text in s:
                    for k, p in unit.moves.items():
                        # A clause read out of its sentence can blame where the sentence owns the failure
                        # (「…项目部还被罚款，这个我们认」 alone reads as blaming the carrier): the sentence wins.
                        if unit.text != s and k in OWNED_OUT and "own_fault" in whole:
                            continue
                        if p >= SURE_ENOUGH.get(k, 0.0):
                            moves[k] = max(moves.get(k, 0.0), p)
            out.append(Said(s, m["name"], m["user_id"], moves, i))
    return out, turns


def _free_offers(text: str, mandate: Mandate) -> list[tuple[str, bool]]:
    """The clauses of a sentence that give something free, each with whether the brief allows it (its cues may
    name the service a clause earlier: 「工程师每周两天驻场，不收钱」)."""
    clauses = [c for c in _CLAUSES.split(_plain(text)) if c]
    return [(c, any(cue_matches(cue, match_form("".join(clauses[max(0, i - 1):i + 1]))) for cue in mandate.free_allowed))
            for i, c in enumerate(clauses)
            if (_FREE.search(c) or _FREE_SAID_NO.search(c)) and (not _REFUSE.search(c) or _FREE_SAID_NO.search(c))
            and not _NOT_OURS.search(c)
            and not _declined(clauses, i)]


def _declined(clauses: list[str], i: int) -> bool:
    """Whether the short clause after clause ``i`` takes it back (「1:1样板墙免费做 我这答应不了」)."""
    after = clauses[i + 1] if i + 1 < len(clauses) else ""
    return len(after) <= 14 and bool(_DECLINES.search(after) or _CANNOT.search(after))


def _free_within_brief(text: str, mandate: Mandate, wanted: list[str]) -> bool:
    """A sentence whose only give is what the brief allows free (「色差板免费重做，运费我们承担」) or what the account
    hopes for: a service, not a price cut, though the recogniser reads 免费 as unconditional_discount (0.9)."""
    offers = _free_offers(text, mandate)
    if not offers or "discount" in offered_terms(text) or _PRICE_WORDS.search(_plain(text)):
        return False
    return all(allowed for _, allowed in offers) or any(cue_matches(c, match_form(text)) for c in wanted)


def _shares(plain: str) -> list[float]:
    """The shares of the account's volume a sentence that talks of share names (「明年给我们50%的份额，单价就降2%」:
    50): its percentages that are not the cut."""
    out, talk = [], False
    for clause in _CLAUSES.split(plain):
        # a share is named in its clause or the one before (「份额可以谈：你们给我们50%，单价降2%」)
        talk, here = bool(_SHARE_TALK.search(clause)), talk or bool(_SHARE_TALK.search(clause))
        if not here or _REFUSE.search(clause) or _NOT_OURS.search(clause):
            continue
        cuts = {m.start(1) for m in _PCT.finditer(clause)} | {m.start(1) for m in _SAME_PCT.finditer(clause)}
        out += [v for m in _BARE_PCT.finditer(clause) if m.start(1) not in cuts and 0 < (v := _number(m.group(1))) <= 100]
    return out


_GIVES_CASH = re.compile(r"(?i)(?:赔|补|返|退|打)(?:给|偿)?(?:你们|您|贵司|你)|赔偿|补偿|现金|红包|compensat|pay you|refund")
"""Cash going to the account (「我们补你们10万 就当赔偿了」), not 补充 or a fine weighed in a value argument."""


def _breach(said: Said, mandate: Mandate, catalogue: MoveCatalogue, *, message_cash: float = 0.0,
            wanted: list[str] = (), before: dict[str, float] | None = None,
            message: str = "", theirs: frozenset[float] = frozenset(),
            cash_so_far: float = 0.0, theirs_pct: frozenset[float] = frozenset()) -> tuple[Breach | None, dict[str, float]]:
    """The breach a sentence makes, if any, and the terms it offers (counted with what was offered before it).

    ``message_cash``: the compensation the whole message offers (cash across its sentences adds up:
    「罚款我们承担一半25万；工期管理费再补30万」); ``wanted``: cues of what the account hopes for beyond its demands
    (the brief's delight need): offering that is good business, not a free extra or a private favour; ``before``:
    the largest cut and payment terms team A offered earlier in the game, which a cut on top of it (「每吨再让100」)
    or time to pay beyond them (「宽限15天没问题」) adds to; ``message``: the whole message, whose other sentences
    may carry the rumour's source (「科睿是不是出过色差？我好像听同行讲过」) or name the relative a job is for; ``theirs``:
    the sums (万元) team B asked for, which a sentence that does not take them on only says back; ``cash_so_far``:
    the cash team A has offered in the game so far, past the cap of which any more cost taken on is a breach;
    ``theirs_pct``: the cuts (%) team B asked for, which a question about them (「降5%是单价的目标还是总成本的？」) does
    not offer."""
    before = before or {}
    reasons, keys = [], []
    plain = _plain(said.text)
    left_alone = bool(_NO_COMMENT.search(plain) and not _RUNDOWN.search(plain))  # 「远东我们不评价」
    terms = offered_terms(said.text, base_days=before.get("payment_days", 0.0))
    if terms.get("compensation") in theirs and not (_ACCEPT.search(plain) or _TAKES_ON.search(plain)):
        del terms["compensation"]
    if terms.get("discount") in theirs_pct and _ASKED.search(plain) and not _ACCEPT.search(plain):
        del terms["discount"]
    if message_cash > terms.get("compensation", 0) and _WAN.search(plain):
        terms["compensation"] = message_cash
    delight = any(cue_matches(c, match_form(said.text)) for c in wanted)
    if mandate.unit_price:
        cut = price_cut(said.text, mandate.unit_price)
        if cut > terms.get("discount", 0):
            terms["discount"] = cut
    given = terms.get("discount", 0)
    on_top = bool(given and before.get("discount") and _ON_TOP.search(plain) and not _TOTAL.search(plain))
    if on_top:
        terms["discount"] = before["discount"] + given
    if terms.get("discount", 0) > mandate.max_discount_pct:
        so_far = f"（加上之前的 {before['discount']:g}%）" if on_top else ""
        reasons.append(f"降价 {terms['discount']:g}%{so_far}，超过底线 {mandate.max_discount_pct:g}%")
        keys.append("discount")
    elif given and mandate.min_share_pct and (short := [v for v in _shares(plain) if v < mandate.min_share_pct]):
        reasons.append(f"降价只换来 {min(short):g}% 的份额，底线要求份额不低于 {mandate.min_share_pct:g}%")
        keys.append("discount")
    if mandate.max_payment_days and terms.get("payment_days", 0) > mandate.max_payment_days:
        reasons.append(f"账期 {terms['payment_days']:g} 天，超过底线 {mandate.max_payment_days} 天")
        keys.append("payment_days")
    # Where the brief allows no cash at all, a sum is cash only when it goes to the account (「赔你们10万」): a value
    # argument that weighs a fine or a loss in 万 (「单价差1个点也就48万，一次停工罚款就不止这个数」) gives nothing.
    no_cash = mandate.max_compensation_wan == 0 and not _GIVES_CASH.search(plain)
    if mandate.max_compensation_wan is not None and terms.get("compensation", 0) > mandate.max_compensation_wan \
            and not no_cash:
        reasons.append(f"赔偿 {terms['compensation']:g} 万元，超过底线 {mandate.max_compensation_wan:g} 万元"
                       if mandate.max_compensation_wan else
                       f"赔偿 {terms['compensation']:g} 万元：底线不允许任何现金赔偿或返现")
        keys.append("compensation")
    elif (mandate.max_compensation_wan and cash_so_far > mandate.max_compensation_wan  # no cap of 0: nothing to reach
          and not terms.get("compensation") and _MORE_COST.search(plain) and not _REFUSE.search(plain)
          and not re.search(r"纪要|写进|写清", plain)):  # the minutes say again what is on the table
        reasons.append(f"赔偿已到底线 {mandate.max_compensation_wan:g} 万元，又多承担了一项费用")
        keys.append("compensation")
    clauses = [c for c in _CLAUSES.split(plain) if c]
    offers = [c for i, c in enumerate(clauses) if not _REFUSE.search(c) and not _CANNOT.search(c) and not _declined(clauses, i)]
    beyond = [label for label, cues in mandate.beyond_authority.items()
              if any(cue_matches(c, match_form(o)) for c in cues for o in offers)]
    free = [c for c, allowed in _free_offers(said.text, mandate) if not allowed]
    if free:  # what the account hopes for (its delight need) too: the brief says trade it, never give it away
        allowed = "、".join(mandate.free_services) or "无"
        reasons.append(f"免费给了底线以外的东西（可以免费给的只有：{allowed}）")
        keys.append("free_service")
    if _DISGUISED.search(plain) and _MONEY_BACK.search(plain):
        reasons.append("变相让利：以别的名义把钱返给客户（账外的让利，公司查账就是违规）")
        keys.append("free_service")
    days = promised_days(said.text)
    if mandate.fastest_days and days is not None and days < mandate.fastest_days and not beyond:
        beyond.append(f"承诺 {days:g} 天到货，快于公司最快能做到的 {mandate.fastest_days} 天")
    elif mandate.standard_days and days is not None and days < mandate.standard_days and not _PAID_RUSH.search(plain) \
            and not beyond:  # 「尽量5天，也不用走加急」: faster than standard, without the paid rush order
        beyond.append(f"承诺 {days:g} 天到货却不走加急（标准交期 {mandate.standard_days} 天，更快只能走付费加急）")
    if beyond:
        reasons += [f"超出权限：{label}" for label in beyond]
        keys.append("overpromise")
    for move in mandate.red_lines:
        if move == "overpromise" and beyond:
            continue
        if move == "unconditional_discount" and (_REFUSE.search(plain) or _WITHDRAWN.search(plain)
                                                 or (_CONDITION.search(plain) and not _WAIVED.search(plain))
                                                 or not _GIVES.search(plain)):
            continue  # 「5%不行。」 refuses a cut, 「刚才的0.8%不算数」 takes one back, 「锁量的话降1%」 trades one
        if move == "overpromise" and _CANNOT.search(plain):
            continue  # 「5天全线保证我们现在做不到」 declines the promise it names
        if move == "gift_favour" and delight:
            continue  # 「二期投标帮你们做一面样板墙」 is what the account hopes for, not a private favour
        if move == "gift_favour" and _NO_GIFT.search(plain) and not _GIFT_GIVEN.search(plain):
            continue  # 「公司规定礼品卡、购物卡这些一律不送」
        if move == "badmouth_competitor" and left_alone:
            continue
        if move in said.moves and not (move == "unconditional_discount" and "discount" in keys):
            reasons.append(f"红线：{catalogue.get(move).title}")
            keys.append(move)
    whole = _plain(message) if message else plain
    if ("unconditional_discount" in mandate.red_lines and not {"discount", "unconditional_discount"} & set(keys)
            and _LOCK_DROPPED.search(plain) and not _REFUSE.search(plain)
            and (terms.get("discount") or (before.get("discount") and re.search(r"价|折扣|优惠|让利|(?i:price)", plain)))):
        reasons.append(f"红线：{catalogue.get('unconditional_discount').title}（锁量的条件不要了，降价照给）")
        keys.append("unconditional_discount")
    # The competitor may be named in the message's other sentence (「Korui? …听说他们在汉阳那个项目返了三次工」).
    rival = any(r.lower() in whole.lower() for r in mandate.rivals) or re.search(r"对手|别家|那家|(?i:competitor)", plain)
    if ("badmouth_competitor" in mandate.red_lines and "badmouth_competitor" not in keys and rival
            and ((_RUMOUR.search(whole) and _TROUBLE.search(plain)) or _INSINUATE.search(whole))
            and not left_alone):
        reasons.append(f"红线：{catalogue.get('badmouth_competitor').title}（传对手的闲话或暗示它有问题）")
        keys.append("badmouth_competitor")
    if "gift_favour" in mandate.red_lines and "gift_favour" not in keys and (
            _JOB_FAVOUR.search(plain) or ((_PLACED.search(plain) or _CONTACTS.search(plain)) and _RELATIVE.search(whole))):
        reasons.append(f"红线：{catalogue.get('gift_favour').title}（替对方或家人办私事）")
        keys.append("gift_favour")
    return (Breach(said.text, said.speaker, said.user_id, reasons, keys) if reasons else None), terms


def _first(cues: list[str], moves: list[str], said: list[Said]) -> tuple[str, str] | None:
    for s in said:
        if set(moves) & set(s.moves) or any(cue_matches(c, match_form(s.text)) for c in cues):
            return s.text, s.speaker
    return None


def debrief(game: KeyAccountGame, scene: Scene, guide: DebriefGuide, messages: list[dict], *,
            recogniser: MoveRecogniser | None = None, credit_reader: CreditReader | None | str = "bundled") -> Debrief:
    """Read the record against team A's brief: breaches first, then what team A did well, which of team B's
    needs it found, who took part and what each team A player should work on. ``credit_reader``: what reads
    the credits the recogniser's moves do not name (``bot/coach/credits.py``; None: the moves alone)."""
    recogniser = recogniser or default_recogniser()
    reader = default_reader() if credit_reader == "bundled" else credit_reader
    catalogue = load_catalogue()
    said, turns = _read(messages, recogniser)
    breaches, clean = [], []
    wanted = scene.team_b.need_cues.get("delight", [])
    for s in said:
        if "unconditional_discount" in s.moves and _free_within_brief(s.text, scene.team_a.mandate, wanted):
            del s.moves["unconditional_discount"]  # neither a red line nor a price cut to advise against
    said_terms = [offered_terms(m["text"]) for m in messages]  # each message's terms, read once
    # A message's cash is one offer: held against the last sentence that names an amount, listed once.
    last_amount = {s.index: k for k, s in enumerate(said) if _WAN.search(_plain(s.text))}
    offered: dict[str, float] = {}  # the largest cut and payment terms team A has offered so far
    cash: list[float] = []  # the separate sums of cash team A has offered so far (万元)
    named: set[float] = set()  # every sum team A has named, inside a total or not
    # The sums team B asked for: said back without taking them on (「180万里面您最急的是哪一块」), they offer nothing.
    theirs, theirs_pct = (frozenset(_number(m.group(1)) for msg in messages if msg["team"] == "B"
                                    for m in figure.finditer(_plain(msg["text"]))) for figure in (_WAN, _BARE_PCT))
    for k, s in enumerate(said):
        whole = 0.0
        if last_amount.get(s.index) == k:
            text = _plain(messages[s.index]["text"])
            echoed = theirs if not (_ACCEPT.search(text) or _TAKES_ON.search(text)) else frozenset()
            whole = said_terms[s.index].get("compensation", 0.0)
            whole = 0.0 if whole in echoed else whole
            # Cash offered a message at a time adds up (「工期顺延补18万」…「管理费再贴15万」…「罚款分担20万」); a total
            # named (「一共50万」) is the whole offer; a sum said again, alone or inside a total, is not offered twice.
            amounts, totals = _cash(text)
            new = [a for a in cash_items(amounts) if a not in cash and a not in named and a not in echoed]
            named.update(amounts)
            if totals:
                cash = [max(totals)]
            elif new:
                cash += new
                whole = max(whole, sum(cash))
        # Time to pay beyond the terms adds to the terms team A offered, or, before it offered any, to those the
        # account just named (「账期75天的话，到期能不能再给15天宽限？」「宽限15天没问题」).
        talked = [d for t in said_terms[max(0, s.index - 3):s.index] if (d := t.get("payment_days"))]
        before = offered if offered.get("payment_days") or not talked else {**offered, "payment_days": talked[-1]}
        b, terms = _breach(s, scene.team_a.mandate, catalogue, message_cash=whole, wanted=wanted, before=before,
                           message=messages[s.index]["text"], theirs=theirs, cash_so_far=sum(cash),
                           theirs_pct=theirs_pct)
        if b:
            breaches.append(b)
        else:
            clean.append(s)
            plain = _plain(s.text)
            if _FIGURE.search(plain) and _VALUE_TALK.search(plain) and "discount" not in terms:
                s.moves.setdefault("value_figures", 1.0)  # figures put to what the account gains, read by rule
        if _WITHDRAWN.search(_plain(s.text)):  # 「刚才的0.8%不算数」: nothing is on the table to add to
            offered.clear()
            cash.clear()
        for key in ("discount", "payment_days"):
            if terms.get(key, 0) > offered.get(key, 0):
                offered[key] = terms[key]

    levels = []
    for lv in guide.kotler_levels:
        hit = _first(lv.cues, lv.moves, clean)
        levels.append(Found(lv.id, lv.title, *(hit or (None, None))))
    reached = [f for f in levels if f.quote]
    strategies = [Found(s.id, s.title, *hit) for s in guide.strategies if (hit := _first(s.cues, s.moves, clean))]
    values = [Found(v.id, v.title, *hit) for v in guide.value_arguments if (hit := _first(v.cues, v.moves, clean))]

    found: list[tuple[int, str, Found]] = []  # (message, group, credit)
    seen = set()
    # A message that makes a mistake earns no credit for the good move beside it: 「他们今年接了多少单您问过没？
    # 到时候真交不出来……」 is pressure, not a discovery question.
    spoilt = {s.index for s in said if any(m in SPOILS_MESSAGE and p >= SPOILS for m, p in s.moves.items())}
    creditable = [s for s in clean if s.index not in spoilt
                  and not any(catalogue.kind(m) == "mistake" and p >= SPOILS for m, p in s.moves.items())]
    for s in creditable:
        for move in s.moves:
            if move in CREDITED and (s.text, CREDITED[move]) not in seen:
                seen.add((s.text, CREDITED[move]))
                found.append((s.index, CREDITED[move], Found(move, catalogue.get(move).title, s.text, s.speaker)))
    if reader is not None:
        found += _read_credits(reader, turns, creditable, {(i, g) for i, g, _ in found})
    credits = [(g, f) for _, g, f in sorted(found, key=lambda x: x[0])]

    needs = []
    for kind in NEED_KINDS:
        cues = scene.team_b.need_cues.get(kind, [])
        hit = _first(cues, [], clean) or _asked(cues, clean, messages)
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
    asked = {i for i, g, _ in found if g == CREDITED["open_question"]}
    improve = [(game.name(u), _advice(u, breaches, clean, guide, catalogue, asked)) for u in game.members("A")]
    return Debrief(reached[-1] if reached else None, levels, strategies, values, needs, participation,
                   renew, not_renew, articles, breaches, credits, improve)


def _read_credits(reader: CreditReader, turns: dict[int, TurnMoves], creditable: list[Said],
                  have: set[tuple[int, str]]) -> list[tuple[int, str, Found]]:
    """What the credit reader finds beyond the recogniser's moves: per message and kind not yet credited, the
    creditable sentence holding the unit it reads most surely, when that reaches the kind's threshold."""
    out = []
    thresholds = reader.thresholds
    for i, tm in turns.items():
        mine = [s for s in creditable if s.index == i]
        if not mine:
            continue
        probs = reader.probabilities(tm.sentences)
        for j, kind in enumerate(CREDIT_KINDS):
            group = CREDIT_GROUPS[kind]
            if (i, group) in have:
                continue
            best = None
            for u, p in zip(tm.sentences, probs[:, j], strict=True):
                where = next((s for s in mine if u.text in s.text), None)
                if where is not None and p >= thresholds[kind] and (best is None or p > best[0]):
                    best = (float(p), where)
            if best:
                out.append((i, group, Found(kind, CREDIT_TITLES[kind], best[1].text, best[1].speaker)))
    return out


def _asked(cues: list[str], clean: list[Said], messages: list[dict]) -> tuple[str, str] | None:
    """A need team B voiced in answer to team A's open question: the question found it."""
    for s in clean:
        if "open_question" not in s.moves:
            continue
        for m in messages[s.index + 1:s.index + 3]:
            if m["team"] == "B" and any(cue_matches(c, match_form(m["text"])) for c in cues):
                return s.text, s.speaker
    return None


def _advice(user_id: int, breaches: list[Breach], clean: list[Said], guide: DebriefGuide,
            catalogue: MoveCatalogue, asked: set[int]) -> list[Advice]:
    """What one team A player should work on, each point with its quote and the article to read. ``asked``: the
    messages credited as discovery questions (by the recogniser or the credit reader); a player who asked one is
    never told that they asked none."""
    out = []
    for b in breaches:
        if b.user_id == user_id:
            article = next((guide.move_articles[k] for k in b.keys if k in guide.move_articles), guide.articles[0])
            out.append(Advice(b.quote, "；".join(b.reasons), article))
    mine = [s for s in clean if s.user_id == user_id]
    for s in mine:
        for move in s.moves:
            if catalogue.kind(move) == "mistake" and move in guide.move_articles:
                out.append(Advice(s.text, catalogue.get(move).title, guide.move_articles[move]))
    spoke = mine or any(b.user_id == user_id for b in breaches)
    if spoke and not any("open_question" in s.moves or s.index in asked for s in mine):
        out.append(Advice(None, "没有问过一个开放式问题：先问清客户真正的需要，再谈方案",
                          guide.move_articles.get("no_question", guide.articles[0])))
    if not spoke:
        out.append(Advice(None, "整局没有发言：下次至少负责一个话题（交付、质量或价格）",
                          guide.move_articles.get("no_question", guide.articles[0])))
    return out


def debrief_text(d: Debrief, scene: Scene, titles: dict[str, str]) -> str:
    def article(a: str) -> str:
        return f"《{titles.get(a, a)}》"

    lines = [f"📋 复盘 ·《{scene.title}》", ""]
    if d.renew + d.not_renew:
        verdict = "续约 ✅" if d.renew > d.not_renew else "不续约 ❌" if d.not_renew > d.renew else "平票"
        lines.append(f"B 组投票：{d.renew} 票续约，{d.not_renew} 票不续约 → {verdict}")
    else:
        lines.append("B 组没有投票。")
    lines += ["", f"⛔ 突破底线和红线（{len(d.breaches)} 处）："]
    lines += [f"• {b.speaker}「{b.quote}」→ {'；'.join(b.reasons)}" for b in d.breaches] or ["• 没有。"]
    lines += ["", "👍 做得好的地方："]
    groups = dict.fromkeys(CREDITED.values())
    for group in groups:
        hits = [f for g, f in d.credits if g == group]
        if hits:
            lines.append(f"{group}：")
            lines += [f"• {f.speaker}「{f.quote}」（{f.title}）" for f in hits]
    if not d.credits:
        lines.append("• 没有看到道歉、发现需要的提问或价值论据。")
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
    lines += ["", "🎯 A 组每个人要改进的："]
    for name, advice in d.improve:
        if not advice:
            lines.append(f"• {name}：没有要纠正的，保持。")
            continue
        lines.append(f"• {name}：")
        lines += ["  - " + (f"「{a.quote}」→ " if a.quote else "") + f"{a.what}。读{article(a.article)}" for a in advice]
    lines += ["", "📚 建议阅读："] + [f"• {article(a)}" for a in d.articles]
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
            raise UnknownScene(scene_id)
        if self.store.open_game(chat_id):
            raise GameAlreadyOpen(chat_id)
        game = KeyAccountGame.new(chat_id, trainer_id, scene_id, team_size=self.team_size, minutes=self.minutes,
                                  reminders=self.reminders)
        return self.store.create_game(chat_id, game.state), game

    def open(self, chat_id: int) -> tuple[int, KeyAccountGame] | None:
        found = self.store.open_game(chat_id)
        return (found[0], KeyAccountGame(found[1])) if found else None

    def get(self, game_id: int) -> KeyAccountGame | None:
        found = self.store.game(game_id)
        return KeyAccountGame(found[1]) if found else None

    def update(self, game_id: int, change: Callable[[KeyAccountGame], T]) -> tuple[KeyAccountGame, T]:
        """Apply `change` (the game's rules: join, start, vote ...) to the game as stored now and save it, in
        one step no other bot or handler can come between: (the game after it, what `change` returned);
        NoSuchGame when there is none. A GameError from `change` saves nothing and reaches the caller.

        There is no plain save: a game read before an await (a send, a permission check) and saved after it
        would erase whatever changed meanwhile (a join, a vote, the other bot's reminder)."""
        def on_state(state: dict) -> T:
            return change(KeyAccountGame(state))

        found = self.store.update_game(game_id, on_state)
        if found is None:
            raise NoSuchGame(game_id)
        return KeyAccountGame(found[0]), found[1]

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
            raise UnknownScene(game.state["scene"])
        messages = self.store.game_messages(game_id)
        return debrief(game, scene, self.guide(), [m for m in messages if m["team"] in TEAMS]), scene, messages
