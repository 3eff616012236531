"""The knowledge base on a real Chroma server (`chroma run`, started here on a 127.0.0.1 port): bots on
different machines (here: data dirs) answer from what one of them ingested, and an ingest is atomic for a
bot searching meanwhile."""

import functools
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.kb import server as srv
from bot.kb.documents import Document
from bot.kb.embed import FakeEmbedder
from bot.kb.index import KnowledgeBase
from bot.kb.retrieve import Retriever
from tests.servers import chroma_server

DOCS = [
    Document("shipment", "发货通知五要素", "seed.txt", "发货时告诉客户车号、司机电话、发货时间、预计到达时间和货物数量。"
             "这五个要素缺一不可。", {"tags": ["发货"]}),
    Document("apology", "道歉短信", "seed.txt", "到货延误后，先诚恳道歉，说明原因，并承诺补救措施。客户最在意的是态度。", {}),
    Document("value", "顾客让渡价值", "seed.txt", "顾客让渡价值等于顾客总价值减去顾客总成本。总成本包括时间和精力。", {}),
]
NEW = Document("price", "价格谈判", "seed.txt", "客户压价时，先问清楚预算，再用价值说话，不要直接降价。让步要换条件。", {})
OTHER = Document("visit", "拜访准备", "seed.txt", "拜访客户之前，先查清客户的采购流程和决策人。准备三个开放式问题。", {})


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> str:
    yield from chroma_server(tmp_path_factory.mktemp("chroma"))


@pytest.fixture
def server(chroma_url) -> str:
    """The module's server, emptied: each test starts with no knowledge base on it."""
    chroma = srv.client(chroma_url)
    for col in chroma.list_collections():
        chroma.delete_collection(col if isinstance(col, str) else col.name)
    return chroma_url


def _titles(retriever: Retriever, query: str) -> list[str]:
    return [p.title for p in retriever.search(query, k=3).passages]


def test_a_bot_on_another_machine_answers_from_what_one_ingested_as_the_embedded_index_does(server, tmp_path):
    KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server).ingest(documents=DOCS)
    elsewhere = Retriever(KnowledgeBase(tmp_path / "other-bot", FakeEmbedder(), server=server))
    embedded = KnowledgeBase(tmp_path / "embedded", FakeEmbedder())
    embedded.ingest(documents=DOCS)
    local = Retriever(embedded)
    for query in ("发货要告诉客户什么", "延误了怎么道歉", "什么是顾客让渡价值"):
        got, want = elsewhere.search(query, k=3), local.search(query, k=3)
        assert [p.chunk_id for p in got.passages] == [p.chunk_id for p in want.passages]
        assert [p.score for p in got.passages] == pytest.approx([p.score for p in want.passages], abs=1e-4)
    assert _titles(elsewhere, "发货要告诉客户什么")[0] == "发货通知五要素"
    # The other bot derived its lexical index from the server's passages; it holds no vectors itself.
    cached = elsewhere.generation.path
    assert any(cached.glob("bm25-*"))
    assert not (cached / "chroma").exists()


def test_a_bot_searching_during_an_ingest_answers_from_a_complete_generation(server, tmp_path, monkeypatch):
    ingester = KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server)
    ingester.ingest(documents=DOCS)
    bot = Retriever(KnowledgeBase(tmp_path / "bot", FakeEmbedder(), server=server))
    before = bot.generation.path.name
    during: list[list[str]] = []

    def search_meanwhile(done: int, total: int) -> None:  # embedding the new generation
        during.append(_titles(bot, "客户压价怎么办"))

    switch = srv.switch_to

    def search_then_switch(chroma, generation):  # the new generation is on the server, not yet live
        during.append(_titles(bot, "客户压价怎么办"))
        switch(chroma, generation)

    monkeypatch.setattr(srv, "switch_to", search_then_switch)
    report = ingester.ingest(documents=[*DOCS, NEW], on_embed=search_meanwhile)
    assert report.added == ["price"]
    assert len(during) >= 2
    assert all("价格谈判" not in titles and len(titles) == 3 for titles in during)
    assert bot.generation.path.name == before
    assert _titles(bot, "客户压价怎么办")[0] == "价格谈判"  # the next search moves to the new generation
    assert bot.generation.path.name != before


