"""Several bots on shared servers, measured: N bot processes, each with its own token and its own fake Bot API,
on one PostgreSQL schema and one Chroma server, each driven by M simulated users at once.

Every user does what a rep does in a sitting: asks a question, plays a role-play (menu, scenario, level, start,
a few turns, /end and its scorecard), answers a quiz question, presses a stale button and asks again, each
message once the last one was answered. Afterwards the database must hold, for every user, their role-play's
turns and its scorecard and their quiz answer; every update must have had its reply and be marked done in its
bot's journal. What is missing is reported and makes the run fail.

The bots are real `Application`s (`build_application`, the update journal, the rate limiter) in processes of
their own, fed through their update queue as polling would; only Telegram is faked (bot/tools/fakeapi.py).
A worker is this module run as `python -m bot.tools.bench_servers worker DIR INDEX USERS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.tools.bench_kb import percentile

log = logging.getLogger(__name__)

QUESTIONS = ["客户一直催货怎么办？", "顾客让渡价值怎么算？", "大客户流失怎么防？", "发货时要告诉客户什么？",
             "客户嫌价格太高怎么回应？", "怎么向客户介绍新产品？"]
TURNS = ["韩经理，真对不起，这次延误是我们的责任，给您添麻烦了。",
         "车牌苏E·5K723，司机电话 139-1234-5678，预计今天下午 3 点前到工地。",
         "我们会出一份书面整改报告，下周我亲自回访。"]
STALE_BUTTON = "p:99999:1"  # an answer's page button whose answer no longer exists
ERROR_REPLY = "抱歉，出了点问题"  # the error handler's reply (zh-CN)
KINDS = ("question", "role-play menu", "role-play turn", "scorecard", "quiz", "stale button")

REPLY_TIMEOUT = 60.0  # seconds one update may wait for its reply before it counts as unanswered (a stall)
WARM_UP_USER = 99  # asks one question before the load starts; not counted
READY_TIMEOUT = 600.0  # a worker's start: the default model loads in each process, on a busy machine slowly


class BenchError(Exception):
    """A set-up the benchmark cannot run on, said in one line (a setting, a server that does not answer)."""


# --------------------------------------------------------------------------- worker: one bot, M users
@dataclass
class Step:
    kind: str
    text: str | None = None  # a message, or
    press: str | None = None  # a button: the callback data, or a label prefix of the last reply's buttons


def user_script(uid: int) -> list[Step]:
    q = QUESTIONS[uid % len(QUESTIONS)]
    return [Step("question", q),
            Step("role-play menu", "/roleplay"), Step("role-play menu", press="第三次延误"),
            Step("role-play menu", press="普通"), Step("role-play menu", press="▶"),
            *(Step("role-play turn", t) for t in TURNS),
            Step("scorecard", "/end"),
            Step("quiz", "/quiz"), Step("quiz", "A"),
            Step("stale button", press=STALE_BUTTON),
            Step("question", QUESTIONS[(uid + 1) % len(QUESTIONS)])]


def _buttons(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b.get("callback_data", "")) for row in (markup or {}).get("inline_keyboard", []) for b in row]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[:200])


async def _drive(settings: Settings, users: list[int], go: Path, *, warm: bool = True) -> dict:
    from bot.services import Services
    from bot.telegram.app import build_application
    from bot.tools.fakeapi import WatchedBotAPI, button, message

    api = WatchedBotAPI()
    started = time.perf_counter()
    services = Services.open(settings)
    opened = time.perf_counter()
    app = build_application(services, request=api, get_updates_request=api)
    finished: dict[int, asyncio.Event] = {}
    handle = app.process_update

    async def process_update(update: object) -> None:  # the queue's consumer calls this: "handled" is seen
        try:
            await handle(update)
        finally:
            event = finished.get(getattr(update, "update_id", -1))
            if event is not None:
                event.set()

    app.process_update = process_update  # type: ignore[method-assign]
    await app.initialize()
    await app.post_init(app)
    await app.start()
    # Measured as a bot that has been up a while: one question answered and, with `warm`, the judge's reference
    # sentences embedded (~300 of them, which Services.open does in a background thread: 25 s on a busy core,
    # which a rep's first turn would otherwise wait for and the load would share its cores with).
    if warm:
        for thread in threading.enumerate():
            if thread.name == "warm-judge":
                await asyncio.to_thread(thread.join)
    warm_up = message(app.bot, QUESTIONS[0], uid=WARM_UP_USER)
    await app.update_queue.put(warm_up)
    async with asyncio.timeout(READY_TIMEOUT):
        await api.reply(0, WARM_UP_USER)
    log.warning("up: services opened in %.1f s, warmed up in %.1f s", opened - started, time.perf_counter() - opened)
    go.with_name(go.name + ".ready").touch()
    await asyncio.to_thread(_wait_for, go)  # all bots start their users together

    records: list[dict] = []

    async def rep(uid: int) -> None:
        last: dict = {}
        skip_roleplay = False
        for step in user_script(uid):
            if skip_roleplay and step.kind in ("role-play menu", "role-play turn", "scorecard"):
                records.append({"uid": uid, "kind": step.kind, "status": "not sent (the role-play did not open)"})
                continue
            if step.text is not None:
                update = message(app.bot, step.text, uid=uid)
                callback = None
            else:
                data = step.press if ":" in step.press else next(
                    (d for t, d in _buttons(last) if t.startswith(step.press)), None)
                if data is None:
                    records.append({"uid": uid, "kind": step.kind, "status": f"no button {step.press!r} on screen"})
                    skip_roleplay = step.kind == "role-play menu"
                    continue
                update = button(app.bot, data, uid=uid)
                callback = update.callback_query.id
            done = finished[update.update_id] = asyncio.Event()
            since = len(api.times)
            t0 = time.perf_counter()
            await app.update_queue.put(update)  # journaled first, as a polled update is
            try:
                async with asyncio.timeout(REPLY_TIMEOUT):
                    t, last = await api.reply(since, uid, callback)
                status = "error reply" if str(last.get("text", "")).startswith(ERROR_REPLY) else "answered"
                latency = (t - t0) * 1000
                await asyncio.wait_for(done.wait(), REPLY_TIMEOUT)  # its handlers finished before the next message
            except TimeoutError:
                status, latency = "timed out", None
            records.append({"uid": uid, "kind": step.kind, "status": status, "ms": latency})

    errors = _Errors()
    logging.getLogger().addHandler(errors)
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(rep(uid) for uid in users))
    finally:
        wall = time.perf_counter() - t0
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
    return {"records": records, "wall_s": wall, "logged_errors": errors.records}


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.02)


def worker(folder: Path, index: int, users: int, warm: bool) -> None:
    """One bot process: its settings from the environment (the parent set the servers, token and data dir)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uids = [user_id(index, u) for u in range(users)]
    result = asyncio.run(_drive(load_settings(), uids, folder / f"go{index}", warm=warm))
    tmp = folder / f"result{index}.json.tmp"
    tmp.write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, folder / f"result{index}.json")


