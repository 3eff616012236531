"""The conversation layer both faces render (bot.chat): what a user is shown (texts and buttons) for each step
of a role-play and of self-study, the router's verdict on a text, and the one callback encoding."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chat import roleplay, router, study
from bot.chat.i18n import LANGS, t
from bot.chat.reply import (
    MAX_CALLBACK,
    AnswerMore,
    AnswerPassage,
    AnswerRating,
    Caller,
    GameJoin,
    GameLeave,
    GameStart,
    GameVote,
    RpAskParked,
    RpBrief,
    RpContinue,
    RpEnd,
    RpList,
    RpScenario,
    RpSendParked,
    RpStart,
    SetLang,
    Stale,
    StAnswer,
    StExamAnswer,
    StExamStart,
    StLesson,
    StQuiz,
    StReview,
    decode,
    encode,
)
from bot.services import Services

UID = 42
ME = Caller(UID, UID, "zh-CN", name="小王", origin="update:1")
HAN = re.compile(r"[\u4e00-\u9fff]")

EVERY_ACTION = [RpList(), RpScenario("late-delivery-complaint"), RpBrief("price-objection", "hard"),
                RpStart("needs-discovery", "easy"), RpContinue(), RpEnd(), RpSendParked(), RpAskParked(),
                StLesson(), StLesson("kotler-five-levels", 12), StQuiz(), StQuiz("value"), StReview(),
                StAnswer("deadbeef00", 3), StAnswer("deadbeef00", 0, review=True), StExamStart(),
                StExamAnswer(2**63 - 1, 19, 7), GameJoin(7, "A"), GameJoin(2**63 - 1, "B"), GameLeave(7), GameStart(7),
                GameVote(7, True), GameVote(7, False), AnswerPassage(12, 1), AnswerPassage(2**63 - 1, 5), AnswerMore(12),
                AnswerRating(12, 1), AnswerRating(12, -1), SetLang("zh-CN"), SetLang("zh-TW"), SetLang("en")]


@pytest.mark.parametrize("action", EVERY_ACTION, ids=repr)
def test_every_action_survives_its_callback_string(action):
    data = encode(action)
    assert decode(data) == action
    assert len(data.encode()) <= MAX_CALLBACK


@pytest.mark.parametrize("data", [None, "", "rp", "rp:", "rp:s:", "rp:go:late-delivery-complaint:impossible",
                                  "rp:go:x", "rp:end:now", "st:e:1:2", "st:e:-1:0:0", "st:e:1:0:٣",
                                  "st:e:" + "9" * 42 + ":0:0", "st:a:k:1001", "st:l:x:99999", "st:x:1", "zz:1",
                                  "g:", "g:1", "g:x:leave", "g:-1:leave", "g:1:join:C", "g:1:join", "g:1:vote:2",
                                  "g:1:vote", "g:1:leave:x", "g:1:start:now", "g:1:nope",
                                  "p:", "p:1", "p:x:1", "p:1:x", "p:1:1:1", "m:", "m:1:2", "r:1", "r:1:0", "r:1:2",
                                  "r:1:+1", "lang:", "lang:xx", "lang:en:x", "lang:EN"])
def test_anything_else_is_stale_and_never_raises(data):
    assert isinstance(decode(data), Stale)


def test_old_suggested_practice_buttons_still_open_the_brief():
    assert decode("rp:next:price-objection:hard") == RpBrief("price-objection", "hard")


class Clock:
    def __init__(self) -> None:
        self.t = 1_750_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def services(face_settings, clock):
    s = Services.open(face_settings(timezone="America/New_York"), clock=clock)
    yield s
    s.close()


def labels(reply):
    return [b.label for row in reply.buttons for b in row]


def texts(outcome):
    return [r.text for r in outcome.replies]


# --------------------------------------------------------------------------- role-play
def test_roleplay_from_the_list_to_the_scorecard(services, clock):
    [listing] = roleplay.menu(services, ME).replies
    assert listing.text.startswith("🎭 选择一个练习场景")
    assert "第三次延误：大客户来电投诉催货" in labels(listing)
    assert RpScenario("late-delivery-complaint") in listing.actions

    [levels] = roleplay.press(services, ME, RpScenario("late-delivery-complaint")).replies
    assert levels.edit  # replaces the list in Telegram
    assert levels.text.startswith("《第三次延误")
    assert levels.text.endswith("选择难度：")
    assert labels(levels) == ["简单", "普通", "困难", "↩ 换一个场景"]

    [brief] = roleplay.press(services, ME, RpBrief("late-delivery-complaint", "hard")).replies
    assert "真诚道歉并承担责任（20 分）" in brief.text
    assert brief.actions == [RpStart("late-delivery-complaint", "hard"), RpList()]

    started = roleplay.press(services, ME, RpStart("late-delivery-complaint", "hard"))
    assert texts(started)[0].startswith("练习开始。")
    assert texts(started)[1].startswith("🧑‍💼 韩立：喂？")
    [busy] = roleplay.press(services, ME, RpStart("price-objection", "easy")).replies
    assert busy.alert
    assert busy.text == "先结束当前的练习（/end），再开始新的。"

    [line] = router.route(services, ME, "韩经理，真对不起，这次延误是我们的责任。").replies
    assert line.text.startswith("🧑‍💼 韩立：")
    [tip] = roleplay.hint(services, ME).replies
    assert tip.text.startswith("💡 提示")
    assert "**依据**：《" in tip.text  # bold marked for the faces to render
    assert ".txt" not in tip.text  # cited by title, never by the seed files the article was written from

    clock.t += 60
    ended = roleplay.end(services, ME)
    card, chart = ended.replies
    assert "总分：" in card.text
    assert "✅ 达成 真诚道歉并承担责任（20 分）" in card.text
    assert "📚 建议阅读：\n[1] 《" in card.text
    assert ".txt" not in card.text
    assert card.part == "card"
    assert card.actions
    assert isinstance(card.actions[0], RpBrief)
    assert chart.image.startswith(b"\x89PNG")
    assert chart.text.startswith("评分图：第三次延误")
    assert chart.image_name.startswith("roleplay-")

    [history] = roleplay.history(services, ME).replies
    [row] = history.text.splitlines()[1:]
    # In the team's timezone (America/New_York here), whatever the machine's clock says.
    stamp = datetime.fromtimestamp(clock.t, ZoneInfo("America/New_York")).strftime("%m-%d %H:%M")
    assert row.startswith(f"• {stamp} 《第三次延误：大客户来电投诉催货》困难 · ")


def test_roleplay_refusals(services):
    assert texts(roleplay.hint(services, ME)) == ["现在没有进行中的练习。发 /roleplay 开始一个。"]
    assert texts(roleplay.end(services, ME)) == ["现在没有进行中的练习。发 /roleplay 开始一个。"]
    assert texts(roleplay.history(services, ME)) == ["你还没有完成过练习。发 /roleplay 开始。"]
    [gone] = roleplay.press(services, ME, RpScenario("no-such-scenario")).replies
    assert gone.alert
    assert gone.text == "这个按钮已失效，请重新提问。"
    [cont] = roleplay.press(services, ME, RpContinue()).replies
    assert cont.alert
    assert cont.text.startswith("现在没有进行中的练习")
    assert texts(roleplay.menu(services, ME, ["9", "hard"]))[0].startswith("没有这个场景或难度：9 hard")
    [brief] = roleplay.menu(services, ME, ["late-delivery-complaint"]).replies  # typed: level normal
    assert brief.actions[0] == RpStart("late-delivery-complaint", "normal")

    roleplay.press(services, ME, RpStart("late-delivery-complaint", "normal"))
    [long] = router.route(services, ME, "好" * 700).replies
    assert long.text == "这句话太长了（700 字）。对话里一次说一段，600 字以内。"
    [status] = roleplay.menu(services, ME).replies
    assert status.text.startswith("你有一个进行中的练习：《第三次延误")
    assert status.actions == [RpContinue(), RpEnd()]
    [again] = roleplay.press(services, ME, RpContinue()).replies
    assert again.text.startswith("🧑‍💼 韩立：喂？")  # the customer's last line, again


def test_a_text_hours_later_is_parked_until_the_rep_says_where_it_goes(services, clock):
    roleplay.press(services, ME, RpStart("late-delivery-complaint", "normal"))
    clock.t += 7 * 3600
    [parked] = router.route(services, ME, "客户一直催货怎么办？").replies
    assert parked.text == "你有一个 7 小时前的练习《第三次延误：大客户来电投诉催货》还没结束。刚才这句话是说给客户的吗？"
    assert parked.actions == [RpSendParked(), RpAskParked(), RpEnd()]
    asked = roleplay.press(services, ME, RpAskParked())
    assert asked.question == "客户一直催货怎么办？"
    assert asked.replies == []
    [twice] = roleplay.press(services, ME, RpAskParked()).replies
    assert twice.alert
    assert twice.text == "这个按钮已失效，请重新提问。"

    clock.t += 7 * 3600
    router.route(services, ME, "韩经理，对不起，是我们的责任。")
    [line] = roleplay.press(services, ME, RpSendParked()).replies
    assert line.text.startswith("🧑‍💼 韩立：")
    [session] = services.store.roleplays(UID, status="active")
    assert session.state["transcript"][1] == {"role": "rep", "text": "韩经理，对不起，是我们的责任。"}


def test_the_customer_leaving_ends_with_the_line_the_notice_and_the_card_then_questions_again(services, clock):
    roleplay.press(services, ME, RpStart("late-delivery-complaint", "hard"))
    ended = router.route(services, ME, "您别激动，这真不是我们的问题，是物流公司的问题。")
    line, over, card, chart = ended.replies
    assert "远东板材" in line.text
    assert over.text == "🏁 这次练习结束了：客户离开了。评分在下面；再练一次发 /roleplay。"
    assert "结果：客户离开了" in card.text
    assert chart.image is not None
    assert [r.part for r in ended.replies] == [None, "line", "card", "chart"]

    # A crash after the card went out: the same request, run again, shows only the chart.
    for part in ("line", "card"):
        ended.delivered(part)
    rerun = router.route(services, Caller(UID, UID, "zh-CN", origin="update:1", replayed=True), "随便")
    assert [r.part for r in rerun.replies] == ["chart"]
    assert rerun.question is None

    clock.t += 60
    after = router.route(services, ME, "韩经理，您听我解释一下")
    assert texts(after)[0].startswith("（《第三次延误：大客户来电投诉催货》的练习已经结束，客户听不到了。")
    assert after.question == "韩经理，您听我解释一下"
    again = router.route(services, ME, "客户一直催货怎么办？")
    assert again.replies == []
    assert again.question == "客户一直催货怎么办？"


# --------------------------------------------------------------------------- self-study
def _right_and_wrong(services, reply):
    """The question a reply shows (the one on the learner's screen), its right option's action and a wrong one's."""
    q = services.study.showing(UID).question
    assert q.prompt in reply.text
    right = next(a for a in reply.actions if a.option == q.answer)
    wrong = next(a for a in reply.actions if a.option != q.answer)
    return q, right, wrong


def test_a_quiz_question_answered_by_button_letter_or_words(services):
    [shown] = study.ask(services, ME).replies
    assert shown.text.startswith("📝 小测验")
    assert labels(shown)[:2] == ["A", "B"]
    q, right, wrong = _right_and_wrong(services, shown)
    [verdict] = study.press(services, ME, right).replies
    assert verdict.text.startswith("✅ 答对了！")
    assert f"依据：《{services.study.articles[q.article].title}》" in verdict.text
    assert verdict.actions == [StQuiz(q.module), StLesson()]
    [verdict] = study.press(services, ME, wrong).replies
    assert verdict.text.startswith("❌ 正确答案是")

    [shown] = study.ask(services, ME).replies
    q, right, _ = _right_and_wrong(services, shown)
    letter = "ABCDEFGH"[[a.option for a in shown.actions].index(right.option)]
    assert texts(router.route(services, ME, "Z"))[0].startswith("没有这个选项：请回复 A–")  # asked again
    [verdict] = router.route(services, ME, f"选{letter}").replies
    assert verdict.text.startswith("✅ 答对了！")
    assert router.route(services, ME, "客户一直催货怎么办？").question == "客户一直催货怎么办？"  # nothing waits


def test_a_free_text_answer_waits_in_the_store_not_in_a_face(face_settings, clock):
    settings = face_settings()
    first = Services.open(settings, clock=clock)
    first.study.set_pending(UID, "bank:free-kotler")
    first.close()
    again = Services.open(settings, clock=clock)  # another process, or the other face
    try:
        [verdict] = router.route(again, ME, "基本型、伙伴型，其他的忘了").replies
        assert verdict.text.startswith("🟡 部分正确。\n说到了基本型、伙伴型；还差：被动型、负责型、能动型。")
    finally:
        again.close()


def test_stale_study_buttons_say_so_in_the_studys_words(services):
    for action in (decode("st:a:deadbeef00:1"), StAnswer("deadbeef00", 1), StExamAnswer(999, 0, 0)):
        [stale] = study.press(services, ME, action).replies
        assert stale.alert
        assert stale.text.startswith("这个按钮已失效")
    assert router.press(services, ME, decode("st:zz")).replies[0].text.startswith("这个按钮已失效")


def test_the_exam_shows_its_time_left_on_the_bots_clock(services, clock):
    [rules] = study.exam_rules(services, ME).replies
    assert rules.actions == [StExamStart()]
    [first] = study.press(services, ME, StExamStart()).replies
    assert first.text.startswith("📝 考试 第 1/20 题（剩余 20 分 0 秒）")
    assert all(isinstance(a, StExamAnswer) for a in first.actions)
    clock.t += 5 * 60 + 30
    q, right, _ = _right_and_wrong(services, first)
    [second] = study.press(services, ME, right).replies
    assert second.text.startswith("📝 考试 第 2/20 题（剩余 14 分 30 秒）")


@pytest.mark.parametrize("lang", [x for x in LANGS if x != "zh-CN"])
def test_other_languages_get_the_interface_in_their_own(services, lang):
    me = Caller(UID, UID, lang)
    [listing] = roleplay.menu(services, me).replies
    [none] = roleplay.hint(services, me).replies
    [rules] = study.exam_rules(services, me).replies
    ui = [listing.text, none.text, rules.text, *labels(rules)]
    if lang == "en":
        assert not HAN.search(" ".join(ui + labels(listing)))
    else:
        assert "選擇一個練習場景" in listing.text
        assert "現在沒有進行中的練習" in none.text
    # A brief and a scorecard: the scenario's words are content; the frame around them is the reader's.
    [brief] = roleplay.press(services, me, RpBrief("late-delivery-complaint", "hard")).replies
    roleplay.press(services, me, RpStart("late-delivery-complaint", "hard"))
    card = roleplay.end(services, me).replies[0].text
    frame = {"en": ["📋 Rubric (out of 100):", "Penalties: ", "Rules: you say one thing", " (20 pts)"],
             "zh-TW": ["📋 評分標準（滿分 100）：", "扣分項：", "規則：你說一句"]}[lang]
    assert all(piece in brief.text for piece in frame), brief.text
    assert ("Total: 0/100 · Outcome: you ended the practice" if lang == "en" else "總分：0/100") in card
    assert ("❌ Missed " if lang == "en" else "❌ 未達成 ") in card


def test_charts_speak_the_readers_language(services, monkeypatch):
    """The words drawn around a chart's bars (title, axis, legend, status) are the reader's; only the scenario's
    criteria and the modules' titles are content."""
    from bot.coach import chart

    drawn = []
    real_png = chart._png

    def spy(fig, ax):
        legend = ax.get_legend()
        drawn.append(" ".join([ax.get_title(), ax.get_xlabel(), *(t.get_text() for t in ax.texts),
                               *(t.get_text() for t in (legend.get_texts() if legend else []))]))
        return real_png(fig, ax)

    monkeypatch.setattr(chart, "_png", spy)
    me = Caller(UID, UID, "en")
    roleplay.press(services, me, RpStart("late-delivery-complaint", "hard"))
    roleplay.end(services, me)
    study.progress(services, me)
    scorecard, progress = drawn
    assert "(hard)" in scorecard
    assert "Total 0/100 · you ended the practice" in scorecard
    assert "points / weight" in scorecard
    assert "missed 0/20" in scorecard
    assert not HAN.search(scorecard.replace("第三次延误：大客户来电投诉催货", ""))
    assert "Progress · 0-day streak" in progress
    assert "lessons read %" in progress
    assert "quiz accuracy %" in progress
    assert not HAN.search(progress)


# --------------------------------------------------------------------------- the game's and trainer tools' replies
def test_the_game_lobby_is_a_reply_with_typed_buttons_in_the_trainers_language():
    from bot.chat import game_views
    from bot.coach.game import KeyAccountGame, load_scenes

    scene = next(iter(load_scenes().values()))
    game = KeyAccountGame.new(-100, 1, scene.id, team_size=2)
    game.state["lang"] = "en"
    game.join(5, "Ann", "A")
    lobby = game_views.lobby(9, game, scene, "https://t.me/coachbot?start=game", edit=True)
    assert lobby.edit
    assert "Ann" in lobby.text
    assert lobby.actions == [GameJoin(9, "A"), GameJoin(9, "B"), GameLeave(9), GameStart(9)]
    assert [b.label for b in lobby.buttons[0]] == ["Join Team A (supplier) 1/2", "Join Team B (key account) 0/2"]
    assert lobby.buttons[2][0].url == "https://t.me/coachbot?start=game"
    ui = lobby.text.replace(scene.title, "").replace(scene.summary, "")
    assert not HAN.search(ui + "".join(b.label for row in lobby.buttons for b in row))

    vote = game_views.vote(9, game, None, 3)
    assert vote.actions == [GameVote(9, True), GameVote(9, False)]
    assert not HAN.search(vote.text)
    assert game_views.begin(game, [], "u").buttons == ()
    assert game_views.begin(game, ["Bob"], "u").buttons[0][0].url == "u"


def test_the_leaderboard_ranks_by_the_mean_best_score_and_marks_the_reader():
    from types import SimpleNamespace

    from bot.chat import trainer_views

    def play(scenario, total):
        return SimpleNamespace(scenario=scenario, total=total, card=None)

    results = {1: [play("a", 90), play("a", 50)], 2: [play("a", 70), play("b", 90)], 3: [play("b", 80)], 4: []}
    board = trainer_views.leaderboard([(1, "Ann"), (2, "Bob"), (3, "Cy"), (4, "Di")], results, me=3, lang="en")
    lines = board.text.splitlines()
    assert [line.split()[1].rstrip(":") for line in lines[1:]] == ["Ann", "Bob", "Cy"]  # 90, then 80 over two, then 80 over one
    assert "Di" not in board.text
    assert "you" in lines[3].lower()
    assert trainer_views.leaderboard([(4, "Di")], results, me=4, lang="en").text == t("tr_leaderboard_empty", "en")