def test_re_ingesting_changes_nothing_and_old_generations_are_dropped(server, tmp_path):
    ingester = KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server)
    ingester.ingest(documents=DOCS)
    chroma = srv.client(server)
    first = srv.live_generation(chroma)
    assert not ingester.ingest(documents=DOCS).changed
    assert srv.live_generation(chroma) == first
    ingester.ingest(documents=[*DOCS, NEW])
    ingester.ingest(documents=DOCS, prune_sources=lambda d: True)  # "price" removed again
    names = {c if isinstance(c, str) else c.name for c in chroma.list_collections()}
    assert not any(first in name for name in names)  # two generations newer than it: it is gone
    live = srv.live_generation(chroma)
    assert {f"salescoach-{live}-passages", f"salescoach-{live}-meta", "salescoach-current"} <= names


def test_two_bots_ingesting_at_once_both_land_in_one_complete_generation_every_reader_sees_whole(
        server, tmp_path, monkeypatch):
    """North and south (two machines: two data dirs) upload a document each at the same moment while a third
    bot answers questions. South's ingest starts while north's is embedding, on the same live generation."""
    KnowledgeBase(tmp_path / "first", FakeEmbedder(), server=server).ingest(documents=DOCS)
    north = KnowledgeBase(tmp_path / "north", FakeEmbedder(), server=server)
    south = KnowledgeBase(tmp_path / "south", FakeEmbedder(), server=server)
    reader = Retriever(KnowledgeBase(tmp_path / "reader", FakeEmbedder(), server=server))
    # Set when south waits its turn behind north's ingest, or (were there no turns) has got through.
    south_ready, north_done, stop = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def poll(seconds: float) -> None:  # the lock's wait between two tries: south's next try comes after north's
        south_ready.set()
        north_done.wait(30)

    monkeypatch.setattr(srv, "IngestLock", functools.partial(srv.IngestLock, sleep=poll))

    def south_ingest() -> None:
        try:
            south.ingest(documents=[OTHER])
        except BaseException as exc:
            failures.append(exc)
        finally:
            south_ready.set()

    south_thread = threading.Thread(target=south_ingest)

    def north_embedding(done: int, total: int) -> None:  # north has read the live generation and is building
        if south_thread.ident is None:
            south_thread.start()
            assert south_ready.wait(30)

    seen: dict[str, tuple[set[str], int, int]] = {}  # generation -> (its documents, passages, manifest's count)

    def answer_meanwhile() -> None:
        while not stop.is_set():
            try:
                found = reader.search("客户压价怎么办", k=5)
                gen = reader.generation
                seen[gen.path.name] = (set(gen.docs), len(gen.chunks), gen.manifest["chunks"])
                assert found.passages
                assert {p.doc_id for p in found.passages} <= set(gen.docs)
            except BaseException as exc:
                failures.append(exc)
                return

    answering = threading.Thread(target=answer_meanwhile)
    answering.start()
    try:
        north.ingest(documents=[NEW], on_embed=north_embedding)
    finally:
        north_done.set()
        if south_thread.ident is not None:
            south_thread.join()
        stop.set()
        answering.join()
    assert south_thread.ident is not None
    assert not failures, failures
    base = {d.doc_id for d in DOCS}
    # Every generation a reader answered from was whole, and one an ingest in turn made live.
    assert len(seen) >= 1
    for docs, passages, counted in seen.values():
        assert docs in (base, base | {"price"}, base | {"price", "visit"})
        assert passages == counted
    # The live generation holds both uploads, on the server as in any bot's cache.
    chroma = srv.client(server)
    live = srv.live_generation(chroma)
    fresh = Retriever(KnowledgeBase(tmp_path / "latecomer", FakeEmbedder(), server=server))
    assert fresh.generation.path.name == live
    assert set(fresh.generation.docs) == base | {"price", "visit"}
    passages, sentences = srv.collections(chroma, live)
    assert passages.count() == len(fresh.generation.chunks) == fresh.generation.manifest["chunks"]
    assert sentences.count() == len(fresh.generation.unit_owner)
    assert _titles(fresh, "拜访客户前要准备什么")[0] == "拜访准备"
    assert _titles(fresh, "客户压价怎么办")[0] == "价格谈判"
    assert not any(c.name.startswith(srv.LOCK) for c in chroma.list_collections())  # released