def user_id(bot: int, n: int) -> int:
    return 100_000 * (bot + 1) + n


# --------------------------------------------------------------------------- the servers
def schema_url(base: str, schema: str) -> str:
    """`base` with its tables in `schema`; the sessions named after it, so the clean-up can end them."""
    return f"{base}{'&' if '?' in base else '?'}application_name={schema}&options={quote(f'-csearch_path={schema}')}"


@contextlib.contextmanager
def postgres_schema(base: str, prefix: str = "bench") -> Iterator[str]:
    """A fresh schema in the database at `base`, dropped afterwards with every session left in it."""
    import psycopg

    from bot.config import redact_url

    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BenchError(f"no PostgreSQL answers at {redact_url(base)} (SALESCOACH_DATABASE_URL or --database-url): "
                         f"{first}") from None
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base, schema)
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                      "AND application_name = %s", (schema,))
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def chroma_server(folder: Path, timeout: float = 60) -> Iterator[str]:
    """`chroma run` (shipped with chromadb) on a free 127.0.0.1 port, stopped afterwards; yields its URL."""
    import httpx

    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        raise BenchError("the `chroma` command (chromadb) is not installed: run `make install`, or pass --chroma-url")
    port = _free_port()
    logfile = folder / "chroma.log"
    with open(logfile, "wb") as out:
        proc = subprocess.Popen([exe, "run", "--path", str(folder / "chroma-data"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = logfile.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                    raise BenchError(f"`chroma run` did not start: {tail[0]}") from None
                time.sleep(0.1)
        yield url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- the run
@dataclass
class Report:
    bots: int
    users: int
    schema: str = ""  # the PostgreSQL schema it ran in (dropped when the run returns)
    start_s: float = 0.0
    ingest_s: float = 0.0
    wall_s: float = 0.0
    records: list[dict] = field(default_factory=list)
    logged_errors: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)  # workers that gave no result, and why
    lost: dict[str, int] = field(default_factory=dict)  # what the database should hold and does not
    unfinished: int = 0  # updates not marked done in their journal
    deadlocks: int = 0

    @property
    def sent(self) -> int:
        return sum(1 for r in self.records if "ms" in r)

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r["status"] == status)

    @property
    def unanswered(self) -> int:
        return self.sent - self.count("answered") - self.count("error reply")

    @property
    def ok(self) -> bool:
        return (not self.crashed and self.sent and self.count("answered") == self.sent and not any(self.lost.values())
                and not self.unfinished and not self.deadlocks and not self.logged_errors
                and len(self.records) == self.bots * self.users * len(user_script(0)))


def _bot_env(settings: Settings, data_dir: Path, database_url: str, chroma_url: str, models: Path) -> dict:
    data_dir.mkdir(parents=True)
    (data_dir / "models").symlink_to(models, target_is_directory=True)  # built once, not once per bot
    token = f"{random.randrange(10**8, 10**9)}:bench-servers-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESCOACH_")}
    return {**env, "SALESCOACH_TELEGRAM_TOKEN": token, "SALESCOACH_DATA_DIR": str(data_dir),
            "SALESCOACH_DATABASE_URL": database_url, "SALESCOACH_CHROMA_URL": chroma_url,
            "SALESCOACH_EMBEDDING_MODEL": settings.embedding_model, "SALESCOACH_QUERY_ENGINE": settings.query_engine,
            "SALESCOACH_EMBEDDING_QUANTIZE": str(settings.embedding_quantize).lower(),
            "SALESCOACH_KNOWLEDGE_DIR": str(settings.knowledge_dir), "SALESCOACH_LLM_PROVIDER": "none",
            "SALESCOACH_TIMEZONE": settings.timezone, "PYTHONUNBUFFERED": "1"}


