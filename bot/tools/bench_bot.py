"""Bot benchmarks through the fake Bot API: latency update→sendMessage, 20 users × 20 messages at once, memory."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time

import psutil
from rich.console import Console

from bot.config import Settings
from bot.services import Services
from bot.telegram.app import build_application
from bot.tools.bench_kb import percentile
from bot.tools.eval_kb import load_questions
from bot.tools.fakeapi import FakeBotAPI, WatchedBotAPI, message


async def _answer_latency(app, api: FakeBotAPI | WatchedBotAPI, questions: list[str], *, journaled: bool = False) -> list[float]:
    """Milliseconds from update in to sendMessage out, one question at a time, after a warm-up. `journaled`:
    through the started application's update queue, which writes each update to the store's journal first
    (as polling does), instead of straight to the handlers."""

    async def answered(update) -> float:
        api.clear()
        t0 = time.perf_counter()
        if not journaled:
            await app.process_update(update)
        else:
            await app.update_queue.put(update)
            async with asyncio.timeout(60):
                await api.reply(0, update.effective_chat.id)
        sent = [t for name, t, _ in api.times if name == "sendMessage"]
        return (sent[0] - t0) * 1000

    for q in questions[:20]:
        await answered(message(app.bot, q, uid=1))
    latencies = []
    for i, q in enumerate(questions):
        # Paced like real traffic (5 questions/s), so the flood-control limiter never holds replies.
        await asyncio.sleep(0.2)
        latencies.append(await answered(message(app.bot, q, uid=1000 + i)))
    return latencies


async def _run(settings: Settings, console: Console, users: int, per_user: int) -> dict:
    api = FakeBotAPI()
    services = Services.open(settings)
    app = build_application(services, request=api, get_updates_request=api)
    await app.initialize()
    questions = [q.q for q in load_questions("kb")]
    res: dict = {}
    try:
        # 1. Latency, one question at a time after warm-up: update in → sendMessage out.
        latencies = await _answer_latency(app, api, questions)
        res.update(latency_n=len(latencies), p50_ms=statistics.median(latencies), p95_ms=percentile(latencies, 95))
        console.print(f"update → sendMessage: n={len(latencies)} p50={res['p50_ms']:.1f} ms p95={res['p95_ms']:.1f} ms")

        # 2. Many users at once; every question must be answered, with no error replies.
        api.clear()
        errors_before = len(api.texts())

        waits: list[float] = []

        async def rep(uid: int) -> None:
            # Each user sends the next question once the last one is answered, as people chat.
            for k in range(per_user):
                t = time.perf_counter()
                await app.process_update(message(app.bot, questions[(uid * per_user + k) % len(questions)], uid=uid))
                waits.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(rep(10_000 + u) for u in range(users)))
        wall = time.perf_counter() - t0
        sends = [(t, p) for name, t, p in api.times if name == "sendMessage"]
        answered: dict[int, int] = {}
        for _, p in sends:
            answered[int(p["chat_id"])] = answered.get(int(p["chat_id"]), 0) + 1
        errors = sum(1 for _, p in sends if p["text"].startswith("抱歉，出了点问题")) - errors_before
        stamps = sorted(t for t, _ in sends)
        peak = max((sum(1 for s in stamps if w <= s < w + 1.0) for w in stamps), default=0)
        res.update(concurrent_p50_s=statistics.median(waits), concurrent_p95_s=percentile(waits, 95),
                   concurrent_max_s=max(waits))
        res.update(users=users, per_user=per_user, answered=sum(answered.values()), errors=max(0, errors),
                   wall_s=wall, peak_per_s=peak, all_answered=all(answered.get(10_000 + u) == per_user
                                                                 for u in range(users)))
        console.print(f"{users} users × {per_user} questions at once: {res['answered']} answered "
                      f"(all answered: {res['all_answered']}), {res['errors']} errors, {wall:.1f} s, "
                      f"peak {peak} messages in any second (Telegram allows ~30/s)")
        console.print(f"reply time under that load: p50 {res['concurrent_p50_s']:.2f} s, "
                      f"p95 {res['concurrent_p95_s']:.2f} s, max {res['concurrent_max_s']:.2f} s (target p95 < 2 s)")
        gc.collect()
        res["rss_mb"] = psutil.Process().memory_info().rss / 2**20
        console.print(f"resident memory with the model loaded: {res['rss_mb']:.0f} MB")
    finally:
        await app.shutdown()
        services.close()
    return res


def _with_token(settings: Settings) -> Settings:
    if settings.telegram_token is None:
        from pydantic import SecretStr

        settings = settings.model_copy(update={"telegram_token": SecretStr("1:benchmark")})
    return settings


def bench_bot(settings: Settings, console: Console, users: int = 20, per_user: int = 20) -> dict:
    return asyncio.run(_run(_with_token(settings), console, users, per_user))


async def _store_latency(settings: Settings, questions: list[str]) -> list[float]:
    api = WatchedBotAPI()
    services = Services.open(settings)
    app = build_application(services, request=api, get_updates_request=api)
    await app.initialize()
    await app.start()
    try:
        return await _answer_latency(app, api, questions, journaled=True)
    finally:
        await app.stop()
        await app.shutdown()
        services.close()


def bench_stores(settings: Settings, console: Console, database_url: str, rounds: int = 2) -> dict:
    """The answer latency above, each update journaled first as in production, with the state in SQLite (the data dir's) and in PostgreSQL (`database_url`, a
    fresh schema made here and dropped after); everything else, the knowledge base included, is the same.
    The two alternate, `rounds` times each, so a neighbour's load on the machine falls on both alike."""
    from bot.tools.bench_servers import postgres_schema

    settings = _with_token(settings).model_copy(update={"database_url": None})
    questions = [q.q for q in load_questions("kb")]
    latencies: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
    with postgres_schema(database_url, prefix="bench_stores") as url:
        for _ in range(rounds):
            latencies["SQLite"] += asyncio.run(_store_latency(settings, questions))
            latencies["PostgreSQL"] += asyncio.run(
                _store_latency(settings.model_copy(update={"database_url": url}), questions))
    res = {name: {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": percentile(ms, 95), "max_ms": max(ms)}
           for name, ms in latencies.items()}
    console.print("answer latency, update → sendMessage, one question at a time (fake Bot API):")
    for name, r in res.items():
        console.print(f"  {name:<10} n={r['n']:<4} p50={r['p50_ms']:7.1f} ms  p95={r['p95_ms']:7.1f} ms  "
                      f"max={r['max_ms']:7.1f} ms", highlight=False)
    return res
