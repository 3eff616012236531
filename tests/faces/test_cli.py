"""The command line as a user runs it: search --json, ask with citations, ingest reasons, chat."""

import io
import json
import re

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.terminal import TERMINAL_USER, TerminalChat, run_terminal_chat


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("SALESCOACH_LLM_PROVIDER", "none")
    return tmp_path


def test_search_json_prints_one_object_per_query(env):
    queries = env / "q.txt"
    queries.write_text("大客户流失的五道防线\n\n顧客讓渡價值是什麼\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["search", "--queries", str(queries), "--json", "-k", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [obj["query"] for obj in lines] == ["大客户流失的五道防线", "顧客讓渡價值是什麼"]
    for obj in lines:
        assert set(obj) == {"query", "took_ms", "results"}
        assert len(obj["results"]) == 3
        assert set(obj["results"][0]) == {"text", "title", "source", "score"}
    assert "防线" in lines[0]["results"][0]["title"] + lines[0]["results"][0]["text"]
    assert "让渡价值" in lines[1]["results"][0]["title"] + lines[1]["results"][0]["text"]


def test_ask_answers_with_numbered_citations(env):
    result = CliRunner().invoke(app, ["ask", "发货时要告诉客户哪五个要素？"])
    assert result.exit_code == 0, result.output
    assert "[1]" in result.stdout
    assert "来源：" in result.stdout
    for fact in ("产品规格和数量", "发货时间", "车号", "司机的联系电话", "预计到达时间"):
        assert fact in result.stdout
    assert "运输投诉" in result.stdout  # the cited article's title


def test_ingest_into_a_new_kb_reports_each_bad_file_in_one_line(env):
    docs = env / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("拜访客户\n\n面对面的拜访最能建立信任。", encoding="utf-8")
    (docs / "bad.docx").write_bytes(b"not a zip")
    kb = env / "mykb"
    result = CliRunner().invoke(app, ["ingest", str(docs), str(env / "missing.md"), "--kb", str(kb)])
    assert result.exit_code == 2
    assert "bad.docx: not a readable Word document" in result.output
    assert "missing.md: no such file or folder" in result.output
    assert "1 added" in result.output
    again = CliRunner().invoke(app, ["search", "拜访", "--kb", str(kb), "--json"])
    assert json.loads(again.stdout)["results"][0]["source"] == "good.txt"


def test_search_on_a_missing_kb_explains_what_to_do(env):
    result = CliRunner().invoke(app, ["search", "x", "--kb", str(env / "none")])
    assert result.exit_code == 1
    assert "salescoach ingest" in result.output


def test_terminal_chat_answers_and_handles_junk(face_settings):
    stdin = io.StringIO("/help\n客户一直催货怎么办？\n" + "长" * 1200 + "\n/foo\n/quit\n")
    stdout = io.StringIO()
    run_terminal_chat(face_settings(), None, stdin=stdin, stdout=stdout)
    out = stdout.getvalue()
    assert "直接输入问题" in out
    assert "来源：" in out
    assert "[1]" in out
    assert "问题太长了（1200 字）" in out
    assert "不认识的命令 /foo" in out
    assert out.rstrip().endswith("再见！")


def test_terminal_roleplay_shows_rubric_plays_survives_restart_and_scores(face_settings):
    settings = face_settings()
    first = io.StringIO("/roleplay\n/roleplay late-delivery-complaint hard\n/go\n对不起，这次是我们的责任。\n/quit\n")
    out1 = io.StringIO()
    run_terminal_chat(settings, None, stdin=first, stdout=out1)
    text = out1.getvalue()
    assert re.search(r"\[\d\] 第三次延误：大客户来电投诉催货", text)  # a numbered choice (a button in Telegram)
    assert "📋 评分标准（满分 100）" in text
    assert "真诚道歉并承担责任（20 分）" in text
    assert "🧑‍💼 韩立：喂？" in text
    assert text.count("🧑‍💼 韩立：") == 2  # the opening and one reply

    second = io.StringIO("/hint\n车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。\n/end\n/history\n"
                         "客户一直催货怎么办？\n/quit\n")
    out2 = io.StringIO()
    run_terminal_chat(settings, None, stdin=second, stdout=out2)  # a new process: the session is still there
    text = out2.getvalue()
    assert "💡 提示" in text
    assert "总分：55/100" in text
    assert "✅ 达成 真诚道歉并承担责任（20 分）：「对不起，这次是我们的责任。」（第 1 轮）" in text
    assert "评分图：第三次延误" in text
    assert "（已保存：" in text
    chart = next(settings.data_dir.joinpath("charts").glob("roleplay-*.png"))
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert "困难 · 55/100" in text
    assert "来源：" in text  # after the role-play, questions are answered again


def test_terminal_self_study(face_settings):
    settings = face_settings()
    stdin = io.StringIO("/learn\n/quiz\nZ\nA\n/progress\n/exam\n1\nA\n/quit\n")  # 1: the exam's start button
    out = io.StringIO()
    run_terminal_chat(settings, None, stdin=stdin, stdout=out)
    text = out.getvalue()
    assert "📖 " in text
    assert " ·《" in text
    assert "📝 小测验" in text
    assert "没有这个选项：请回复 A–" in text  # a letter it does not have: asked again, nothing lost
    assert ("✅ 答对了！" in text) or ("❌ 正确答案是" in text)
    assert "依据：《" in text
    assert "🔥 连续学习 1 天" in text
    assert "📝 考试 第 1/20 题（剩余 " in text  # with the time left, as in Telegram
    assert "📝 考试 第 2/20 题" in text


def _options(text):
    return {line[0]: line[3:] for line in text.splitlines() if len(line) > 3 and line[0] in "ABCD" and line[1:3] == ". "}


def test_terminal_takes_typed_words_free_text_and_lists_exam_mistakes(face_settings):
    out = io.StringIO()
    chat = TerminalChat(face_settings(), None, out)
    study = chat.study

    def said(line):
        start = len(out.getvalue())
        chat.handle(line)
        return out.getvalue()[start:]

    shown = said("/quiz")
    options = _options(shown)
    q = next(q for q in study.questions.values() if q.is_choice and q.prompt in shown and set(options.values()) == set(q.options))
    assert said(q.options[q.answer]).startswith("✅ 答对了！")  # the answer typed as text, not a letter
    study.set_pending(TERMINAL_USER, "bank:free-kotler")
    verdict = said("基本型、伙伴型，其他的忘了")
    assert verdict.startswith("🟡 部分正确。\n说到了基本型、伙伴型；还差：被动型、负责型、能动型。")
    assert "依据：《科特勒的五种顾客关系水平：从基本型到伙伴型》" in verdict

    assert "[1] " in said("/exam")  # the rules and their start button
    shown = said("1")  # the rules first, then the start button, as in Telegram
    wrong_given = None
    for i in range(study.path.exam.questions):
        assert f"📝 考试 第 {i + 1}/" in shown
        options = _options(shown)
        eq = next(x for x in study.questions.values() if x.is_choice and x.prompt in shown and set(options.values()) == set(x.options))
        right = next(k for k, v in options.items() if v == eq.options[eq.answer])
        if i == 0:
            wrong = next(k for k in options if k != right)
            wrong_given, wrong_q = options[wrong], eq
            shown = said(f"选{wrong}")
        else:
            shown = said(right)
    assert "📝 考试结束：19/20（95%），及格 ✅" in shown
    assert "答错的题：\n1. " in shown
    title = study.articles[wrong_q.article].title
    assert f"你的答案：{wrong_given}；正确答案：{wrong_q.options[wrong_q.answer]}（《{title}》）" in shown
    chat.store.close()


def test_terminal_verdict_says_right_for_the_right_letter_and_wrong_for_another(face_settings):
    out = io.StringIO()
    chat = TerminalChat(face_settings(), None, out)

    def said(line):
        start = len(out.getvalue())
        chat.handle(line)
        return out.getvalue()[start:]

    verdicts = []
    for pick_right in (True, False):
        shown = said("/quiz")
        options = _options(shown)
        q = next(q for q in chat.study.questions.values()
                 if q.is_choice and q.prompt in shown and set(options.values()) == set(q.options))
        right = next(k for k, v in options.items() if v == q.options[q.answer])
        letter = right if pick_right else next(k for k in options if k != right)
        verdicts.append((said(letter), right, q.options[q.answer]))
    (good, _, _), (bad, right, answer) = verdicts
    assert good.startswith("✅ 答对了！")
    assert "❌" not in good
    assert bad.startswith(f"❌ 正确答案是 {right}. {answer}")
    assert "✅" not in bad
    chat.store.close()


def test_terminal_history_shows_when_each_role_play_was_played(face_settings):
    """In the team's timezone (SALESCOACH_TIMEZONE), as the Telegram face shows it, not the server's clock."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    settings = face_settings(timezone="America/Los_Angeles")  # far from the machine's UTC or Shanghai
    out = io.StringIO()
    chat = TerminalChat(settings, None, out)
    for line in ("/roleplay late-delivery-complaint", "/go", "对不起，这次是我们的责任。", "/end", "/history"):
        chat.handle(line)
    [line] = [x for x in out.getvalue().splitlines() if x.startswith("• ") and "《第三次延误" in x]
    stamp = re.match(r"• (\d\d-\d\d \d\d:\d\d) ", line)
    assert stamp, line
    [session] = chat.store.roleplays(TERMINAL_USER)
    assert stamp.group(1) == datetime.fromtimestamp(session.updated, ZoneInfo("America/Los_Angeles")).strftime(
        "%m-%d %H:%M")
    chat.services.close()


def test_the_terminal_in_english_shows_no_chinese_outside_the_content(face_settings):
    """After /lang en, every command of the terminal answers in English; only the content (passages,
    scenarios, questions) is Chinese, as in the Telegram face (tests/faces/test_telegram_english.py)."""
    from .test_telegram_english import chinese_outside_content, content

    out = io.StringIO()
    chat = TerminalChat(face_settings(), None, out)
    for line in ("/lang en", "/help", "/roleplay", "/hint", "/end", "/history",
                 "How do I answer a customer who keeps chasing a late delivery?", "/learn", "1", "/quiz", "Z", "A",
                 "/review", "/progress", "/foo", "/lang xx", "/exam", "1", "Z"):
        chat.handle(line)
    shown = out.getvalue()
    assert "Language set to English." in shown
    assert "\nSources:\n[1] " in shown  # the question was answered, in English around the content
    assert "📈 Progress" in shown
    assert "Unknown command /foo." in shown
    assert "📝 Exam question 1/20 (" in shown
    assert chinese_outside_content(shown.splitlines(), content(chat.services)) == []
    chat.services.close()


def test_retraining_the_point_detector_on_a_bad_corpus_says_which_file_in_one_line(env, tmp_path, monkeypatch):
    from bot.coach import points, pointtrain

    shipped = points.MODEL_FILE.read_bytes()
    monkeypatch.setattr(pointtrain, "CORPUS_DIR", tmp_path)
    empty = CliRunner().invoke(app, ["study", "points"])
    assert empty.exit_code == 1
    assert "no labelled answers (points-train-*.yaml)" in empty.output
    assert "Traceback" not in empty.output
    (tmp_path / "points-train-z.yaml").write_text(
        "author: z\nitems:\n  - {question: free-kotler, text: 基本型, points: [p7]}\n", encoding="utf-8")
    bad = CliRunner().invoke(app, ["study", "points"])
    assert bad.exit_code == 1
    assert "points-train-z.yaml: free-kotler has no p7" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    assert points.MODEL_FILE.read_bytes() == shipped  # nothing trained, nothing written
