"""Load on shared servers, reported (not a test: ~1-2 min of 4 bot processes): N bot processes with their own
tokens on one PostgreSQL database and one Chroma server, M users each asking a question and choosing a
language at once. Every message must be answered, every choice stored, no process may log a traceback.

    .venv/bin/python -m tests.faults.load_shared [BOTS] [USERS]
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.faults.harness import BotAPI, BotProcess, token
from tests.servers import chroma_server, postgres_schema

QUESTIONS = ["客户一直催货怎么办？", "顾客让渡价值怎么算？", "大客户流失怎么防？", "发货时要告诉客户什么？"]


def _up(proc: BotProcess, api: BotAPI, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while api.polls == 0:
        if not proc.alive() or time.monotonic() > deadline:
            raise AssertionError(f"a bot did not start: {proc.output()[-1500:]}")
        time.sleep(0.1)


def run(bots: int, users: int, tmp: Path) -> int:
    with contextlib.contextmanager(postgres_schema)() as url, contextlib.contextmanager(chroma_server)(tmp) as chroma:
        apis = [BotAPI(token()) for _ in range(bots)]
        procs = [BotProcess(api, tmp / f"bot{i}", DATABASE_URL=url, CHROMA_URL=chroma) for i, api in enumerate(apis)]
        try:
            started = time.perf_counter()
            procs[0].start()  # the first ingests knowledge/ into the server; the others fetch it
            for p in procs[1:]:
                p.start(wait=False)
            for p, api in zip(procs[1:], apis[1:], strict=True):
                _up(p, api)
            print(f"{bots} bots up in {time.perf_counter() - started:.1f} s")
            sent: dict[tuple[int, int], float] = {}
            for u in range(users):
                for i, api in enumerate(apis):
                    uid = 10_000 * (i + 1) + u
                    sent[(i, uid)] = api.now()
                    api.say(QUESTIONS[u % len(QUESTIONS)], uid=uid)
                    api.press("lang:en" if u % 2 else "lang:zh-TW", uid=uid)
            latencies, missing = [], 0
            for (i, uid), t in sent.items():
                api = apis[i]
                try:
                    api.wait_for(lambda api=api, uid=uid, t=t: api.sent(uid, since=t), timeout=120)
                    api.wait_for(lambda api=api, uid=uid, t=t: api.sent(uid, "editMessageText", since=t), timeout=120)
                except AssertionError:
                    missing += 1
                    continue
                first = min(c[1] for c in api.calls if c[0] == "sendMessage" and c[1] >= t
                            and int(c[2].get("chat_id", 0) or 0) == uid)
                latencies.append(first - t)
            with psycopg.connect(url) as db:
                langs = db.execute("SELECT COUNT(*) FROM users WHERE lang IS NOT NULL").fetchone()[0]
                for _ in range(100):  # an update is marked done just after its last reply went out
                    journal = db.execute("SELECT COUNT(DISTINCT bot_id), COUNT(*) FILTER (WHERE done IS NULL) "
                                         "FROM inbox").fetchone()
                    if not journal[1]:
                        break
                    time.sleep(0.1)
            tracebacks = sum("Traceback" in p.output() for p in procs)
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
            p50 = statistics.median(latencies) if latencies else float("nan")
            print(f"{bots} bots x {users} users: {len(latencies)}/{len(sent)} answered, {missing} missing; "
                  f"first reply p50 {p50:.2f} s p95 {p95:.2f} s; {langs}/{len(sent)} language choices stored; "
                  f"journal: {journal[0]} bots, {journal[1]} updates unfinished; "
                  f"{tracebacks} processes logged a traceback")
            return 0 if not missing and langs == len(sent) and not tracebacks and not journal[1] else 1
        finally:
            for p in procs:
                p.stop()
            for api in apis:
                api.close()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(run(*(args + [4, 25][len(args):]), Path(tmp)))
