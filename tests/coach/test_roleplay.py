"""The role-play engine offline: scenario files, the judge, the customer's reactions, the Coach service."""

import json
from pathlib import Path

import pytest
import yaml
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from bot.cli import app
from bot.coach.judge import MET, Judge, cue_matches, match_form
from bot.coach.roleplay import RolePlay, suggest_next
from bot.coach.scenario import SCENARIOS_DIR, ScenarioError, load_scenario, load_scenarios, scenario_errors
from bot.coach.service import Coach, NoActiveSession, SessionActive, TurnTooLong
from bot.config import PROJECT_ROOT
from bot.kb.embed import FakeEmbedder
from bot.store import Store
from bot.tools.eval_coach import play

SCENARIO_FILES = sorted(SCENARIOS_DIR.glob("*.yaml"))
KB_IDS = {p.stem for p in (PROJECT_ROOT / "knowledge").glob("*.md")}
REQUIRED = {"late-delivery-complaint", "price-objection", "key-account-retention", "needs-discovery"}


@pytest.fixture(scope="module")
def judge():
    return Judge(FakeEmbedder())


@pytest.fixture(scope="module")
def scenarios():
    return load_scenarios()


def test_the_four_required_scenarios_ship():
    assert {p.stem for p in SCENARIO_FILES} >= REQUIRED
    assert scenario_errors() == {}


def _play_well(scenario, judge, level):
    """A rep who answers the open objection, else shows the next criterion the customer needs to agree, then the
    rest, with the trainer's model sentences."""
    session = RolePlay.begin(scenario, judge, level)
    used: dict[str, int] = {}
    while not session.outcome:
        if session.open_objections:
            objection = next(o for o in scenario.objections if o.id == session.open_objections[0])
            criterion = scenario.criterion(objection.answered_by[0])
        else:
            need = [scenario.criterion(c) for c in scenario.endings.won_requires if not session.met(c)]
            rest = [c for c in scenario.rubric if not session.met(c.id)]
            criterion = (need or rest or scenario.rubric)[0]
        k = used.get(criterion.id, 0)
        used[criterion.id] = k + 1
        session.rep_says(criterion.examples[k % len(criterion.examples)])
    return session.finish()


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_file_is_valid_grounded_and_plays_to_every_end(path, judge):
    scenario = load_scenario(path)
    assert scenario.article_ids() <= KB_IDS, "every criterion rests on articles that exist"
    # The model sentences a trainer wrote are read as the moves they stand for (most of them: the recogniser
    # is a model, and its misses on these are visible here).
    met = [any(judge.judge(scenario, e).criteria.get(c.id) and judge.judge(scenario, e).criteria[c.id].strength >= MET
               for e in c.examples) for c in scenario.rubric]
    assert sum(met) >= len(met) - 1, [c.id for c, ok in zip(scenario.rubric, met, strict=True) if not ok]
    caught = [any(m.id in judge.judge(scenario, e).mistakes for e in m.examples) for m in scenario.mistakes]
    assert sum(caught) >= len(caught) - 1, [m.id for m, ok in zip(scenario.mistakes, caught, strict=True) if not ok]
    for level in ("easy", "normal", "hard"):
        good = _play_well(scenario, judge, level)
        assert good.outcome == "won", (level, good.transcript)
        assert good.total >= 50  # the customer may agree before every criterion was shown
        objections = scenario.difficulties[level].objections
        assert sum(o.says in t["text"] for o in scenario.objections for t in good.transcript) >= min(
            objections, len(scenario.objections)), "every objection the level promises is raised"
        bad = play(scenario, judge, [m.examples[0] for m in scenario.mistakes] * 10, level)
        assert bad.outcome == "lost", (level, bad.transcript)
        assert bad.total <= 10
        idle = play(scenario, judge, ["嗯。"] * 30, level)
        assert idle.outcome == "lost"  # turns that say nothing: pressed, then the customer ends the meeting
        assert len(idle.transcript) <= 2 * 3 + 1
        assert idle.total == 0


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_customer_replies_differ_between_a_good_and_a_bad_conversation(path, judge):
    scenario = load_scenario(path)
    good = RolePlay.begin(scenario, judge)
    bad = RolePlay.begin(scenario, judge)
    good_reply = good.rep_says(scenario.rubric[0].examples[0])
    bad_reply = bad.rep_says(scenario.mistakes[0].examples[0])
    assert good_reply.text != bad_reply.text
    assert good_reply.mood > bad_reply.mood  # a good move softens, a bad one hardens


