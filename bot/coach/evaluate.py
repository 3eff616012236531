"""Does the score mean something? Pairwise accuracy of the role-play scorer on hand-labelled pairs.

Each file in ``eval/roleplay/`` names a scenario and pairs of rep conversations (one turn or a list of
turns) where ``better`` applies the knowledge and ``worse`` does not. A pair is right when the better one
scores strictly higher (difficulty normal). Ties count as wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.coach.judge import Judge
from bot.coach.roleplay import RolePlay, Scorecard
from bot.coach.scenario import Scenario
from bot.config import PROJECT_ROOT

PAIRS_DIR = PROJECT_ROOT / "eval" / "roleplay"


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    about: str
    better: str | list[str]
    worse: str | list[str]

    def turns(self, which: str) -> list[str]:
        value = getattr(self, which)
        return [value] if isinstance(value, str) else value


class PairFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str
    split: str = Field(default="dev", description="dev: written next to the cues; heldout: written blind, "
                       "from the visible rubric only.")
    pairs: list[Pair] = Field(min_length=1)


@dataclass
class ScenarioResult:
    scenario: str
    split: str
    correct: int = 0
    total: int = 0
    margins: list[int] = field(default_factory=list)
    failures: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def play(scenario: Scenario, judge: Judge, turns: list[str], difficulty: str = "normal") -> Scorecard:
    """Play the rep's turns until they run out or the customer ends the meeting, then score."""
    session = RolePlay.begin(scenario, judge, difficulty)
    for turn in turns:
        if session.outcome:
            break
        session.rep_says(turn)
    return session.finish()


def load_pairs(directory: Path = PAIRS_DIR) -> list[PairFile]:
    return [PairFile.model_validate(yaml.safe_load(p.read_text(encoding="utf-8")))
            for p in sorted(directory.rglob("*.yaml"))]


def pairwise_accuracy(scenarios: dict[str, Scenario], judge: Judge,
                      directory: Path = PAIRS_DIR) -> list[ScenarioResult]:
    results = []
    for pair_file in load_pairs(directory):
        scenario = scenarios[pair_file.scenario]
        res = ScenarioResult(scenario.id, pair_file.split)
        for pair in pair_file.pairs:
            better = play(scenario, judge, pair.turns("better")).total
            worse = play(scenario, judge, pair.turns("worse")).total
            res.total += 1
            res.margins.append(better - worse)
            if better > worse:
                res.correct += 1
            else:
                res.failures.append((pair.about, better, worse))
        results.append(res)
    return results


def run_roleplay_eval(settings, console) -> list[ScenarioResult]:
    """Print pairwise accuracy per scenario and overall (``salescoach eval --only roleplay``)."""
    from rich.table import Table

    from bot.coach.scenario import load_scenarios
    from bot.kb.embed import get_embedder

    results = pairwise_accuracy(load_scenarios(), Judge(get_embedder(settings)))
    table = Table(title="role-play scorer: better vs worse rep turns (pairwise accuracy, difficulty normal)")
    for col in ("scenario", "split", "pairs", "accuracy", "mean margin", "min margin"):
        table.add_column(col)
    for r in results:
        table.add_row(r.scenario, r.split, str(r.total), f"{r.accuracy:.3f}", f"{sum(r.margins) / len(r.margins):.1f}",
                      str(min(r.margins)))
    n, correct = sum(r.total for r in results), sum(r.correct for r in results)
    margins = [m for r in results for m in r.margins]
    for split in sorted({r.split for r in results}):
        part = [r for r in results if r.split == split]
        k, ok = sum(r.total for r in part), sum(r.correct for r in part)
        table.add_row("all", split, str(k), f"{ok / k:.3f}", "", "")
    table.add_row("all", "all", str(n), f"{correct / n:.3f}" if n else "-",
                  f"{sum(margins) / len(margins):.1f}" if margins else "-", str(min(margins, default=0)))
    console.print(table)
    for r in results:
        for about, better, worse in r.failures:
            console.print(f"[dim]{r.scenario} ({r.split}): wrong order on “{about}” (better {better}, worse {worse})[/dim]")
    return results
