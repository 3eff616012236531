"""`salescoach doctor`: each configured place the bot depends on, checked, and said in one line.

Every check returns (ok, line) and never raises: whatever goes wrong is the line, so an operator reads
what is wrong and which setting to change, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.config import Settings

Check = tuple[bool, str]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return re.sub(r"\s+", " ", text.splitlines()[0]) if text else type(exc).__name__


def check_store(settings: Settings) -> Check:
    """Reachable, at the schema revision this version needs, and taking writes."""
    from bot.store import Store, StoreUnwritable, migrate, store_location
    from bot.store.backends import connect, redact

    location = store_location(settings)
    setting = "SALESCOACH_DATABASE_URL" if settings.database_url else "SALESCOACH_DATA_DIR"
    where = redact(location)
    try:
        db = connect(location)
    except StoreUnwritable as exc:
        return False, f"store {where}: cannot connect ({exc.reason}); check {setting}"
    try:
        current, head = migrate.revision(db), migrate.head()
    except StoreUnwritable as exc:
        return False, f"store {where}: cannot be read ({exc.reason}); check {setting}"
    finally:
        db.close()
    if current is None:
        return True, f"store {where}: empty; its tables are created when the bot starts (or `salescoach migrate`)"
    if not migrate.known(current):
        return False, (f"store {where}: at schema revision {current}, which this salescoach does not know (a newer "
                       "version upgraded it): run that version, or point {setting} elsewhere").replace(
            "{setting}", setting)
    if current != head:
        return False, (f"store {where}: at schema revision {current}, missing the migrations up to {head}: run "
                       "`salescoach migrate` (the bot also applies them when it starts)")
    try:
        with Store(location) as store:
            store.check_writable()
    except StoreUnwritable as exc:
        return False, f"store {where}: does not take writes ({exc.reason})"
    return True, f"store {where}: reachable, schema at {head}, takes writes"


def check_chroma(settings: Settings) -> Check | None:
    """The Chroma server answers (None when none is configured)."""
    if not settings.chroma_url:
        return None
    import httpx

    try:
        response = httpx.get(f"{settings.chroma_url}/api/v2/heartbeat", timeout=5)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return False, f"Chroma server {settings.chroma_url}: {_first_line(exc)}; check SALESCOACH_CHROMA_URL " \
                      "and that `chroma run` is up"
    from bot.kb import server as srv

    try:
        live = srv.live_generation(srv.client(settings.chroma_url))
    except Exception as exc:  # it answers HTTP but not as a Chroma server of this version would
        return False, f"Chroma server {settings.chroma_url}: answers, but not as Chroma 1.x: {_first_line(exc)}"
    if live is None:
        return True, (f"Chroma server {settings.chroma_url}: answers; no knowledge base on it yet (the first bot "
                      "to start ingests knowledge/)")
    return True, f"Chroma server {settings.chroma_url}: answers; knowledge base {live} is live"


CHECKS: tuple[Callable[[Settings], Check | None], ...] = (check_store, check_chroma)


def diagnose(settings: Settings) -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            result = check(settings)
        except Exception as exc:  # a check's own bug still comes out as one line
            result = (False, f"{check.__name__.removeprefix('check_')}: {type(exc).__name__}: {_first_line(exc)}")
        if result is not None:
            results.append(result)
    return results
