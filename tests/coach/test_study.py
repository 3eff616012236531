"""Self-study offline with a controllable clock: questions a trainer would sign off, answers typed or tapped,
shuffled options, free text graded by meaning, review scheduling, streaks, the exam, certification."""

import pytest

from bot.coach.freetext import default_grader
from bot.coach.judge import match_form
from bot.coach.self_study import ExamLocked, SelfStudy
from bot.coach.study import (
    Question,
    _pick,
    form_faults,
    generate_questions,
    is_trivia,
    load_articles,
    load_bank,
    load_path,
    quality_report,
    question_bank,
    read_choice,
    streak,
)
from bot.config import PROJECT_ROOT
from bot.store import Store

KNOWLEDGE = PROJECT_ROOT / "knowledge"
DAY = 86400


class Clock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


def test_question_generation_is_deterministic_and_covers_every_module():
    path, articles = load_path(), load_articles(KNOWLEDGE)
    a, b = generate_questions(path, articles), generate_questions(path, articles)
    assert a == b
    assert {q.module for q in a} == {m.id for m in path.modules}
    # "missing" is a template too, but every blank it could make today is given away by its form (the items
    # shown all start with 产品) and so dropped; the rest must each ask something
    assert {"member", "odd", "name", "next", "order"} <= {q.kind for q in a} <= {"member", "odd", "missing", "name",
                                                                                 "next", "order"}
    assert len({q.id for q in a}) == len(a)


def test_every_question_passes_a_trainers_checks():
    """Over every question the generator and the bank can produce: a question stem (never a section heading),
    no option shown in the stem or giving the answer away, wrong options from the list's own family, no
    duplicate options, no trivia. The figures are what `salescoach eval --only quiz` prints."""
    report = quality_report(KNOWLEDGE)
    assert report.faults == {}
    # questions with a tell are dropped, not asked (93 since the second blind review took out the unfair kinds)
    assert report.passed == report.questions >= 90
    path = load_path()
    assert report.articles == sum(len(m.lessons) for m in path.modules)  # every lesson can be examined


def test_a_right_option_that_stands_out_by_its_form_is_a_fault():
    """What a blind reviewer caught: the right option is the only one echoing the stem (产品), the only one
    missing the template the wrong ones share (服务标准要…), or twice as long as the rest."""
    def q(prompt, options, answer, kind="member"):
        return Question("t", kind, "m", "a", prompt, tuple(options), answer, "")

    assert form_faults(q("下面哪一项属于产品方面的功能价值？", ["交货时间", "付款方式", "产品价格", "物流是否流畅"], 2))
    assert form_faults(q("下面哪一项不属于制定服务标准的原则？",
                         ["服务标准要反映客户需求", "服务标准要可以衡量", "找出最重要的因素", "服务标准要保证需求满足"], 2, "odd"))
    assert form_faults(q("客户催货，最好的回答是？",
                         ["我再催一下", "马上就到", "车牌苏E5K723，司机电话1391234，昨晚八点发车，预计今天下午三点前到", "晚一点也正常"], 2,
                         "choice"))
    assert form_faults(q("问候之后下一步是？", ["先道歉", "复述确认", "承诺时限", "致谢"], 0, "next"))
    assert not form_faults(q("下面哪一项属于产品方面的功能价值？", ["交货时间", "包装成本", "付款方式", "投诉处理的速度"], 1))
    # and the generator asks none of them
    assert not [x.id for x in question_bank(KNOWLEDGE) if form_faults(x)]


def test_the_issues_bad_questions_are_gone():
    qs = question_bank(KNOWLEDGE)
    prompts = "\n".join(q.prompt for q in qs)
    assert "客户价值观念的由来：从波特的竞争优势说起" not in prompts  # a heading as the stem
    assert "（共 " not in prompts
    options = [o for q in qs for o in q.options]
    assert not [o for o in options if is_trivia(o)]
    assert "端起酒杯" not in options
    assert "普通互联网" not in options
    for q in qs:
        if q.kind == "missing":  # the blank's list: no option repeats an item the stem shows
            assert not set(q.options) & set(q.shown), q.id
    assert is_trivia('"您好。"')
    assert is_trivia("美国的一份商业研究报告显示")
    assert is_trivia("《一对一企业》")
    assert not is_trivia("先道歉")