def test_scoring_is_deterministic(scenarios):
    turns = ["对不起，是我们的责任。", "车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。", "其实是物流的问题。"]
    a = play(scenarios["late-delivery-complaint"], Judge(FakeEmbedder()), turns).to_json()
    b = play(scenarios["late-delivery-complaint"], Judge(FakeEmbedder()), turns).to_json()
    assert a == b
    assert a["total"] == 20 + 20 + 15 - 15  # apology, five facts, time; minus blaming the carrier
    assert {c["id"]: c["status"] for c in a["criteria"]}["five-facts"] == "met"
    assert a["mistakes"][0]["evidence"] == "其实是物流的问题。"


def test_cues_respect_negation_script_and_spacing():
    assert cue_matches("我们的问题", match_form("这是我们的问题"))
    assert not cue_matches("我们的问题", match_form("这不是我们的问题"))
    assert cue_matches("对不起", match_form("對不起"))  # traditional script
    assert cue_matches("20吨|二十吨", match_form("那 ２０ 吨货"))  # spaces and full-width digits
    assert cue_matches("re:[0-9]+点(之前|前)", match_form("3点前到"))
    assert cue_matches("司机&电话", match_form("司机的电话是139"))
    assert not cue_matches("司机&电话", match_form("司机已经出发"))
    # A-not-A questions ask; they do not negate what follows.
    assert cue_matches("re:哪些.{0,8}改善", match_form("有没有哪些地方是您特别想改善的？"))
    assert cue_matches("满意", match_form("用下来您满不满意？"))
    assert not cue_matches("满意", match_form("用下来不满意"))


def test_a_concession_traded_for_an_annual_agreement_is_not_an_instant_discount(scenarios, judge):
    scenario = scenarios["price-objection"]
    traded = judge.judge(scenario, "价格我没法白降。如果东屿愿意签全年的框架协议，或者账期能缩短一些，"
                                   "我可以去申请每吨让290左右。")
    assert "instant-discount" not in traded.mistakes
    assert traded.criteria["conditional-concession"].strength >= MET
    given = judge.judge(scenario, "那我去跟老板申请一下，每吨先给您降500，您看行不行？")
    assert "instant-discount" in given.mistakes


def test_leading_questions_and_a_politely_blamed_carrier_are_mistakes(scenarios, judge):
    leading = judge.judge(scenarios["needs-discovery"], "您选供应商应该最看重的就是质量和交期吧？")
    assert "leading-question" in leading.mistakes
    assert not judge.judge(scenarios["needs-discovery"], "除了价格，您选供应商还看重哪些方面？").mistakes
    blame = judge.judge(scenarios["late-delivery-complaint"], "实在对不起。主要是承运那边车辆紧张，我们也一直在催他们。")
    assert "blame-carrier" in blame.mistakes
    assert "apology-ownership" not in blame.criteria


def test_facts_given_over_several_turns_add_up(scenarios, judge):
    session = RolePlay.begin(scenarios["late-delivery-complaint"], judge)
    session.rep_says("车牌是苏E·5K723。")
    assert not session.met("five-facts")
    session.rep_says("司机老周的电话 139-1234-5678。")
    session.rep_says("货昨晚 8 点发出的。")
    assert session.met("five-facts")


def test_hidden_facts_come_out_only_when_asked_well(scenarios, judge):
    scenario = scenarios["late-delivery-complaint"]
    hidden = [f.says for f in scenario.hidden.facts]
    pitch = RolePlay.begin(scenario, judge)
    for _ in range(4):
        if not pitch.outcome:  # pitching again and again, the customer may end the meeting
            pitch.rep_says("我们新出了一款板材，您要不要看看？")
    assert not any(h in t["text"] for t in pitch.state["transcript"] for h in hidden)
    good = RolePlay.begin(scenario, judge, "easy")
    good.rep_says("真对不起，是我们的责任。我记下来了，跟您核对一下：工地现在停了多少人？")
    assert any(h in good.state["transcript"][-1]["text"] for h in hidden)


def test_scorecard_has_evidence_advice_and_a_next_practice(scenarios, judge):
    card = play(scenarios["late-delivery-complaint"], judge,
                ["对不起，这次是我们的责任。", "您别激动，才晚了一天。"])
    apology = next(c for c in card.criteria if c.id == "apology-ownership")
    assert apology.status == "met"
    assert apology.evidence == "对不起，这次是我们的责任。"
    assert apology.turn == 1
    assert card.keep
    assert card.start
    assert card.stop
    assert "您别激动" in card.stop[0]
    nxt = suggest_next(card, scenarios)
    weakest = card.weakest[0]
    skill = scenarios["late-delivery-complaint"].criterion(weakest.id).skill
    assert nxt["criterion"] == weakest.id
    assert any(c.skill == skill for c in scenarios[nxt["scenario"]].rubric)
    assert nxt["difficulty"] in ("easy", "normal")