def _ingest_once(settings: Settings) -> None:
    """The tables migrated and the bundled knowledge synced into the server, once, before any bot starts."""
    from bot.kb.service import knowledge_base, sync_bundled
    from bot.store import open_store

    open_store(settings).close()
    report = sync_bundled(settings, knowledge_base(settings))
    log.info("ingested: %s", report)


def _check_database(url: str, report: Report) -> None:
    import psycopg

    uids = [user_id(b, u) for b in range(report.bots) for u in range(report.users)]
    with psycopg.connect(url) as db:
        cards = {r[0] for r in db.execute(
            "SELECT user_id FROM roleplays WHERE status = 'ended' AND card IS NOT NULL AND user_id = ANY(%s)",
            (uids,))}
        turns = dict(db.execute(
            "SELECT r.user_id, COUNT(*) FROM roleplay_turns t JOIN roleplays r USING (session_id) "
            "WHERE t.role = 'rep' AND r.user_id = ANY(%s) GROUP BY r.user_id", (uids,)).fetchall())
        quiz = {r[0] for r in db.execute("SELECT DISTINCT user_id FROM quiz_answers WHERE user_id = ANY(%s)",
                                         (uids,))}
        # An update is marked done just after its handlers ran; the bots have stopped, so this is final.
        report.unfinished = db.execute("SELECT COUNT(*) FROM inbox WHERE done IS NULL").fetchone()[0]
    report.lost = {"role-play turns": sum(max(0, len(TURNS) - turns.get(u, 0)) for u in uids),
                   "scorecards": sum(1 for u in uids if u not in cards),
                   "quiz answers": sum(1 for u in uids if u not in quiz)}


