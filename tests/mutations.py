"""Issue 15's seven mutations, re-checked: each is applied to the working tree, the face tests run, and the
file is restored. Every mutation must be CAUGHT (some test fails). Run from the project root:

    .venv/bin/python -m tests.mutations

It rewrites source files while it runs (each restored in ``finally``): do not edit or commit meanwhile.
About 10 minutes on 2 cores.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MENUS = '''    await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["en"]], language_code="en")
    for lang in (None, "en"):  # groups: zh-CN by default, English for English clients
        await bot.set_my_commands([BotCommand(c, d) for c, d in GROUP_COMMANDS[lang or "zh-CN"]],
                                  scope=BotCommandScopeAllGroupChats(), language_code=lang)
'''
MUTATIONS = [  # (what, file, the code, what it becomes)
    ("answers not HTML-escaped", "bot/telegram/render.py",
     'return BOLD.sub(r"<b>\\1</b>", html.escape(text))', 'return BOLD.sub(r"<b>\\1</b>", text)'),
    ("no English or group command menus", "bot/telegram/basics.py", MENUS, ""),
    ("the right/wrong verdict inverted", "bot/chat/study_views.py", "    elif fb.correct:", "    elif not fb.correct:"),
    ("the quiz question on screen not remembered", "bot/coach/self_study.py",
     '            state["showing"] = {"qid": qid,', '            _forgotten = {"qid": qid,'),
    ("citation titles not HTML-escaped", "bot/telegram/render.py",
     'lines += [f"[{n}] {html.escape(cite(answer.passages[n - 1], lang))}" for n in answer.cited]',
     'lines += [f"[{n}] {cite(answer.passages[n - 1], lang)}" for n in answer.cited]'),
    ("a long message cut inside a tag", "bot/telegram/render.py", "    cut = limit\n    lt, amp", "    return limit\n    lt, amp"),
    ("history timestamps replaced by ??", "bot/chat/i18n.py",
     "    return datetime.fromtimestamp(ts, ZoneInfo(services.settings.timezone)).strftime(fmt)", '    return "??"'),
]
TESTS = ["tests/faces/test_telegram.py", "tests/faces/test_telegram_english.py", "tests/faces/test_telegram_replies.py",
         "tests/faces/test_telegram_study.py", "tests/faces/test_telegram_roleplay.py", "tests/faces/test_chat.py", "tests/coach/test_study.py",
         "tests/faces/test_i18n.py", "tests/faces/test_telegram_hostile.py"]


def main() -> int:
    survived = 0
    for name, file, old, new in MUTATIONS:
        path = ROOT / file
        source = path.read_text(encoding="utf-8")
        if old not in source:
            print(f"{name}: the code to mutate is gone from {file}; update tests/mutations.py")
            survived += 1
            continue
        path.write_text(source.replace(old, new, 1), encoding="utf-8")
        try:
            run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "2", "-p", "no:cacheprovider", *TESTS],
                                 cwd=ROOT, capture_output=True, text=True)
        finally:
            path.write_text(source, encoding="utf-8")
        failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
        print(f"{name}: {'CAUGHT by ' + failed[0][7:] if run.returncode else 'SURVIVED'}", flush=True)
        survived += run.returncode == 0
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
