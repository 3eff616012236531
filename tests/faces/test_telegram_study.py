"""Self-study through the real Application and the fake Bot API: from /learn to a passed exam, with a restart."""

import pytest

from bot.tools.fakeapi import button, message

from .helpers import GameRunning

UID = 42


@pytest.fixture
async def running(face_settings):
    r = await GameRunning(face_settings(telegram_token="123:ABC")).start()
    yield r
    await r.stop()


def keyboard(params):
    return [(b["text"], b["callback_data"]) for row in params["reply_markup"]["inline_keyboard"] for b in row]


async def test_learn_quiz_review_progress_exam_and_certificate(running):
    api = running.api
    await running.send(message(running.bot, "/learn"))
    lesson = api.sent()[-1]
    assert lesson["text"].startswith("📖 客户价值与满意度 ·《")
    buttons = dict(keyboard(lesson))
    await running.send(button(running.bot, buttons["下一页 ▶"] if "下一页 ▶" in buttons else buttons["下一课 ▶"]))
    assert api.sent()[-1]["text"].startswith("📖 客户价值与满意度")

    await running.send(button(running.bot, buttons["📝 考考我"]))
    question = api.sent()[-1]
    assert question["text"].startswith("📝 小测验")
    assert [t for t, _ in keyboard(question)][:2] == ["A", "B"]
    study = running.services.study
    data = keyboard(question)[0][1]
    q = study.by_key[data.split(":")[2]]
    wrong = next(d for t, d in keyboard(question) if not d.endswith(f":{q.answer}"))
    await running.send(button(running.bot, wrong))
    feedback = api.texts()[-1]
    assert feedback.startswith("❌ 正确答案是")
    assert f"依据：《{study.articles[q.article].title}》" in feedback

    await running.restart()  # progress and the review schedule are in the store
    study = running.services.study
    study.clock = lambda: __import__("time").time() + 11 * 60  # eleven minutes later
    await running.send(message(running.bot, "/review"))
    assert api.texts()[-1].startswith("🔁 复习（还有 1 题到期）")
    assert q.prompt in api.texts()[-1]

    await running.send(message(running.bot, "/progress"))
    progress = api.texts()[-1]
    assert "📈 学习进度" in progress
    assert "🔥 连续学习 1 天 · 🔁 待复习 1 题" in progress
    assert "🎓 认证还差：考试" in progress
    assert api.sent("sendPhoto")[-1]["caption"] == "学习进度图"

    # Role-plays passed earlier (played end to end in test_telegram_roleplay): four scores of 80.
    for scenario in study.path.exam.roleplays:
        sid = running.services.store.start_roleplay(UID, UID, scenario, "normal", {"transcript": []})
        running.services.store.end_roleplay(sid, {"transcript": []}, 80, "won", {})

    await running.send(message(running.bot, "/exam"))
    await running.send(button(running.bot, keyboard(api.sent()[-1])[0][1]))
    for i in range(study.path.exam.questions):
        shown = api.sent()[-1]
        assert shown["text"].startswith(f"📝 考试 第 {i + 1}/{study.path.exam.questions} 题")
        attempt = int(keyboard(shown)[0][1].split(":")[2])
        qid = running.services.store.exam(attempt)["questions"][i]
        if i == 3:
            await running.restart()  # mid-exam: the attempt goes on where it was
            study = running.services.study
            await running.send(message(running.bot, "/exam"))
            await running.send(button(running.bot, keyboard(api.sent()[-1])[0][1]))
            assert api.sent()[-1]["text"].startswith(f"📝 考试 第 {i + 1}/")
        await running.send(button(running.bot, f"st:e:{attempt}:{i}:{study.questions[qid].answer}"))
    texts = api.texts()
    assert texts[-2].startswith(f"📝 考试结束：{study.path.exam.questions}/{study.path.exam.questions}")
    assert "及格 ✅" in texts[-2]
    assert texts[-1].startswith("🎓 恭喜")
    await running.send(message(running.bot, "/exam"))
    await running.send(button(running.bot, keyboard(api.sent()[-1])[0][1]))
    assert api.texts()[-1] == "你已经通过考试了。发 /progress 看认证还差什么。"


async def test_free_text_question_reminders_and_stale_buttons(running):
    api = running.api
    study = running.services.study
    study.set_pending(UID, "bank:free-kotler")
    await running.send(message(running.bot, "基本型、被动型、负责型、能动型、伙伴型"))
    assert api.texts()[-1].startswith("✅ 答对了！")
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert "来源" in api.texts()[-1]  # no pending question: back to answering questions
    await running.send(button(running.bot, "st:a:deadbeef00:1"))
    assert api.sent("answerCallbackQuery")[-1]["text"].startswith("这个按钮已失效")
    await running.send(message(running.bot, "/remind 25:00"))
    assert api.texts()[-1].startswith("用法：/remind")
    await running.send(message(running.bot, "/remind 08:30"))
    assert api.texts()[-1] == "好的，每天 08:30 提醒你学习。"
    assert running.app.job_queue.get_jobs_by_name(f"remind:{UID}")
    await running.restart()
    assert running.app.job_queue.get_jobs_by_name(f"remind:{UID}")  # restored from the store
    await running.send(message(running.bot, "/remind off"))
    assert not [j for j in running.app.job_queue.get_jobs_by_name(f"remind:{UID}") if not j.removed]