def test_the_scorecards_next_practice_and_assignment_note_read_in_the_readers_language(scenarios, judge):
    """The domain hands the face facts, not Chinese sentences: an English reader reads English around the
    scenario's own (Chinese) titles; a scorecard stored before keeps its sentence."""
    from bot.chat.roleplay_views import scorecard_text

    card = play(scenarios["late-delivery-complaint"], judge, ["对不起，这次是我们的责任。", "您别激动，才晚了一天。"])
    card.next_practice = suggest_next(card, scenarios)
    card.assignment_note = {"turns": 2, "min": 3}
    weakest = card.weakest[0].title
    en, zh = scorecard_text(card, "en"), scorecard_text(card, "zh-CN")
    assert f"your weakest criterion was 「{weakest}」" in en
    assert "This attempt had 2 turns, so it does not count toward your trainer's assignment" in en
    assert "最弱" not in en
    assert "不计入" not in en
    assert f"你最弱的一项是「{weakest}」" in zh
    assert "这次只进行了 2 轮" in zh
    card.next_practice = {**card.next_practice, "why": None, "reason": "旧的理由"}
    card.assignment_note = "旧的说明"
    old = scorecard_text(card, "en")
    assert "旧的理由" in old
    assert "📌 旧的说明" in old


def test_bad_scenario_files_are_rejected_with_the_reason(tmp_path):
    data = yaml.safe_load((SCENARIOS_DIR / "late-delivery-complaint.yaml").read_text(encoding="utf-8"))
    cases = {
        "extra-key": {**data, "colour": "blue"},
        "weights": {**data, "rubric": [{**data["rubric"][0], "weight": 99}, *data["rubric"][1:]]},
        "dangling": {**data, "endings": {**data["endings"], "won_requires": ["no-such-criterion"]}},
        "clash": {**data, "mistakes": [{**data["mistakes"][0], "id": data["rubric"][0]["id"]}, *data["mistakes"][1:]]},
    }
    for name, broken in cases.items():
        broken["id"] = name
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    (tmp_path / "late-delivery-complaint.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "garbage.yaml").write_text("id: [unclosed", encoding="utf-8")
    assert list(load_scenarios(tmp_path)) == ["late-delivery-complaint"]  # the good one still loads
    errors = scenario_errors(tmp_path)
    assert "colour" in errors["extra-key.yaml"]
    assert "add up to 100" in errors["weights.yaml"]
    assert "no-such-criterion" in errors["dangling.yaml"]
    assert "must be unique" in errors["clash.yaml"]
    assert "cannot read" in errors["garbage.yaml"]
    renamed = tmp_path / "other-name.yaml"
    renamed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError, match="must match the file name"):
        load_scenario(renamed)


def _coach(path: Path, **kw) -> Coach:
    return Coach(Store(path), Judge(FakeEmbedder()), **kw)


def test_coach_keeps_sessions_across_restarts_and_stores_transcripts(tmp_path):
    db = tmp_path / "state.sqlite"
    coach = _coach(db)
    coach.start(7, 7, "late-delivery-complaint", "normal")
    with pytest.raises(SessionActive):
        coach.start(7, 7, "price-objection")
    coach.say(7, "对不起，是我们的责任。")
    coach.store.close()

    coach = _coach(db)  # a new process
    assert coach.active(7).state["turn"] == 1
    reply = coach.say(7, "车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。")
    assert reply.card is None
    with pytest.raises(TurnTooLong):
        coach.say(7, "好" * 601)
    card = coach.end(7)
    assert card.total == 55
    with pytest.raises(NoActiveSession):
        coach.say(7, "还在吗？")
    [stored] = coach.history(7)
    assert stored.total == 55
    assert stored.card["criteria"][0]["evidence"] == "对不起，是我们的责任。"
    assert len(coach.store.roleplay_transcript(stored.session_id)) == 5


def test_llm_voices_the_customer_and_writes_feedback_but_the_score_stays_offline(tmp_path):
    llm = FakeListChatModel(responses=["（叹气）行吧，你先把车的信息发我。", "道歉做得好；下次先报车号和司机电话。"])
    coach = _coach(tmp_path / "s.sqlite", chat_model=llm)
    coach.start(1, 1, "late-delivery-complaint")
    reply = coach.say(1, "对不起，是我们的责任。")
    assert reply.turn.text == "（叹气）行吧，你先把车的信息发我。"
    assert reply.turn.met == ["apology-ownership"]  # the offline engine still judged the turn
    card = coach.end(1)
    assert card.feedback == "道歉做得好；下次先报车号和司机电话。"
    assert card.total == 20
    assert card.transcript[-1]["text"] == "（叹气）行吧，你先把车的信息发我。"


def test_a_failing_llm_falls_back_to_the_scripted_customer(tmp_path):
    class Broken(FakeListChatModel):
        def invoke(self, *args, **kwargs):
            raise TimeoutError("model server down")

    coach = _coach(tmp_path / "s.sqlite", chat_model=Broken(responses=["x"]))
    coach.start(1, 1, "late-delivery-complaint")
    reply = coach.say(1, "对不起，是我们的责任。")
    scenario = load_scenarios()["late-delivery-complaint"]
    assert reply.turn.text.startswith(tuple(scenario.criterion("apology-ownership").reaction))
    assert coach.end(1).feedback is None


def test_a_turn_the_rep_took_in_another_bot_meanwhile_is_kept_and_this_one_follows_it(store_location):
    """The same rep talks to two bots sharing one database: while this bot voices its customer, the other
    takes a turn in the same session. This turn is taken again after it; neither is written over."""
    other = Coach(Store(store_location), Judge(FakeEmbedder()))
    taken = []

    class OtherBotTakesATurnMeanwhile(FakeListChatModel):
        def invoke(self, *args, **kwargs):
            if not taken:
                taken.append(other.say(7, "车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。"))
            return super().invoke(*args, **kwargs)

    coach = Coach(Store(store_location), Judge(FakeEmbedder()),
                  chat_model=OtherBotTakesATurnMeanwhile(responses=["行吧。", "那你说说。"]))
    sid, _ = coach.start(7, 7, "late-delivery-complaint")
    reply = coach.say(7, "对不起，是我们的责任。")
    assert reply.turn.met == ["apology-ownership"]
    assert [text for role, text in coach.store.roleplay_transcript(sid) if role == "rep"] == [
        "车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。", "对不起，是我们的责任。"]
    assert coach.active(7).state["turn"] == 2
    card = coach.end(7)
    assert {c.id: c.status for c in card.criteria}["apology-ownership"] == "met"
    assert card.transcript[1]["text"].startswith("车号苏E·5K723")


def test_a_part_of_the_ending_delivered_by_another_bot_is_kept(tmp_path):
    db = tmp_path / "s.sqlite"
    coach, other = _coach(db), _coach(db)
    coach.start(7, 7, "late-delivery-complaint")
    coach.say(7, "对不起，是我们的责任。")
    coach.end(7)
    [mine], [theirs] = coach.history(7), other.history(7)
    other.delivered(theirs, "last line")
    coach.delivered(mine, "scorecard")  # read before the other bot wrote: taken again on what it wrote
    coach.delivered(mine, "chart")
    assert coach.history(7)[0].state["delivered"] == ["last line", "scorecard", "chart"]


def test_cli_lists_scenarios_and_plays_turn_files_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_EMBEDDING_MODEL", "fake")
    listed = CliRunner().invoke(app, ["roleplay", "--list"])
    assert listed.exit_code == 0
    assert all(s in listed.stdout for s in REQUIRED)
    brief = CliRunner().invoke(app, ["roleplay", "--scenario", "late-delivery-complaint", "--difficulty", "hard"])
    assert "🎭 第三次延误：大客户来电投诉催货（困难）" in brief.stdout
    assert "📋 评分标准（满分 100）" in brief.stdout
    turns = tmp_path / "turns.txt"
    turns.write_text("对不起，是我们的责任。\n车号苏E·5K723，司机电话 139-1234-5678，下午 3 点前到。\n---\n"
                     "这是物流的问题。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["roleplay", "--scenario", "late-delivery-complaint", "--turns", str(turns),
                                      "--json"])
    assert result.exit_code == 0, result.output
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"scenario", "total", "outcome", "criteria", "transcript"} <= set(first)
    assert first["total"] > second["total"]
    assert {"id", "status", "evidence"} <= set(first["criteria"][0])
    assert first["transcript"][1] == {"role": "rep", "text": "对不起，是我们的责任。"}
    bad = CliRunner().invoke(app, ["roleplay", "--scenario", "nope", "--turns", str(turns)])
    assert bad.exit_code == 2
    assert "unknown scenario" in bad.output
