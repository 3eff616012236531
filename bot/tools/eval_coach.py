"""Does the score mean something? Pairwise accuracy of the role-play scorer on hand-labelled pairs.

Each file in ``eval/roleplay/`` names a scenario and pairs of rep conversations (one turn or a list of
turns) where ``better`` applies the knowledge and ``worse`` does not. A pair is right when the better one
ranks strictly higher (difficulty normal): a higher total, or the same total with fewer points lost to
mistakes below zero (the shown total is clamped at 0). Ties count as wrong.
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
            better_card = play(scenario, judge, pair.turns("better"))
            worse_card = play(scenario, judge, pair.turns("worse"))
            better, worse = better_card.total, worse_card.total
            res.total += 1
            res.margins.append(better - worse)
            if better_card.rank > worse_card.rank:
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


# ---------------------------------------------------------------------------------------------- single turns
TURNS_DIR = PROJECT_ROOT / "eval" / "judge"


class LabelledTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    criteria: list[str] = Field(default_factory=list)
    partly: list[str] = Field(default_factory=list)
    mistakes: list[str] = Field(default_factory=list)


class TurnFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str
    author: str = ""
    turns: list[LabelledTurn] = Field(min_length=1)


@dataclass
class TurnScores:
    split: str
    turns: int = 0
    mistakes: int = 0
    mistakes_found: int = 0
    flagged: int = 0
    flagged_right: int = 0
    quiet_turns: int = 0  # neutral or mistaken turns: nothing should be credited beyond their labels
    quiet_credited: int = 0
    met: int = 0
    met_found: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def mistake_recall(self) -> float:
        return self.mistakes_found / self.mistakes if self.mistakes else 1.0

    @property
    def mistake_precision(self) -> float:
        return self.flagged_right / self.flagged if self.flagged else 1.0

    @property
    def false_credit(self) -> float:
        return self.quiet_credited / self.quiet_turns if self.quiet_turns else 0.0

    @property
    def criteria_recall(self) -> float:
        return self.met_found / self.met if self.met else 1.0


def judge_splits(directory: Path = TURNS_DIR) -> list[str]:
    """Every labelled-turn set: dev first, then the held-out sets in the order they were written."""
    return sorted((p.name for p in directory.iterdir() if p.is_dir()), key=lambda n: (n != "dev", n))


def judge_single_turns(scenarios: dict[str, Scenario], judge: Judge, split: str,
                       directory: Path = TURNS_DIR) -> TurnScores | None:
    """Each labelled turn judged alone: are its mistakes caught, and is nothing credited that it did not do?"""
    from bot.coach.judge import PARTLY

    files = sorted((directory / split).glob("*.yaml"))
    if not files:
        return None
    out = TurnScores(split)
    for path in files:
        data = TurnFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        scenario = scenarios[data.scenario]
        for t in data.turns:
            v = judge.judge(scenario, t.text)
            out.turns += 1
            credited = {c for c, h in v.criteria.items() if h.strength >= PARTLY}
            met = {c for c, h in v.criteria.items() if h.strength >= 0.75}
            out.mistakes += len(t.mistakes)
            found = set(v.mistakes) & set(t.mistakes)
            out.mistakes_found += len(found)
            out.flagged += len(v.mistakes)
            out.flagged_right += len(found)
            out.met += len(t.criteria)
            out.met_found += len(met & set(t.criteria))
            if t.mistakes or not (t.criteria or t.partly):
                out.quiet_turns += 1
                extra = credited - set(t.criteria) - set(t.partly)
                if extra:
                    out.quiet_credited += 1
                    out.misses.append(f"{data.scenario}: credited {sorted(extra)}: {t.text}")
            for m in set(t.mistakes) - found:
                out.misses.append(f"{data.scenario}: missed {m}: {t.text}")
            for m in set(v.mistakes) - set(t.mistakes):
                out.misses.append(f"{data.scenario}: wrongly flagged {m}: {t.text}")
    return out


# ---------------------------------------------------------------------------------------------- simulated reps
@dataclass
class SimulationResult:
    sessions: int = 0
    turns: int = 0
    repeated: list[str] = field(default_factory=list)  # "scenario: line" said twice in one session
    outcomes: dict[str, int] = field(default_factory=dict)
    objections_short: int = 0  # won sessions that did not raise the objections their level promises


def simulate(scenarios: dict[str, Scenario], judge: Judge, sessions: int = 300, seed: int = 7) -> SimulationResult:
    """Random, off-script and adversarial reps against every scenario and level: does the customer ever say
    the same line twice in a session, and does every won session raise the objections its level promises?"""
    import random

    from bot.coach.movetrain import load_corpus
    from bot.coach.scenario import LEVELS

    rng = random.Random(seed)
    corpus = [e.text for e in load_corpus("train")]
    off_script = ["你好", "嗯", "好的好的", "稍等一下", "今天天气不错", "您吃饭了吗？", "哈哈", "喂？听得到吗？",
                  "我看一下", "OK", "是是是", "这个嘛……", "您说得对", "asdf", "？", "我们公司挺好的"]
    out = SimulationResult()
    ids = sorted(scenarios)
    for k in range(sessions):
        scenario = scenarios[ids[k % len(ids)]]
        level = LEVELS[(k // len(ids)) % len(LEVELS)]
        style = ("random", "off-script", "adversarial", "good")[k % 4]
        good = [e for c in scenario.rubric for e in c.examples]
        bad = [e for m in scenario.mistakes for e in m.examples]
        session = RolePlay.begin(scenario, judge, level)
        repeat = rng.choice(off_script + corpus)
        for t in range(12):
            if session.outcome:
                break
            if style == "random":
                turn = rng.choice(corpus)
            elif style == "off-script":
                turn = rng.choice(off_script)
            elif style == "adversarial":
                turn = rng.choice([repeat, repeat, rng.choice(bad), rng.choice(good), rng.choice(corpus)])
            else:
                turn = good[t % len(good)] if rng.random() < 0.8 else rng.choice(corpus)
            session.rep_says(turn)
            out.turns += 1
        card = session.finish()
        out.sessions += 1
        out.outcomes[card.outcome] = out.outcomes.get(card.outcome, 0) + 1
        if card.outcome == "won" and len(session.state["raised"]) < session._quota():
            out.objections_short += 1
        # A whole reply said twice, or one of the lines it is made of.
        replies = [t["text"] for t in session.state["transcript"] if t["role"] == "customer"]
        lines = session.state.get("said", [])
        out.repeated += [f"{scenario.id}: {r}" for r in {r for r in replies + lines
                                                          if replies.count(r) > 1 or lines.count(r) > 1}]
    return out


def run_moves_eval(settings, console):
    """The recogniser on the held-out corpus (never tuned on) and its training folds (``--only moves``)."""
    from rich.table import Table

    from bot.coach.moves import load_catalogue, load_head
    from bot.coach.movetrain import measure

    head = load_head()
    cache = settings.data_dir / "cache" / "move-vectors.npz"
    console.print(f"move recogniser: trained on {head.meta.get('sentences')} sentences by authors "
                  f"{', '.join(head.meta.get('authors', []))}; out-of-fold macro-F1 {head.meta.get('oof_macro_f1')}")
    results = measure(head, "heldout", cache_path=cache)
    if not results:
        console.print("no held-out corpus in eval/moves/heldout")
        return None
    catalogue = load_catalogue()
    for author, scores in results.items():
        table = Table(title=f"move recogniser, held-out author {author} (written after the freeze)")
        for col in ("move", "kind", "n", "precision", "recall", "F1"):
            table.add_column(col)
        for m, (p, r, f, n) in scores.per_move.items():
            table.add_row(m, catalogue.kind(m), str(n), f"{p:.2f}", f"{r:.2f}", f"{f:.2f}")
        console.print(table)
        console.print(f"held-out author {author}: macro-F1 {scores.macro_f1:.3f}; mistake moves precision "
                      f"{scores.mistake_precision:.3f}, recall {scores.mistake_recall:.3f}; exact label sets "
                      f"{scores.exact:.3f}")
    return results


def run_judge_eval(settings, console, *, sessions: int = 300) -> dict:
    """Single labelled turns (dev and held-out) and simulated sessions (``--only judge``)."""
    from bot.coach.scenario import load_scenarios

    scenarios, judge = load_scenarios(), Judge()
    results = {}
    for split in judge_splits():
        s = judge_single_turns(scenarios, judge, split)
        if s is None:
            continue
        results[split] = s
        console.print(f"judge on single turns ({split}, {s.turns}): mistake recall {s.mistake_recall:.3f} "
                      f"({s.mistakes_found}/{s.mistakes}), precision {s.mistake_precision:.3f}; criteria credited on "
                      f"neutral or mistaken turns {s.false_credit:.3f} ({s.quiet_credited}/{s.quiet_turns}); "
                      f"criteria met found {s.criteria_recall:.3f}")
    sim = simulate(scenarios, judge, sessions=sessions)
    results["simulation"] = sim
    console.print(f"simulated sessions: {sim.sessions} ({sim.turns} turns), outcomes {sim.outcomes}; "
                  f"customer lines repeated within a session: {len(sim.repeated)}; won without the promised "
                  f"objections: {sim.objections_short}")
    for line in sim.repeated[:10]:
        console.print(f"[dim]repeated: {line}[/dim]")
    return results


# ----------------------------------------------------------------------------- the key-account game's debrief
DEBRIEF_DIR = PROJECT_ROOT / "eval" / "debrief"
# What a blind author's labels mean in the debrief's terms: breach kind -> the keys a Breach may carry;
# good kind -> the credit group the debrief lists it under.
BREACH_KEYS = {"discount": {"discount", "unconditional_discount"}, "payment_terms": {"payment_days"},
               "compensation": {"compensation"}, "free_service": {"overpromise", "free_service"},
               "gift_favour": {"gift_favour"}, "badmouth_competitor": {"badmouth_competitor"},
               "overpromise": {"overpromise"}}
GOOD_GROUPS = {"apology": "道歉、认错", "discovery_question": "发现需要的提问", "value_argument": "价值论据"}


@dataclass
class DebriefScores:
    games: int = 0
    breaches: int = 0  # labelled breach messages
    flagged: int = 0  # of them, listed among the breaches
    kind_right: int = 0  # of them, for a reason of the labelled kind
    false_breaches: int = 0  # messages listed as breaches that the trainer did not see as one
    breach_credited: int = 0  # labelled breaches the debrief praised anyway
    good: int = 0
    good_credited: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def breach_recall(self) -> float:
        return self.flagged / self.breaches if self.breaches else 1.0

    @property
    def good_recall(self) -> float:
        return self.good_credited / self.good if self.good else 1.0


def score_debriefs(directory: Path) -> DebriefScores:
    from bot.coach.credittrain import credited_messages, play

    s = DebriefScores()
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        d, messages = play(data)

        def where(quote: str, messages: list[dict] = messages) -> set[int]:
            return {i for i, m in enumerate(messages) if m["team"] == "A" and quote in m["text"]}

        flagged: dict[int, set[str]] = {}
        for b in d.breaches:
            for i in where(b.quote):
                flagged.setdefault(i, set()).update(b.keys)
        credited = credited_messages(d, messages)
        breach_quotes = {b.quote for b in d.breaches}  # a breach's own sentence among the credits
        praised_breach = {i for _, f in d.credits if f.quote in breach_quotes for i in where(f.quote)}
        expected = data.get("expected") or {}
        labelled = {b["msg"]: b["kind"] for b in expected.get("breaches") or []}
        s.games += 1
        for i, kind in labelled.items():
            s.breaches += 1
            if i in flagged:
                s.flagged += 1
                s.kind_right += bool(flagged[i] & BREACH_KEYS[kind])
            else:
                s.missed.append(f"{path.stem} #{i} {kind}: {messages[i]['text']}")
            # Credit for another sentence of the message (the value argument before 「样板墙我们免费做」) is not
            # a breach praised: the breach itself is listed as one; praising its own sentence, or crediting a
            # message whose breach went unflagged, is.
            if i in praised_breach or (i in credited and i not in flagged):
                s.breach_credited += 1
        for i in set(flagged) - set(labelled):
            s.false_breaches += 1
            s.wrong.append(f"{path.stem} #{i} flagged {sorted(flagged[i])}: {messages[i]['text']}")
        for g in expected.get("good") or []:
            s.good += 1
            if GOOD_GROUPS[g["kind"]] in credited.get(g["msg"], set()) or credited.get(g["msg"]):
                s.good_credited += 1
            else:
                s.missed.append(f"{path.stem} #{g['msg']} good {g['kind']} not credited: {messages[g['msg']]['text']}")
    return s


def run_debrief_eval(settings, console, *, directory: Path = DEBRIEF_DIR) -> dict[str, DebriefScores]:
    """Every set of scripted games under ``eval/debrief/`` (dev and blind alike), figures only."""
    out = {}
    for sub in sorted(p for p in directory.iterdir() if p.is_dir() and any(p.glob("*.yaml"))):
        out[sub.name] = s = score_debriefs(sub)
        console.print(f"debrief ({sub.name}, {s.games} scripted games): breaches flagged {s.flagged}/{s.breaches} "
                      f"= {s.breach_recall:.3f} (right kind {s.kind_right}), listed as breach but not one "
                      f"{s.false_breaches}, breaches credited as good {s.breach_credited}; good moves credited "
                      f"{s.good_credited}/{s.good} = {s.good_recall:.3f}", markup=False, highlight=False)
    return out
# ---------------------------------------------------------------------------------------------- self-study
STUDY_DIR = PROJECT_ROOT / "eval" / "study"


class LabelledAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="the bank id of a free question, with or without the bank: prefix")
    text: str
    verdict: str = Field(pattern="^(right|partly|wrong)$")
    why: str = ""


class AnswerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: str = ""
    answers: list[LabelledAnswer] = Field(min_length=1)


@dataclass
class FreeTextAgreement:
    """How often the grader's verdict is the trainer's, on one file of labelled answers."""

    name: str
    author: str
    total: int = 0
    agree: int = 0
    per_verdict: dict[str, list[int]] = field(default_factory=dict)  # trainer's verdict -> [answers, agreed]
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (trainer, grader) -> count
    disagreements: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # qid, text, trainer, grader, reason
    unknown: list[str] = field(default_factory=list)  # question ids not in the bank

    @property
    def agreement(self) -> float:
        return self.agree / self.total if self.total else 0.0


def freetext_agreement(path: Path, questions: dict, grader) -> FreeTextAgreement:
    data = AnswerFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    out = FreeTextAgreement(path.stem, data.author)
    for a in data.answers:
        qid = a.question if a.question.startswith("bank:") else f"bank:{a.question}"
        q = questions.get(qid)
        if q is None or q.free is None:
            out.unknown.append(a.question)
            continue
        v = grader.grade(q.free, a.text)
        out.total += 1
        cell = out.per_verdict.setdefault(a.verdict, [0, 0])
        cell[0] += 1
        out.confusion[(a.verdict, v.grade)] = out.confusion.get((a.verdict, v.grade), 0) + 1
        if v.grade == a.verdict:
            out.agree += 1
            cell[1] += 1
        else:
            out.disagreements.append((a.question, a.text, a.verdict, v.grade, v.reason))
    return out


BLIND_FREETEXT = frozenset({"freetext-blind2", "freetext-blind3", "freetext-blind5", "freetext-blind6"})
"""Answer files written blind and not yet studied: their disagreements are never printed."""


def run_freetext_eval(settings, console, directory: Path = STUDY_DIR) -> list[FreeTextAgreement]:
    """Free-text grading against trainers' verdicts, for every answer file in eval/study/ (``--only freetext``)."""
    from rich.table import Table

    from bot.coach.freetext import GRADES, default_grader
    from bot.coach.study import question_bank

    files = sorted(directory.glob("freetext-*.yaml"))
    if not files:
        console.print(f"no labelled free-text answers in {directory}")
        return []
    questions = {q.id: q for q in question_bank(settings.knowledge_dir)}
    grader = default_grader()
    results = [freetext_agreement(p, questions, grader) for p in files]
    table = Table(title="free-text grading: the grader's verdict against the trainer's (exact agreement)")
    for col in ("file", "author", "answers", "agreement", *(f"{g} (n)" for g in GRADES)):
        table.add_column(col)
    for r in results:
        per = [f"{c[1] / c[0]:.2f} ({c[0]})" if (c := r.per_verdict.get(g)) else "-" for g in GRADES]
        table.add_row(r.name, r.author, str(r.total), f"{r.agreement:.3f}", *per)
    console.print(table)
    for r in results:
        grid = "  ".join(f"{t}->{g}: {n}" for (t, g), n in sorted(r.confusion.items()) if t != g)
        console.print(f"{r.name}: {r.agree}/{r.total} agree" + (f"; disagreements {grid}" if grid else ""))
        for qid in r.unknown:
            console.print(f"[yellow]{r.name}: no free question {qid} in the bank[/yellow]")
        if r.name in BLIND_FREETEXT:  # measured, never studied: figures only
            continue
        for qid, text, trainer, got, reason in r.disagreements:
            console.print(f"[dim]{r.name} {qid}: trainer {trainer}, grader {got} ({reason}): {text}[/dim]",
                          markup=False, highlight=False)
    return results


def run_quiz_eval(settings, console):
    """The question-quality check over every question the generator and the bank make (``--only quiz``)."""
    from rich.table import Table

    from bot.coach.study import quality_report

    report = quality_report(settings.knowledge_dir)
    table = Table(title="quiz questions: a trainer's checks (question stem, no give-away, distractors from the "
                        "family, no duplicate options, no trivia)")
    for col in ("kind", "questions", "pass"):
        table.add_column(col)
    for kind, (n, ok) in sorted(report.by_kind.items()):
        table.add_row(kind, str(n), str(ok))
    table.add_row("all", str(report.questions), f"{report.passed} ({report.passed / max(1, report.questions):.1%})")
    console.print(table)
    console.print(f"articles on the learning path with a choice question: {report.articles}")
    for qid, faults in report.faults.items():
        console.print(f"[red]{qid}[/red]: {'; '.join(faults)}", highlight=False)
    return report