def test_a_search_whose_generation_is_dropped_under_it_answers_from_the_live_one(server, tmp_path, monkeypatch):
    ingester = KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server)
    ingester.ingest(documents=DOCS)
    bot = Retriever(KnowledgeBase(tmp_path / "bot", FakeEmbedder(), server=server))
    ingester.ingest(documents=[NEW])
    ingester.ingest(documents=[OTHER])  # two ingests later, the generation the bot loaded is off the server
    refresh, refreshes = bot.refresh, []

    def late(*args) -> bool:  # the search began on its generation just before the two ingests finished
        refreshes.append(1)
        return False if len(refreshes) == 1 else refresh()

    monkeypatch.setattr(bot, "refresh", late)
    assert _titles(bot, "客户压价怎么办")[0] == "价格谈判"
    assert len(refreshes) == 2


def test_an_ingest_waits_for_a_live_one_and_takes_over_the_lock_of_a_killed_one(server):
    chroma = srv.client(server)
    now = [0.0]
    south = srv.IngestLock(chroma, owner="south", renew=3600).acquire()  # renewed below, by hand

    def south_keeps_ingesting(seconds: float) -> None:
        now[0] += seconds
        if now[0] < 300:
            south.beat()
        else:
            south.release()

    north = srv.IngestLock(chroma, owner="north", clock=lambda: now[0], sleep=south_keeps_ingesting, lease=60, poll=20)
    with north:
        assert now[0] == 300  # five minutes of south renewing its lease: waited, never taken over
        assert chroma.get_collection(srv.LOCK).metadata["owner"] == "north"
    assert not any(c.name.startswith(srv.LOCK) for c in chroma.list_collections())

    now[0] = 0.0
    killed = srv.IngestLock(chroma, owner="killed", renew=3600).acquire()  # a bot killed mid-ingest: no renewals
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with srv.IngestLock(chroma, owner="north", clock=lambda: now[0], sleep=wait, lease=60, poll=5):
        assert now[0] == 60  # the lease, then taken over
        assert chroma.get_collection(srv.LOCK).metadata["owner"] == "north"
        killed.release()  # had it come back: it removes only its own lock, which is gone
        assert chroma.get_collection(srv.LOCK).metadata["owner"] == "north"
    assert not any(c.name.startswith(srv.LOCK) for c in chroma.list_collections())


def test_a_bot_restarting_after_being_killed_mid_ingest_takes_its_dead_lock_over_at_once(server):
    import subprocess
    import sys

    chroma = srv.client(server)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # the killed bot's process: gone, on this machine
    killed = srv.IngestLock(chroma, owner="killed", renew=3600)  # renewed hourly: never, in this test
    killed.pid = ended.pid
    killed.acquire()

    def never(seconds: float) -> None:
        raise AssertionError("waited for a lock whose process has ended")

    with srv.IngestLock(chroma, owner="restarted", sleep=never):
        assert chroma.get_collection(srv.LOCK).metadata["owner"] == "restarted"
    # A live process of this machine (this one) is waited for, as one elsewhere is.
    waits: list[float] = []
    alive = srv.IngestLock(chroma, owner="alive", renew=3600).acquire()

    def wait(seconds: float) -> None:
        waits.append(seconds)
        alive.release()

    with srv.IngestLock(chroma, owner="next", sleep=wait):
        assert waits
    killed.release()


