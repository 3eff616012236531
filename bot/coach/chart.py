"""The scorecard as a picture: one bar per criterion, coloured by status, Chinese rendered with Noto Sans CJK."""

from __future__ import annotations

import functools
import importlib.util
import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.coach.roleplay import CREDIT, Scorecard
from bot.coach.text import LEVEL_NAMES, OUTCOME_NAMES

COLOURS = {"met": "#2e9d5b", "partly": "#e6a23c", "missed": "#d9534f"}


@dataclass(frozen=True)
class ChartText:
    """The words around the bars, in the reader's language: the faces pass their own (``bot.chat``); the
    defaults are zh-CN. ``level`` and ``outcome`` are the names of this card's level and outcome."""

    met: str = "达成"
    partly: str = "部分"
    missed: str = "未达成"
    axis: str = "得分 / 权重"
    heading: str = "{title}（{level}）"
    total: str = "总分 {total}/100 · {outcome}"
    penalty: str = " · 扣分 {penalty}"
    read: str = "课程已读 %"
    accuracy: str = "测验正确率 %"
    progress: str = "学习进度 · 连续学习 {streak} 天 · 待复习 {due} 题"
    certified: str = " · 已认证"
    level: str | None = None
    outcome: str | None = None
_lock = threading.Lock()  # pyplot's state is global


@functools.cache
def cjk_font() -> Path:
    """Noto Sans CJK SC from the pinned `mplfonts` package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is missing: run `make install`")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise RuntimeError(f"CJK font not found at {path}")
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return path


@contextmanager
def _figure(rows: int, per_row: float):
    """A figure with the CJK font, under the lock pyplot's global state needs; yields (fig, ax, font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(cjk_font()))
    with _lock:
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + per_row * rows), dpi=150)
        try:
            yield fig, ax, font
        finally:
            plt.close(fig)


def _png(fig, ax) -> bytes:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def scorecard_png(card: Scorecard, text: ChartText = ChartText()) -> bytes:
    """One bar per criterion: the weight in grey, what was earned coloured by status."""
    status = {"met": text.met, "partly": text.partly, "missed": text.missed}
    rows = list(reversed(card.criteria))
    with _figure(len(rows), 0.55) as (fig, ax, font):
        y = range(len(rows))
        ax.barh(y, [c.weight for c in rows], color="#eeeeee", height=0.6)
        ax.barh(y, [c.weight * CREDIT[c.status] for c in rows], color=[COLOURS[c.status] for c in rows], height=0.6)
        for i, c in enumerate(rows):
            ax.text(c.weight + 0.6, i, f"{status[c.status]} {c.weight * CREDIT[c.status]:g}/{c.weight}",
                    va="center", fontproperties=font, fontsize=9)
        ax.set_yticks(list(y), [c.title for c in rows], fontproperties=font, fontsize=10)
        ax.set_xlim(0, max(c.weight for c in rows) * 1.45)
        ax.set_xlabel(text.axis, fontproperties=font)
        penalty = sum(m.penalty for m in card.mistakes)
        level = text.level or LEVEL_NAMES.get(card.difficulty, card.difficulty)
        outcome = text.outcome or OUTCOME_NAMES[card.outcome]
        title = (text.heading.format(title=card.title, level=level) + "\n"
                 + text.total.format(total=card.total, outcome=outcome)
                 + (text.penalty.format(penalty=penalty) if penalty else ""))
        ax.set_title(title, fontproperties=font, fontsize=11)
        return _png(fig, ax)


def progress_png(progress, text: ChartText = ChartText()) -> bytes:
    """Per module: lessons read and quiz accuracy, with the streak and certification in the title."""
    mods = list(reversed(progress.modules))
    with _figure(len(mods), 0.6) as (fig, ax, font):
        y = list(range(len(mods)))
        read = [100 * m.read / m.lessons if m.lessons else 0 for m in mods]
        acc = [100 * m.right / m.answered if m.answered else 0 for m in mods]
        ax.barh([i + 0.18 for i in y], read, height=0.34, color="#4a90d9", label=text.read)
        ax.barh([i - 0.18 for i in y], acc, height=0.34, color="#2e9d5b", label=text.accuracy)
        ax.set_yticks(y, [("✓ " if m.done else "") + m.title for m in mods], fontproperties=font, fontsize=10)
        ax.set_xlim(0, 100)
        ax.legend(prop=font, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
        title = text.progress.format(streak=progress.streak, due=progress.due)
        if progress.certified:
            title += text.certified
        ax.set_title(title, fontproperties=font, fontsize=11)
        return _png(fig, ax)