def test_homophones_are_put_back_only_onto_the_questions_own_wordings():
    from bot.coach.freetext import repair_homophones

    words = ["司机", "预计", "被动型", "能动型", "负责型"]
    assert repair_homophones("斯机电话遇计到达", words) == "司机电话预计到达"
    assert repair_homophones("负则型", words) == "负责型"
    assert repair_homophones("被动型和能动型", words) == "被动型和能动型"  # one word is never turned into another
    assert repair_homophones("思急", words) == "思急"  # no character of the word: a different word, left alone


def test_the_second_reviewers_unfair_questions_are_gone():
    """A second blind review: a wrong option that names the other list (产品 in a question on service value), a
    list whose order is arbitrary asked in order, purposes against strategies that serve them, a confuser left
    out for options of another form (频繁营销规划 is the only 「…规划」)."""
    qs = question_bank(KNOWLEDGE)
    for q in qs:
        if q.kind in ("member", "odd") and "服务方面的功能价值" in q.prompt:
            wrong = [o for i, o in enumerate(q.options) if i != q.answer] if q.kind == "member" else [q.options[q.answer]]
            assert not [o for o in wrong if "产品" in o], (q.prompt, q.options)
    sources = {q.source for q in qs if q.kind in ("next", "order")}
    assert ("old-customers-leaky-bucket", "吸引新客户的成本是保持老客户的5倍") not in sources
    assert not [q for q in qs if q.kind in ("member", "odd") and "顾客关系营销" in q.prompt]
    assert set(_pick("q", ["付款方式", "俱乐部营销规划", "交货时间", "顾客化营销规划"], 2, ["频繁营销规划"],
                     like="频繁营销规划")) == {"俱乐部营销规划", "顾客化营销规划"}


def test_every_generated_question_is_answerable_from_the_article_it_cites():
    articles = load_articles(KNOWLEDGE)
    grader = default_grader()
    for q in question_bank(KNOWLEDGE):
        assert q.article in articles, q.id
        text = match_form(articles[q.article].text)
        if q.kind == "free":
            assert grader.grade(q.free, q.free.reference).grade == "right", q.id  # the reference answer passes
            continue
        assert len(set(q.options)) == len(q.options) >= 3, q.id
        if q.id.startswith("bank:"):
            continue  # hand-written best replies: checked by a trainer, cited article exists
        right = q.options[q.answer]
        parts = right.split(" → ") if q.kind == "order" else [right]
        positions = [text.find(match_form(p)) for p in parts]
        assert all(p >= 0 for p in positions), (q.id, right)
        assert positions == sorted(positions), q.id  # steps appear in that order


def test_bank_questions_cite_articles_on_the_path():
    path = load_path()
    on_path = {a for m in path.modules for a in m.lessons}
    assert all(q.article in on_path for q in load_bank(path))


def test_streak_counts_consecutive_days():
    days = {"2026-11-20", "2026-11-21", "2026-11-22", "2026-11-10"}
    assert streak(days, "2026-11-22") == 3
    assert streak(days, "2026-11-23") == 3  # today not studied yet: yesterday's streak holds
    assert streak(days, "2026-11-24") == 0


@pytest.fixture
def study(tmp_path):
    clock = Clock()
    return SelfStudy(Store(tmp_path / "s.sqlite", clock=clock), KNOWLEDGE, clock=clock), clock


def test_lessons_follow_the_path_and_resume(study):
    s, _ = study
    first = s.lesson(1)
    assert first.module == "value"
    assert first.article.id == "why-customer-value"
    assert len(first.text) <= 700
    nxt = s.lesson(1, *first.next)
    assert nxt.screen == 1 or nxt.article.id != first.article.id
    assert s.lesson(1).article.id == nxt.article.id  # /learn resumes where the learner left off