def test_doctor_says_the_chroma_server_answers(server, tmp_path, monkeypatch):
    from bot.cli import app

    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_CHROMA_URL", server)
    monkeypatch.delenv("SALESCOACH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"✓ Chroma server {server}: answers; no knowledge base on it yet" in result.output
    KnowledgeBase(tmp_path / "ingester", FakeEmbedder(), server=server).ingest(documents=DOCS)
    result = CliRunner().invoke(app, ["doctor"])
    live = srv.live_generation(srv.client(server))
    assert f"✓ Chroma server {server}: answers; knowledge base {live} is live" in result.output


def test_a_wrong_chroma_url_is_one_line_naming_the_setting(monkeypatch, tmp_path):
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"SALESCOACH_CHROMA_URL='127\.0\.0\.1:8000': not a Chroma server URL"):
        load_settings(_env_file=None, data_dir=Path(tmp_path), chroma_url="127.0.0.1:8000")


def test_bench_refuses_a_wrong_chroma_url_in_one_line(monkeypatch, tmp_path):
    from bot.cli import app

    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SALESCOACH_CHROMA_URL", raising=False)
    result = CliRunner().invoke(app, ["bench", "queries", "--chroma-url", "127.0.0.1:8000"])
    assert result.exit_code == 2
    assert result.output.startswith("✗ --chroma-url='127.0.0.1:8000': not a Chroma server URL")
    assert len(result.output.strip().splitlines()) == 1


def test_switching_a_data_dir_to_a_server_and_back_keeps_the_embedded_index_and_its_uploads(server, tmp_path):
    from bot.kb.service import as_upload, knowledge_base, open_retriever, sync_bundled
    from tests.conftest import make_settings

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "visit.md").write_text("# 拜访准备\n\n拜访客户之前，先查清客户的采购流程和决策人。准备三个开放式问题。\n")
    embedded = make_settings(tmp_path / "data", knowledge_dir=knowledge)
    local = knowledge_base(embedded)
    sync_bundled(embedded, local)
    local.ingest(documents=[as_upload(NEW)])  # an admin's upload: only in the embedded index
    before = local.current_path()

    served = make_settings(tmp_path / "data", knowledge_dir=knowledge, chroma_url=server)
    on_server = open_retriever(served)  # the same data dir, now in server mode: fetches the server's generation
    assert _titles(on_server, "拜访客户前要准备什么")[0] == "拜访准备"
    assert "upload:price" not in on_server.kb.documents()
    assert not on_server.kb.dir.is_relative_to(before)

    back = open_retriever(embedded)
    assert back.kb.current_path() == before
    assert (before / "manifest.json").is_file()
    assert "upload:price" in back.kb.documents()
    assert _titles(back, "客户压价怎么办")[0] == "价格谈判"
    again = open_retriever(served)  # and once more to the server: its cache is still there, nothing lost either
    assert _titles(again, "拜访客户前要准备什么")[0] == "拜访准备"
    assert local.current_path() == before


def test_the_cache_of_a_server_not_used_for_a_month_is_removed_and_a_recent_one_kept(tmp_path):
    import os
    import time

    caches = tmp_path / "kb" / "server-cache"
    old, recent = caches / "old-host-8000", caches / "other-host-8000"
    current = tmp_path / "kb" / srv.cache_folder("http://chroma.internal:8000")
    for folder in (old, recent, current):
        (folder / "gen-1").mkdir(parents=True)
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(current, (month_ago, month_ago))  # the server in use: kept whatever its age
    KnowledgeBase(tmp_path / "kb", FakeEmbedder(), server="http://chroma.internal:8000")
    assert not old.exists()
    assert (recent / "gen-1").is_dir()
    assert (current / "gen-1").is_dir()