def _deadlocks(base: str) -> int:
    import psycopg

    with psycopg.connect(base, autocommit=True) as db:
        return db.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def run(settings: Settings, *, bots: int = 4, users: int = 25, database_url: str | None = None,
        chroma_url: str | None = None, console: Console | None = None, run_timeout: float = 900.0,
        warm: bool = True) -> Report:
    """The whole benchmark; servers it started and the schema it made are gone when it returns. `warm=False`
    starts the users once each bot has answered one question, not waiting for its judge to warm up (a test
    that checks what is answered and stored, not how fast)."""
    console = console or Console()
    base = database_url or settings.database_url
    if not base or not base.startswith(("postgresql://", "postgres://")):
        raise BenchError("SALESCOACH_DATABASE_URL (or --database-url) must name a PostgreSQL database (for example "
                         "postgresql://postgres@127.0.0.1:5432/test): the "
                         "benchmark makes a schema of its own in it and drops it afterwards")
    report = Report(bots, users)
    with tempfile.TemporaryDirectory(prefix="salescoach-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(postgres_schema(base))
            report.schema = url.rsplit("application_name=", 1)[1].split("&", 1)[0]
            chroma = chroma_url or stack.enter_context(chroma_server(tmp))
            models = settings.models_dir if settings.models_dir.is_dir() else tmp / "models"
            models.mkdir(parents=True, exist_ok=True)
            deadlocks_before = _deadlocks(base)

            t0 = time.perf_counter()
            ingest_dir = tmp / "ingest"
            ingest_dir.mkdir()
            (ingest_dir / "models").symlink_to(models, target_is_directory=True)
            _ingest_once(settings.model_copy(update={"database_url": url, "chroma_url": chroma,
                                                     "data_dir": ingest_dir}))
            report.ingest_s = time.perf_counter() - t0
            console.print(f"schema made, knowledge ingested into {chroma} once: {report.ingest_s:.1f} s")

            procs: list[subprocess.Popen] = []
            stack.callback(lambda: [_stop(p) for p in procs])
            t0 = time.perf_counter()
            for i in range(bots):
                env = _bot_env(settings, tmp / f"bot{i}", url, chroma, models)
                with open(tmp / f"bot{i}.log", "wb") as out:
                    procs.append(subprocess.Popen(
                        [sys.executable, "-m", "bot.tools.bench_servers", "worker", str(tmp), str(i), str(users),
                         "warm" if warm else "cold"],
                        cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
            _wait(lambda: all((tmp / f"go{i}.ready").exists() for i in range(bots)), procs, tmp, READY_TIMEOUT,
                  report, "start")
            report.start_s = time.perf_counter() - t0
            if not report.crashed:
                console.print(f"{bots} bots up in {report.start_s:.1f} s; {users} users each, go")
                t0 = time.perf_counter()
                for i in range(bots):
                    (tmp / f"go{i}").touch()
                _wait(lambda: all(p.poll() is not None for p in procs), procs, tmp, run_timeout, report, "run")
                report.wall_s = time.perf_counter() - t0
            for i, p in enumerate(procs):
                _stop(p)
                result = tmp / f"result{i}.json"
                if result.exists():
                    data = json.loads(result.read_text(encoding="utf-8"))
                    report.records += data["records"]
                    report.logged_errors += [f"bot {i}: {e}" for e in data["logged_errors"]]
                elif not any(c.startswith(f"bot {i}") for c in report.crashed):
                    tail = (tmp / f"bot{i}.log").read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
                    report.crashed.append(f"bot {i} exited with {p.returncode} and no result: {tail[0][:300]}")
            report.logged_errors += [f"bot {i}: {line[:200]}" for i in range(bots)
                                     for line in (tmp / f"bot{i}.log").read_text(errors="replace").splitlines()
                                     if line.startswith("Traceback")]
            _check_database(url, report)
            report.deadlocks = _deadlocks(base) - deadlocks_before  # the whole database: other users count too
    return report


def _wait(predicate, procs: list[subprocess.Popen], tmp: Path, timeout: float, report: Report, phase: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for i, p in enumerate(procs):
            if p.poll() is not None and not (tmp / f"result{i}.json").exists():
                tail = (tmp / f"bot{i}.log").read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
                report.crashed.append(f"bot {i} exited with {p.returncode} during {phase}: {tail[0][:300]}")
                return
        if time.monotonic() > deadline:
            report.crashed.append(f"{phase} took longer than {timeout:.0f} s (a stall or a deadlock): stopped")
            return
        time.sleep(0.05)


def print_report(report: Report, console: Console) -> None:
    table = Table(title=f"{report.bots} bots × {report.users} users on shared servers: reply latency by kind")
    for col in ("kind", "sent", "answered", "p50 ms", "p95 ms", "max ms"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in KINDS:
        rows = [r for r in report.records if r["kind"] == kind and "ms" in r]
        ms = [r["ms"] for r in rows if r["ms"] is not None]
        table.add_row(kind, str(len(rows)), str(sum(r["status"] == "answered" for r in rows)),
                      *((f"{statistics.median(ms):.0f}", f"{percentile(ms, 95):.0f}", f"{max(ms):.0f}") if ms
                        else ("-", "-", "-")))
    console.print(table)
    lost = ", ".join(f"{v} {k}" for k, v in report.lost.items())
    not_sent = [r for r in report.records if "ms" not in r]
    console.print(f"messages sent {report.sent}, answered {report.count('answered')}, error replies "
                  f"{report.count('error reply')}, timed out {report.count('timed out')}"
                  + (f", not sent {len(not_sent)} ({not_sent[0]['status']})" if not_sent else ""), highlight=False)
    console.print(f"lost in the database: {lost}; updates left unfinished in the journals: {report.unfinished}; "
                  f"deadlocks: {report.deadlocks}; errors logged: {len(report.logged_errors)}", highlight=False)
    for line in report.crashed + report.logged_errors[:5]:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    if report.wall_s:
        console.print(f"bots up in {report.start_s:.1f} s; the load ran {report.wall_s:.1f} s "
                      f"({report.sent / report.wall_s:.1f} updates/s over all bots)", highlight=False)
    verdict = "[green]✓ every message answered, nothing lost[/green]" if report.ok else "[red]✗ something was lost, unanswered or broken[/red]"
    console.print(verdict)


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    worker(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:6] != ["cold"])