def test_wrong_answers_come_back_for_review_and_right_ones_later(study):
    s, clock = study
    q = s.quiz(1)
    wrong = (q.answer + 1) % len(q.options)
    fb = s.answer(1, q.id, wrong)
    assert not fb.correct
    assert fb.right_answer == q.options[q.answer]
    assert s.due(1) == []
    clock.advance(15 * 60)
    assert [x.id for x in s.due(1)] == [q.id]  # relearning: back within minutes
    s.answer(1, q.id, q.answer, context="review")
    q2 = s.quiz(1)
    s.answer(1, q2.id, q2.answer)
    clock.advance(DAY / 2)
    assert q2.id not in [x.id for x in s.due(1)]
    assert s.quiz(1).id not in (q2.id,)  # a question answered right is not asked again first


def test_free_text_is_graded_by_meaning_with_partial_credit(study):
    s, clock = study
    s.set_pending(1, "bank:free-five-facts")
    assert s.pending(1) == "bank:free-five-facts"
    clock.advance(31 * 60)
    assert s.pending(1) is None  # an unanswered question does not swallow tomorrow's real question
    q = s.questions["bank:free-five-facts"]
    fb = s.answer(1, q.id, "告诉客户马上就到")
    assert (fb.grade, fb.correct) == ("wrong", False)
    assert "车号" in fb.reason  # the reason names what is missing
    assert s.answer(1, q.id, "规格和数量、发货时间、车牌号、司机的电话、预计到达时间").correct
    fb = s.answer(1, q.id, "车牌号和司机电话")
    assert fb.grade == "partly"
    assert "还差" in fb.reason
    assert "发货时间" in fb.reason
    # The issue's paraphrase: other words, the same meaning.
    assert s.answer(1, "bank:free-delivered-value", "客户得到的全部好处，减掉他付出的所有代价").grade == "right"
    assert s.answer(1, "bank:free-delivered-value", "我们让利给客户的那部分钱，就是折扣").grade == "wrong"


@pytest.mark.parametrize(("qid", "text", "grade", "says"), [
    # traditional script is folded to simplified
    ("free-satisfaction", "客戶覺得實際拿到的東西達到了他心裡的預期", "right", "说到了要点"),
    ("free-satisfaction", "客户没有投诉就说明他满意了", "wrong", "没有投诉就是满意"),
    # what to say: the sales-move recogniser reads the apology, the ownership and the blame-shift
    ("free-apology", "韩总，延误的事实在对不起，是我们没做好，下周我当面给您赔个不是，以后每批货都提前告诉您。",
     "right", "正式道歉"),
    ("free-apology", "李总，实在抱歉，这次主要是物流公司那边出了问题，路上又下大雨。", "wrong", "推给"),
    ("free-price-objection", "先别急着降价，问清楚别家报的是什么规格，再把我们的质量和售后讲清楚，帮他算总账。",
     "right", "说到了要点"),
    ("free-price-objection", "那就直接给他降价，跟别家一个价，先把单拿下", "wrong", "降价"),
    ("free-complaint-call", "先问好，再道歉，记录下来，复述确认，说明转到处理中心，承诺几小时内回电，请他补充，最后致谢。",
     "right", "说到了要点"),
    ("free-complaint-call", "先道歉，再把问题记下来", "partly", "还差"),
    ("free-leaky-bucket", "说的是水桶要经常换新的", "wrong", "没有说到要点"),
    # a mistake only the recogniser reads must be clear: 0.53 blame_outside on a plain apology is not one
    ("free-apology", "刘总，货物延误实在抱歉，下次会注意的。", "partly", "说到了正式道歉"),
    # advising against a mistake is not making it, in English too
    ("free-price-objection", "Don't just drop the price. Explain the value we add - brand, quality, service - and "
     "work out the total cost with them.", "right", "说到了要点"),
    # English answers are read against English reference wordings
    ("free-complaint-call", "Greet them, apologise first, read the complaint back to check it, tell them it has gone to "
     "the complaint handling centre, promise a call back within a few hours, invite them to add anything, thank them.",
     "right", "说到了要点"),
    # a clause that says a mistake earns no point for the terms it reuses
    ("free-delivered-value", "顾客总成本减去顾客总价值", "wrong", "减反了"),
    ("free-leaky-bucket", "老客户走了没关系，多开发新客户就能补回来", "wrong", "没关系"),
    # the problem named, the lesson turned round: find new customers faster
    ("free-leaky-bucket", "漏桶就是老客戶一直流失，所以要加大力度開發新客戶把桶灌滿", "wrong", "多开发新客户"),
    # four of five defences in a numbered list, the fifth a gift: most of it is there, beside a mistake
    ("free-churn-defences", "1.顾问式销售 2.做品牌 3.打响品牌 4.大客户服务标准 5.定期请客送礼维护关系", "partly", "送礼"),
    # a character the input method picked for its sound is no missing point (斯机 司机, 遇计 预计)
    ("free-five-facts", "规格数量，发货时间，车号，斯机电话，遇计到达时间", "right", "说到了要点"),
])
def test_free_text_verdicts_and_reasons(qid, text, grade, says):
    q = {q.id: q for q in question_bank(KNOWLEDGE)}[f"bank:{qid}"]
    verdict = default_grader().grade(q.free, text)
    assert verdict.grade == grade, verdict.reason
    assert says in verdict.reason


