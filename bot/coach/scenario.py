"""Role-play scenarios as validated data: one YAML file per scenario in ``prompts/scenarios/``.

A trainer adds a scenario by adding a file; an unknown key, a dangling criterion id or a rubric whose
weights do not add up to 100 is a clear error naming the file.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import PROJECT_ROOT

log = logging.getLogger(__name__)
SCENARIOS_DIR = PROJECT_ROOT / "prompts" / "scenarios"
LEVELS = ("easy", "normal", "hard")
Level = Literal["easy", "normal", "hard"]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Persona(_Strict):
    company: str
    name: str
    role: str
    temperament: str


class Needs(_Strict):
    """The five kinds of customer needs (see knowledge/five-types-of-customer-needs.md)."""

    spoken: str
    real: str
    unspoken: str
    delight: str
    secret: str


class HiddenFact(_Strict):
    id: str
    says: str = Field(description="What the customer says when this fact comes out.")
    revealed_by: list[str] = Field(min_length=1, description="Criteria whose move makes the customer tell it.")
    asks: list[str] = Field(default_factory=list, description="Questions a rep might ask that this fact answers: "
                            "a direct question close to one of them draws it out, once the rep has earned it.")


class Hidden(_Strict):
    facts: list[HiddenFact] = Field(min_length=1)
    needs: Needs


class Difficulty(_Strict):
    start_mood: int = Field(description="Customer mood at the start: below 0 hostile, 3 and up warm.")
    patience: int = Field(ge=1, description="How far the mood may fall below the start before the customer leaves.")
    max_turns: int = Field(ge=3, description="Rep turns before the meeting runs out of time.")
    reveal: int = Field(ge=0, description="How many hidden facts the customer tells when asked well.")
    objections: int = Field(ge=0, description="How many of the scenario's objections the customer raises.")


class MoodLines(_Strict):
    hostile: list[str] = Field(min_length=1)
    neutral: list[str] = Field(min_length=1)
    warm: list[str] = Field(min_length=1)


class Stage(_Strict):
    id: str
    goal: str = Field(description="What the rep should achieve here (shown to trainers, used for hints).")
    lines: MoodLines = Field(description="What the customer says here when the rep's turn moved nothing.")
    advance_when: list[str] = Field(default_factory=list, description="Any of these criteria met: next stage.")


class Criterion(_Strict):
    id: str
    title: str
    weight: int = Field(gt=0)
    skill: str = Field(description="Shared skill tag; the next practice is picked by the weakest skill.")
    evidence: str = Field(description="What the rep visibly says or does to meet it (shown in the rubric).")
    articles: list[str] = Field(min_length=1, description="Knowledge-base article ids it rests on.")
    moves: list[str] = Field(default_factory=list, description="Sales moves (prompts/moves.yaml) that show it: "
                             "any of them, or 'a+b' for both in the same turn. Read by the move recogniser.")
    partly_moves: list[str] = Field(default_factory=list, description="Moves that show it only in part "
                                    "(a bare apology toward apology-and-ownership); void next to a mistake.")
    cues: list[str] = Field(default_factory=list, description="Literal facts only (numbers, names, clock times): "
                            "'A|B' either, 'A&B' both ('&' binds looser: 'A&B|C' is A and (B or C)), 're:...' a "
                            "regular expression; matched on simplified, lower-cased text without spaces; a cue right "
                            "after 不/没有/不是 is ignored. They add up across turns.")
    min_cues: int = Field(default=1, ge=1, description="Distinct cue entries needed for full credit (e.g. 3 of 5 "
                          "facts); the alternatives of one entry count once.")
    examples: list[str] = Field(min_length=2, description="Model sentences: shown as hints, tell topics apart when "
                                "criteria share a move, and the tests require the judge to credit each.")
    reaction: list[str] = Field(min_length=1, description="How the customer reacts when it is first met.")
    tip: str = Field(description="One concrete coaching tip (hints and 'start' advice).")


class Mistake(_Strict):
    id: str
    title: str
    moves: list[str] = Field(default_factory=list, description="Sales moves that make this mistake (any of them).")
    cues: list[str] = Field(default_factory=list, description="Literal phrases or numbers, as for criteria.")
    examples: list[str] = Field(min_length=2, description="Sentences that make it; the tests require each caught.")
    unless: list[str] = Field(default_factory=list, description="Not a mistake when these criteria are met "
                              "in the same turn (e.g. 'as soon as possible' next to an actual time).")
    penalty: int = Field(ge=0, le=50, description="Points off the total, once per mistake.")
    mood: int = Field(ge=0, description="How much the customer's mood drops.")
    reaction: list[str] = Field(min_length=1)
    advice: str = Field(description="The 'stop' advice on the scorecard.")
    articles: list[str] = Field(default_factory=list)


class Objection(_Strict):
    id: str
    says: str
    answered_by: list[str] = Field(min_length=1)


class Knowledge(_Strict):
    asks: list[str] = Field(min_length=1, description="Questions this answers.")
    says: list[str] = Field(min_length=1, description="In-character answers, used in turn.")


class CustomerLines(_Strict):
    """What the customer says when no criterion, mistake or objection speaks: answers, deflections, pressure.

    Every pool is used without repeating itself; when a pool runs dry the customer ends the meeting rather
    than say the same line twice.
    """

    knows: list[Knowledge] = Field(default_factory=list, description="What the customer openly knows and tells "
                                   "when asked directly (not the hidden facts).")
    deflect: MoodLines | None = Field(default=None, description="Asked for what the rep has not earned yet.")
    press: MoodLines | None = Field(default=None, description="The rep's turn said nothing useful: press harder.")
    small_talk: list[str] = Field(default_factory=list, description="Answering a pleasantry and steering back.")
    repeat: list[str] = Field(default_factory=list, description="Asked again for something already said.")
    leave: list[str] = Field(default_factory=list, description="Ends the meeting after repeated off-script turns.")


class Endings(_Strict):
    won_requires: list[str] = Field(min_length=1)
    won_mood: int
    won: list[str] = Field(min_length=1)
    lost: list[str] = Field(min_length=1)
    out_of_turns: list[str] = Field(min_length=1)


class Scenario(_Strict):
    id: str
    title: str
    title_en: str
    summary: str
    persona: Persona
    situation: str = Field(description="The brief the rep reads before starting.")
    rep_goal: str
    hidden: Hidden
    difficulties: dict[Level, Difficulty]
    opening: str
    stages: list[Stage] = Field(min_length=1)
    rubric: list[Criterion] = Field(min_length=3)
    mistakes: list[Mistake] = Field(min_length=1)
    objections: list[Objection] = Field(default_factory=list)
    endings: Endings
    customer: CustomerLines = Field(default_factory=CustomerLines)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        ids = [c.id for c in self.rubric]
        every = ids + [m.id for m in self.mistakes]
        if len(set(every)) != len(every):
            raise ValueError("criterion and mistake ids must be unique (across both lists)")
        if sum(c.weight for c in self.rubric) != 100:
            raise ValueError(f"rubric weights must add up to 100, not {sum(c.weight for c in self.rubric)}")
        if set(self.difficulties) != set(LEVELS):
            raise ValueError(f"difficulties must be exactly {', '.join(LEVELS)}")
        from bot.coach.moves import load_catalogue

        catalogue = set(load_catalogue().ids)
        for item in [*self.rubric, *self.mistakes]:
            named = [p for entry in [*item.moves, *getattr(item, "partly_moves", [])] for p in entry.split("+")]
            unknown = sorted(set(named) - catalogue)
            if unknown:
                raise ValueError(f"{item.id} names unknown moves: {', '.join(unknown)} (see prompts/moves.yaml)")
            if not item.moves and not item.cues:
                raise ValueError(f"{item.id} needs moves or cues: nothing could ever show it")
        known = set(ids)
        refs = [("endings.won_requires", self.endings.won_requires)]
        refs += [(f"hidden.facts[{f.id}].revealed_by", f.revealed_by) for f in self.hidden.facts]
        refs += [(f"stages[{s.id}].advance_when", s.advance_when) for s in self.stages]
        refs += [(f"objections[{o.id}].answered_by", o.answered_by) for o in self.objections]
        refs += [(f"mistakes[{m.id}].unless", m.unless) for m in self.mistakes]
        for where, names in refs:
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ValueError(f"{where} names unknown criteria: {', '.join(unknown)}")
        return self

    def criterion(self, criterion_id: str) -> Criterion:
        return next(c for c in self.rubric if c.id == criterion_id)

    def article_ids(self) -> set[str]:
        return {a for c in self.rubric for a in c.articles} | {a for m in self.mistakes for a in m.articles}


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path.name}: cannot read: {exc}") from exc
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from exc
    if scenario.id != path.stem:
        raise ScenarioError(f"{path.name}: id {scenario.id!r} must match the file name")
    return scenario


@functools.cache
def _load_dir(directory: Path, stamp: tuple) -> tuple[dict[str, Scenario], dict[str, str]]:
    good, bad = {}, {}
    for p in sorted(directory.glob("*.yaml")):
        try:
            good[p.stem] = load_scenario(p)
        except ScenarioError as exc:
            log.warning("scenario skipped: %s", exc)
            bad[p.name] = str(exc)
    return good, bad


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml")))


def load_scenarios(directory: Path = SCENARIOS_DIR) -> dict[str, Scenario]:
    """Every valid scenario in the folder, by id, in file-name order; reloaded when a file changes.

    A broken file (a trainer's typo) is skipped with a warning rather than taking the others down;
    `scenario_errors` says what is wrong with it, and the tests require every bundled file to load.
    """
    return _load_dir(directory, _stamp(directory))[0]


def scenario_errors(directory: Path = SCENARIOS_DIR) -> dict[str, str]:
    return _load_dir(directory, _stamp(directory))[1]