def shown_options(text):
    """The options as the learner sees them: {letter: option text}."""
    return {line[0]: line[3:] for line in text.splitlines() if len(line) > 3 and line[0] in "ABCDEFGH" and line[1:3] == ". "}


def question_on_screen(study, text):
    """The question a message shows (its stem is unique enough) and its options as shown."""
    options = shown_options(text)
    q = next(q for q in study.questions.values() if q.is_choice and q.prompt in text
             and set(options.values()) == set(q.options))
    return q, options


async def test_answers_typed_as_letters_or_words_shuffled_review_and_free_text(running):
    api, study = running.api, running.services.study
    await running.send(message(running.bot, "/quiz"))
    first = api.texts()[-1]
    assert "点按钮，或直接回复字母（如 B）或选项的内容。" in first
    q, options = question_on_screen(study, first)
    letter = next(k for k, v in options.items() if v == q.options[q.answer])
    await running.send(message(running.bot, f"选{letter}"))
    assert api.texts()[-1].startswith("✅ 答对了！")

    await running.send(message(running.bot, "/quiz"))
    q2, options2 = question_on_screen(study, api.texts()[-1])
    await running.send(message(running.bot, "Z"))
    assert api.texts()[-1] == f"没有这个选项：请回复 A–{max(options2)} 中的一个字母，或选项的内容。"
    await running.send(message(running.bot, "客户一直催货怎么办？"))
    assert "来源" in api.texts()[-1]  # not an option: a question for the knowledge base, the quiz still waits
    right = next(k for k, v in options2.items() if v == q2.options[q2.answer])
    wrong = next(k for k in options2 if k != right)
    await running.send(message(running.bot, wrong.lower() + "."))
    assert api.texts()[-1].startswith(f"❌ 正确答案是 {right}. {q2.options[q2.answer]}")  # the letter on screen

    study.clock = lambda: __import__("time").time() + 11 * 60
    await running.send(message(running.bot, "/review"))
    review = api.texts()[-1]
    assert review.startswith("🔁 复习（还有 1 题到期）")
    _, options3 = question_on_screen(study, review)
    assert options3 != options2  # shuffled again
    await running.send(message(running.bot, q2.options[q2.answer]))  # typed as the option's words
    assert api.texts()[-1].startswith("✅ 答对了！")

    study.set_pending(UID, "bank:free-delivered-value")
    await running.send(message(running.bot, "客户得到的全部好处，减掉他付出的所有代价"))
    assert api.texts()[-1].startswith("✅ 答对了！\n说到了要点：")
    study.set_pending(UID, "bank:free-five-facts")
    await running.send(message(running.bot, "車牌號和司機電話"))  # traditional script
    feedback = api.texts()[-1]
    assert feedback.startswith("🟡 部分正确。\n说到了车号、司机的联系电话；还差：")
    assert "预计到达时间" in feedback
    assert "依据：《运输投诉：发货时先告诉客户五个要素》" in feedback


async def test_exam_answered_by_typing_lists_wrong_answers_with_the_right_ones(running):
    api, study = running.api, running.services.study
    await running.send(message(running.bot, "/exam"))
    await running.send(button(running.bot, keyboard(api.sent()[-1])[0][1]))
    n = study.path.exam.questions
    missed = []
    for i in range(n):
        text = api.texts()[-1]
        assert text.startswith(f"📝 考试 第 {i + 1}/{n} 题")
        q, options = question_on_screen(study, text)
        right = next(k for k, v in options.items() if v == q.options[q.answer])
        if i == 0:
            await running.send(message(running.bot, "这题我不会"))
            assert api.texts()[-1].startswith("考试进行中：请回复 A–")  # the exam waits for an option
        if i in (2, 7):
            wrong = next(k for k in options if k != right)
            missed.append((q, options[wrong]))
            await running.send(message(running.bot, f"我选{wrong}"))
        elif i % 2:
            await running.send(message(running.bot, q.options[q.answer]))  # the option's own words
        else:
            await running.send(message(running.bot, right.lower()))
    result, certificate = api.texts()[-2:]
    assert certificate.startswith("离认证还差角色扮演成绩")
    assert result.startswith(f"📝 考试结束：{n - 2}/{n}")
    assert "及格 ✅" in result
    assert "答错的题：" in result
    for q, given in missed:
        assert f"你的答案：{given}；正确答案：{q.options[q.answer]}（《{study.articles[q.article].title}》）" in result
    exam = running.services.store.exams(UID)[-1]
    assert len({study.questions[x].article for x in exam["questions"]}) == n  # one question per article


async def test_a_free_text_question_from_quiz_waits_for_the_typed_answer(running, monkeypatch):
    """/quiz shows a question that wants words, not a letter: the next text is graded as its answer, not
    answered from the knowledge base."""
    api, study = running.api, running.services.study
    free = study.questions["bank:free-kotler"]
    monkeypatch.setattr(study, "quiz", lambda uid, module=None: free)
    await running.send(message(running.bot, "/quiz"))
    shown = api.texts()[-1]
    assert shown.startswith("📝 小测验")
    assert free.prompt in shown
    await running.send(message(running.bot, "基本型、被动型、负责型、能动型、伙伴型"))
    verdict = api.texts()[-1]
    assert verdict.startswith("✅ 答对了！")
    assert "来源" not in verdict