def test_free_text_reason_names_found_and_missing_in_the_readers_language():
    from bot.chat.study_views import feedback_text
    from bot.coach.self_study import Feedback

    q = {q.id: q for q in question_bank(KNOWLEDGE)}["bank:free-five-facts"]
    v = default_grader().grade(q.free, "车牌号和司机电话")
    assert v.grade == "partly"
    assert v.reason.startswith("说到了车号、司机的联系电话；还差：")
    assert v.reason_en.startswith("You said: truck plate number; the driver's phone number. Still missing: ")
    assert "dispatch time" in v.reason_en
    fb = Feedback(q, False, "", "发货五项", v.grade, v.reason, "", v.reason_en)
    english = feedback_text(fb, "en")
    assert english.startswith("🟡 Partly right.\nYou said: truck plate number")
    assert "还差" not in english
    assert v.reason in feedback_text(fb, "zh-CN")
    assert v.reason in feedback_text(fb, "zh-TW")  # the faces put it in traditional script
    mistake = default_grader().grade(q.free, "")
    assert (mistake.reason, mistake.reason_en) == ("没有写出答案。", "No answer written.")


def test_new_free_questions_are_in_the_bank_as_written():
    qs = {q.id: q for q in question_bank(KNOWLEDGE)}
    expected = {
        "free-churn-defences": ("key-account-churn-five-defences", "防止大客户流失，有哪几道防线？说出你记得的。"),
        "free-five-needs": ("five-types-of-customer-needs", "客户的需要可以分成哪五种？各用几个字说明。"),
        "free-complaint-call": ("complaint-call-script", "接到客户的投诉电话，规范的处理顺序是怎样的？"),
        "free-consultative": ("consultative-vs-relationship-selling", "顾问式销售和关系型销售最大的区别是什么？"),
        "free-retention-why": ("customer-retention-lifetime-value", "为什么说留住一个老客户往往比开发一个新客户更划算？"),
        "free-satisfaction": ("customer-satisfaction-definition", "什么是顾客满意？用你自己的话说。"),
        "free-price-objection": ("delivered-value-price-example", "客户说\"你们比别家贵\"，你该怎么回应？说说思路。"),
        "free-leaky-bucket": ("old-customers-leaky-bucket", "\"漏桶\"说的是什么问题？对销售有什么提醒？"),
    }
    for qid, (article, prompt) in expected.items():
        q = qs[f"bank:{qid}"]
        assert (q.kind, q.article, q.prompt) == ("free", article, prompt)
        assert q.free.reference
        assert q.free.items


@pytest.mark.parametrize(("typed", "shown"), [
    ("B", 1), ("b", 1), ("选C", 2), ("c.", 2), ("（D）", 3), ("答案是A", 0), ("Ｂ", 1),  # full width
    ("能动型", 3), ("能动", 3), ("伙伴型", None), ("E", None), ("客户一直催货怎么办？", None),
])
def test_answers_typed_as_letters_or_words(typed, shown):
    assert read_choice(typed, ["基本型", "被动型", "负责型", "能动型"]) == shown


def test_options_are_shuffled_on_every_showing_and_letters_follow_the_screen(study):
    s, clock = study
    q = next(q for q in s.questions.values() if q.is_choice and len(q.options) == 4)
    orders = [s.show(1, q.id).order for _ in range(6)]
    assert all(a != b for a, b in zip(orders, orders[1:], strict=False))  # never the same order twice running
    shown = s.show(1, q.id)
    letter = "ABCD"[shown.order.index(q.answer)]
    typed = s.typed(1, f"选{letter}")
    assert typed.answer == q.answer  # the letter means what the screen showed
    fb = s.answer(1, q.id, typed.answer)
    assert fb.correct
    assert fb.right_letter == letter
    # Review shows it again in another order.
    wrong = (q.answer + 1) % 4
    s.answer(1, q.id, wrong)
    clock.advance(11 * 60)
    assert q.id in [x.id for x in s.due(1)]
    again = s.show(1, q.id, "review")
    assert again.order != shown.order
    assert s.typed(1, again.options[0]).answer == again.order[0]  # the option's words work too


def test_progress_and_streak(study):
    s, clock = study
    for _ in range(3):
        s.lesson(1)
        clock.advance(DAY)
    p = s.progress(1)
    assert p.streak == 3  # today not studied yet: the streak up to yesterday holds
    s.lesson(1)
    assert s.progress(1).streak == 4
    assert p.modules[0].title == "客户价值与满意度"


def test_exam_draws_one_question_per_article_and_none_met_in_quizzes(study):
    s, _ = study
    met = set()
    for _ in range(15):  # a keen learner: 15 quiz questions answered first, all in the first module
        q = s.quiz(1)
        s.answer(1, q.id, q.answer if q.is_choice else "不知道")
        met.add(q.id)
    _, questions = s.exam_start(1)
    assert len(questions) == s.path.exam.questions
    assert len({q.article for q in questions}) == len(questions)
    assert not met & {q.id for q in questions}
    assert all(q.is_choice for q in questions)
    assert {q.module for q in questions} == {m.id for m in s.path.modules}


def test_exam_result_lists_each_wrong_answer_with_the_right_one_and_its_article(study):
    s, _ = study
    attempt, questions = s.exam_start(1)
    for i, q in enumerate(questions):
        s.exam_answer(1, attempt, i, q.answer if i % 2 else (q.answer + 1) % len(q.options))
    result = s.exam_finish(1, attempt)
    assert result.right == len(questions) // 2
    assert [m.question.id for m in result.mistakes] == [q.id for q in questions[::2]]
    first = result.mistakes[0]
    q = questions[0]
    assert first.given == q.options[(q.answer + 1) % len(q.options)]
    assert first.right == q.options[q.answer]
    assert first.article_title == s.articles[q.article].title


def _take_exam(s, user, right_share):
    attempt, questions = s.exam_start(user)
    n_right = round(len(questions) * right_share)
    for i, q in enumerate(questions):
        s.exam_answer(user, attempt, i, q.answer if i < n_right else (q.answer + 1) % len(q.options))
    return s.exam_finish(user, attempt)


def test_exam_pass_mark_attempts_cooldown_and_time_limit(study):
    s, clock = study
    rules = s.path.exam
    result = _take_exam(s, 1, 0.5)
    assert not result.passed
    assert result.total == rules.questions
    with pytest.raises(ExamLocked) as locked:
        s.exam_start(1)
    assert locked.value.reason == "cooldown"
    clock.advance(rules.cooldown_hours * 3600 + 1)
    attempt, questions = s.exam_start(1)
    clock.advance(rules.minutes * 60 + 1)  # too slow: the attempt is over
    assert s.exam_answer(1, attempt, 0, questions[0].answer) is None
    assert s.exam_finish(1, attempt).late
    clock.advance(rules.cooldown_hours * 3600 + 1)
    assert _take_exam(s, 1, 0.9).passed
    with pytest.raises(ExamLocked):
        s.exam_start(1)  # passed: no more attempts needed
    # Another learner runs out of attempts.
    for _ in range(rules.max_attempts):
        _take_exam(s, 2, 0.1)
        clock.advance(rules.cooldown_hours * 3600 + 1)
    with pytest.raises(ExamLocked) as locked:
        s.exam_start(2)
    assert locked.value.reason == "attempts"


def test_certification_needs_the_exam_and_the_four_role_plays(study):
    s, _ = study
    assert _take_exam(s, 1, 1.0).passed
    assert s.certification_gaps(1) == s.path.exam.roleplays
    assert not s.try_certify(1)
    for scenario in s.path.exam.roleplays:
        sid = s.store.start_roleplay(1, 1, scenario, "normal", {"transcript": []})
        s.store.end_roleplay(sid, {"transcript": []}, 75, "won", {})
    assert s.try_certify(1)
    assert s.progress(1).certified


def test_free_text_eval_reads_any_answer_file(tmp_path):
    """A file shaped like the blind set: ids with or without the bank: prefix, an unknown id reported, not fatal."""
    from bot.tools.eval_coach import freetext_agreement

    path = tmp_path / "someone.yaml"
    path.write_text("""
author: a trainer
answers:
  - {question: free-kotler, text: 基本型、被动型、负责型、能动型、伙伴型, verdict: right, why: all five}
  - {question: bank:free-kotler, text: 基本型, verdict: wrong, why: one of five}
  - {question: free-nonesuch, text: 随便, verdict: wrong}
""", encoding="utf-8")
    r = freetext_agreement(path, {q.id: q for q in question_bank(KNOWLEDGE)}, default_grader())
    assert (r.author, r.total, r.agree) == ("a trainer", 2, 1)
    assert r.per_verdict == {"right": [1, 1], "wrong": [1, 0]}
    assert r.unknown == ["free-nonesuch"]
    [(qid, text, trainer, got, reason)] = r.disagreements
    assert (qid, trainer, got) == ("bank:free-kotler", "wrong", "partly")
    assert "还差" in reason


@pytest.mark.parametrize("blind", ["freetext-blind2", "freetext-blind3", "freetext-blind5"])
def test_free_text_eval_prints_a_dev_files_disagreements_and_never_a_blind_ones(tmp_path, blind):
    import io

    from rich.console import Console

    from bot.config import Settings
    from bot.tools.eval_coach import run_freetext_eval

    answer = "  - {question: free-kotler, text: %s, verdict: wrong, why: one of five}\n"
    (tmp_path / "freetext-dev9.yaml").write_text("author: me\nanswers:\n" + answer % "基本型 mine", encoding="utf-8")
    (tmp_path / f"{blind}.yaml").write_text("author: them\nanswers:\n" + answer % "基本型 theirs", encoding="utf-8")
    out = io.StringIO()
    results = run_freetext_eval(Settings(), Console(file=out, width=200), tmp_path)
    assert {r.name: (r.agree, r.total) for r in results} == {"freetext-dev9": (0, 1), blind: (0, 1)}
    printed = out.getvalue()
    assert f"{blind}: 0/1 agree" in printed
    assert "基本型 mine" in printed  # the dev file's disagreement, to study
    assert "theirs" not in printed  # the blind file's, never
