"""The key-account game's rules with a controllable clock, its scene files and its debrief."""

import pytest

from bot.coach.game import (
    GAMES_DIR,
    NEED_KINDS,
    GameStarted,
    KeyAccountGame,
    NotRunning,
    NotTeamB,
    NotVoting,
    TeamsIncomplete,
    debrief,
    debrief_text,
    load_guide,
    load_scenes,
    offered_terms,
    price_cut,
    promised_days,
    team_brief,
)
from bot.coach.moves import load_catalogue
from bot.config import PROJECT_ROOT

KB_IDS = {p.stem for p in (PROJECT_ROOT / "knowledge").glob("*.md")}


def test_three_scenes_ship_and_every_scene_is_grounded():
    scenes = load_scenes()
    assert len(scenes) >= 3
    assert "renewal-late-delivery-price" in scenes
    assert len(scenes) == len([p for p in GAMES_DIR.glob("*.yaml") if p.stem != "debrief"])  # none skipped
    guide = load_guide()
    assert set(guide.articles) <= KB_IDS
    assert set(guide.move_articles.values()) <= KB_IDS
    moves = set(load_catalogue().ids)
    assert {m for cue in [*guide.kotler_levels, *guide.strategies, *guide.value_arguments] for m in cue.moves} <= moves
    for scene in scenes.values():
        assert set(scene.articles) <= KB_IDS
        assert set(scene.team_b.need_cues) == set(NEED_KINDS)
        a, b = team_brief(scene, "A"), team_brief(scene, "B")
        assert scene.team_b.needs.secret in b
        assert scene.team_b.needs.secret not in a
        assert scene.team_a.limits[0] in a
        assert scene.team_a.limits[0] not in b
        assert set(scene.team_a.mandate.red_lines) <= moves
        assert f"{scene.team_a.mandate.max_discount_pct:g}%" in " ".join(scene.team_a.limits)  # data says what players read
        assert scene.vote_question.endswith("？")
    assert len({s.vote_question for s in scenes.values()}) == len(scenes)


def test_a_scene_with_an_unknown_key_or_red_line_is_refused(tmp_path):
    import yaml

    source = yaml.safe_load((GAMES_DIR / "renewal-late-delivery-price.yaml").read_text(encoding="utf-8"))
    source["team_a"]["mandate"]["red_lines"] = ["gift_favour", "be_rude"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    source["team_a"]["mandate"].update(red_lines=["gift_favour"], max_rebate=3)
    source["id"] = "bad2"
    (tmp_path / "bad2.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    assert load_scenes(tmp_path) == {}


def _game(**kw):
    game = KeyAccountGame.new(-1, 2, "renewal-late-delivery-price", minutes=30, reminders=(10, 5, 1), **kw)
    game.join(11, "甲", "A")
    game.join(13, "乙", "B")
    return game


def test_lobby_rules():
    game = KeyAccountGame.new(-1, 2, "renewal-late-delivery-price", team_size=1)
    with pytest.raises(TeamsIncomplete):
        game.start(0)  # both teams need someone
    assert game.join(11, "甲", "A") == "joined"
    assert game.join(11, "甲", "A") == "already"
    assert game.join(12, "丙", "A") == "full"
    assert game.join(11, "甲", "B") == "switched"
    assert game.members("A") == []
    game.join(12, "丙", "A")
    game.start(1000)
    with pytest.raises(GameStarted):
        game.join(14, "丁", "A")  # no changing teams once it runs
    with pytest.raises(GameStarted):
        game.start(1001)


def test_clock_pause_resume_extend_and_reminders():
    game = _game()
    game.start(0)
    assert [(e.kind, e.minutes_left, e.at) for e in game.events(0)] == [
        ("reminder", 10, 1200), ("reminder", 5, 1500), ("reminder", 1, 1740), ("end", 0, 1800)]
    assert game.remind(10)
    assert not game.remind(10)  # a duplicate job after a restart sends nothing
    assert game.pause(600) == 1200
    assert game.events(700) == []  # no jobs while paused
    game.resume(1000)
    assert game.seconds_left(1000) == 1200
    game.extend(10, 1000)  # 30 minutes left again: the 10-minute reminder will come round again
    assert game.seconds_left(1000) == 1800
    assert [e.minutes_left for e in game.events(1000) if e.kind == "reminder"] == [10, 5, 1]
    game.stop(1500)
    assert game.status == "voting"
    with pytest.raises(NotRunning):
        game.pause(1500)  # time is up: nothing to pause
    with pytest.raises(NotTeamB):
        game.vote(11, True)  # team A does not vote
    assert game.vote(13, False)  # the only member of team B: the vote is complete
    assert game.verdict() == (0, 1)
    game.close()
    with pytest.raises(NotVoting):
        game.vote(13, True)  # the vote is closed


def test_debrief_reads_team_a_and_finds_needs():
    game = _game()
    game.start(0)
    scene = load_scenes()["renewal-late-delivery-price"]
    msgs = [
        {"user_id": 13, "name": "乙", "team": "B", "text": "我们要降价 3%，还要帮我们省钱。", "created": 1},
        {"user_id": 11, "name": "甲", "team": "A", "text": "货发出后有问题随时打电话给我。", "created": 2},
        {"user_id": 11, "name": "甲", "team": "A", "text": "这不是一起想办法的事。我们不会派工程师。", "created": 3},
    ]
    d = debrief(game, scene, load_guide(), msgs)
    assert d.level.title == "被动型"  # team B's words do not count for team A; negated cues do not count
    assert d.level.quote == "货发出后有问题随时打电话给我。"
    found = {kind: f for kind, _, f in d.needs}
    assert found["满足后令人高兴的需要"] is None
    assert d.participation == [("甲", "A", 2, len(msgs[1]["text"]) + len(msgs[2]["text"])), ("乙", "B", 1, len(msgs[0]["text"]))]


def test_offered_terms_reads_what_team_a_offers_not_what_it_refuses_or_repeats():
    assert offered_terms("降5%没问题，账期90天也可以，您放心。") == {"discount": 5, "payment_days": 90}
    assert offered_terms("降5%我们做不到，最多1%。") == {"discount": 1}
    assert offered_terms("您说要降5%，远东报价比我们低3%。") == {}
    assert offered_terms("单价再便宜两个点，打九五折也行。") == {"discount": 5}
    assert offered_terms("排版优化把损耗从6%降到3.5%。") == {}
    assert offered_terms("赔偿我们可以给80万。") == {"compensation": 80}
    # a stated total is the sum of the parts, not one more part
    assert offered_terms("拆装人工我们承担一半，35万；吊篮我们再补贴15万，现金部分就是这50万。") == {"compensation": 50}
    assert offered_terms("合同写75天，实际到了90天再付我们也不催。") == {"payment_days": 90}


def test_payment_terms_read_as_days_from_delivery_however_they_are_put():
    # giving in on the customer's figure, a grace on top in plain words, an invoice put off, a quarter to settle
    assert offered_terms("账期这个好说，90天就90天，我们财务那边我去沟通") == {"payment_days": 90}
    assert offered_terms("合同写75天，到期以后你们晚个一个月付也没关系") == {"payment_days": 105}
    assert offered_terms("75天写合同，另外先发货后开票，开票时间往后放一个月左右") == {"payment_days": 105}
    assert offered_terms("付款方面我們可以彈性一點：月結改成季結，每季結完再給60天") == {"payment_days": 150}
    # no date at all to pay by is longer than any terms; 「不催」 after a day count is that count
    assert offered_terms("年底的话 don't worry，我们财务不会来催的，你们什么时候方便什么时候付")["payment_days"] > 365
    assert offered_terms("合同写75天，实际到了90天再付我们也不催。") == {"payment_days": 90}
    assert offered_terms("晚付半个月不行，75天是底线。").get("payment_days", 0) <= 75  # a grace refused adds nothing


def test_hong_kong_and_english_wordings_read_like_mandarin():
    # Cantonese: 日 for days, 唔得 refuses, 遲一個月 puts the invoice off; an English day count; a span's larger end
    assert offered_terms("90日唔得。帳期照寫60日，發票我哋遲一個月先開") == {"payment_days": 90}
    assert promised_days("丁經理，地標項目嘅急貨我哋3日送到工地，冇問題") == 3
    assert offered_terms("90 days OK，no problem，财务那边我来handle") == {"payment_days": 90}
    assert offered_terms("账期我签字给到75天。到期以后晚个二三十天我们这边也不会追着催") == {"payment_days": 105}
    assert offered_terms("180万in principle我们认，具体怎么付后面finance再对") == {"compensation": 180}


def test_a_new_price_or_a_cut_per_ton_is_a_cut_in_percent_of_todays_price():
    assert price_cut("要不明年就按305走吧", 315) == pytest.approx(3.17, abs=0.01)
    assert price_cut("前年比现在低差不多八百一吨，份额的事您评完再说", 27000) == pytest.approx(2.96, abs=0.01)
    assert price_cut("单价按315走，不变", 315) == 0
    assert price_cut("这批剩下7800平方米，300平先到", 315) == 0  # an area, not a price
    assert price_cut("您说佳成每吨便宜八百，我们做不到", 27000) == 0


def test_a_delivery_promise_is_read_in_days_unless_it_is_declined():
    assert promised_days("行，樊经理，地标项目的补板我们保证3天到，我回去调") == 3
    assert promised_days("标准7天，加急4天到货") == 4
    assert promised_days("3天到货我们做不到，加急最快4天到") == 4
    assert promised_days("第15天到现场开始安装") is None


def test_what_the_brief_forbids_is_read_in_reps_words_and_a_declined_promise_is_none():
    game, scene = _director_game()
    owned = "理解。So first thing，今年三次 delay，this is on us，调度和排产都是我们的锅，sorry，给你们添麻烦了"
    declined = "每周两天是我们能保证的，全职常驻我不能乱答应"
    rush = "急的补板走加急，加急运费我们这边 absorb 掉，不另收"
    jump = "這個放心，真的排不過來，我直接叫工廠把別的客戶的單子停下來先做你們的"
    fast = "地标项目的补板我们保证3天到"
    d = debrief(game, scene, load_guide(), _said((11, owned), (11, declined), (12, rush), (12, jump), (12, fast)))
    flagged = {b.quote: b.reasons for b in d.breaches}
    assert owned not in flagged
    assert declined not in flagged
    assert flagged[rush] == ["免费给了底线以外的东西（可以免费给的只有：工程师每周两天驻场）"]
    assert flagged[jump] == ["超出权限：替工厂答应停掉或挤后别的客户的订单（排产不归销售定）"]
    assert flagged[fast] == ["超出权限：承诺 3 天到货，快于公司最快能做到的 4 天"]
    for free in ("仓库租金、管理、盘点都我们出，天衡不用承担任何费用", "加急4天no problem，and加急运费for天衡we waive掉"):
        alone = debrief(game, scene, load_guide(), _said((12, free)))
        assert [b.reasons for b in alone.breaches] == [["免费给了底线以外的东西（可以免费给的只有：工程师每周两天驻场）"]]
    assert ("道歉、认错", "So first thing，今年三次 delay，this is on us，调度和排产都是我们的锅，sorry，给你们添麻烦了") in [
        (g, f.quote) for g, f in d.credits]


def test_owning_the_failure_and_then_blaming_the_driver_is_still_a_blame_shift():
    game = KeyAccountGame.new(-1, 2, "quality-incident-recovery")
    for uid, name, team in ((11, "甲", "A"), (13, "乙", "B")):
        game.join(uid, name, team)
    game.start(0)
    shift = "真的很抱歉，是我们的问题，不过主要是司机路上车坏了"
    d = debrief(game, load_scenes()["quality-incident-recovery"], load_guide(), _said((11, shift)))
    assert [(b.quote, b.reasons) for b in d.breaches] == [(shift, ["红线：把原因推给外部"])]


def _started(scene_id: str):
    """A started game of ``scene_id`` with 甲 and 丙 in team A and 乙 in team B, and its scene."""
    game = KeyAccountGame.new(-1, 2, scene_id)
    for uid, name, team in ((11, "甲", "A"), (12, "丙", "A"), (13, "乙", "B")):
        game.join(uid, name, team)
    game.start(0)
    return game, load_scenes()[scene_id]


def test_cash_across_a_message_adds_up_and_free_extras_are_read_in_their_wordings():
    game, scene = _started("quality-incident-recovery")
    split_cash = "罚款万一真罚了，我们承担一半25万；工期管理费再补30万。"  # 55万 in two sentences, the limit is 50万
    all_labour = "拆装人工和吊篮全部我们来，你们一分不出。"  # only half the labour may be given free
    late = "出事后售后第4天才到现场，这是我们的错。"  # a fact about the past, not a delivery promise
    # What the account hopes for is no private favour, but team A's brief forbids giving anything extra free:
    # offered free it is a breach, traded against the year's volume it is good business.
    wanted = "二期投标我们免费帮你们做一面1:1样板墙。"
    traded = "框架协议签下来的话，二期投标的1:1样板墙我们来做。"
    d = debrief(game, scene, load_guide(), _said((11, split_cash), (12, all_labour), (11, late), (12, wanted),
                                                 (11, traded)))
    flagged = {b.quote: b.keys for b in d.breaches}
    assert [q for q, keys in flagged.items() if "compensation" in keys] == ["工期管理费再补30万。"]  # one offer, listed once
    assert any("free_service" in keys for q, keys in flagged.items() if q in all_labour), flagged
    assert flagged.get(wanted) == ["free_service"], flagged
    assert not any(q in late or q in traded for q in flagged), flagged


def test_terms_read_as_a_trainer_reads_them():
    """Totals and caps are what an offer comes to, a grace period adds to the terms, money handed back under
    another name is a hidden cut, and English offers count too (a blind set's misses)."""
    assert offered_terms("管理费我们再承担20万，一共40万") == {"compensation": 40}
    assert offered_terms("拆装人工最多承担一半35万；罚款再补20万") == {"compensation": 55}  # a cap on one item adds up
    assert offered_terms("拆装人工承担一半，约35万，这笔算在现金赔偿里；其他部分加起来，现金总额不超过50万。") == {"compensation": 50}
    assert offered_terms("色差板全部免费重做，运费我们承担，这块成本约100万。") == {}
    assert offered_terms("那这样，合同写75天，到期后你们晚付半个月我们也不催") == {"payment_days": 90}
    assert offered_terms("那就按90天走吧，我们回去再想办法") == {"payment_days": 90}
    assert offered_terms("那就2%，不能再多了") == {"discount": 2}
    assert offered_terms("那我们再多让0.5%，一共2%") == {"discount": 2}
    assert offered_terms("Don't worry about the penalty, 50万 we cover it all") == {"compensation": 50}
    assert offered_terms("省下的材料比单价多降两三个点还实在") == {}
    game, scene = _started("new-director-supplier-review")
    hidden = "全年锁量完成的话，年底按0.5%以“技术服务费”的名义返给天衡"
    english = "OK, and for the Apr–Jul peak we can also send one engineer on site full time, no charge"
    fair = "如果份额给到55%、全年锁量，单价我们降1.5%。"
    letter = "我们会以公司的名义给您发一封正式的致歉函。"  # a name, but no money going back
    d = debrief(game, scene, load_guide(), _said((11, hidden), (12, english), (11, fair), (12, letter)))
    flagged = {b.quote: b.keys for b in d.breaches}
    assert "free_service" in flagged.get(hidden, []), flagged
    assert flagged.get(english), flagged
    assert fair not in flagged, flagged
    assert letter not in flagged, flagged


def test_a_free_service_the_brief_allows_is_no_price_cut_in_the_debrief():
    """The recogniser reads 「免费重做」 as an unconditional discount (0.9); what the brief lets team A give free is
    neither a breach nor a price cut to work on. A free offer beyond the brief, or one with a real cut, still is."""
    game, scene = _started("quality-incident-recovery")
    redo = "罗总，色差板我们免费重做，运费我们承担。"
    labour = "拆装人工我们承担一半，大概35万。"
    with_cut = "色差板免费重做，运费我们出，明年单价再降1%。"
    beyond = "吊篮租金也我们免费承担。"
    d = debrief(game, scene, load_guide(), _said((11, redo), (11, labour), (12, with_cut), (12, beyond)))
    assert [b.quote for b in d.breaches] == [beyond]
    text = debrief_text(d, scene, {})
    breaches = text[text.index("⛔"):text.index("👍")]
    improve = text[text.index("🎯"):text.index("📚")]
    mine = improve[improve.index("• 甲："):improve.index("• 丙：")]
    assert redo not in breaches
    assert labour not in breaches
    assert "无条件降价" not in mine, mine
    assert redo not in mine
    theirs = improve[improve.index("• 丙："):]
    assert f"「{with_cut}」→ 无条件降价或跟价" in theirs  # the 1% cut is a cut, within the brief or not
    assert f"「{beyond}」→ 免费给了底线以外的东西" in theirs


def _director_game():
    return _started("new-director-supplier-review")


def _said(*lines):
    names = {11: "甲", 12: "丙", 13: "乙"}
    return [{"user_id": u, "name": names[u], "team": "B" if u == 13 else "A", "text": t, "created": i}
            for i, (u, t) in enumerate(lines)]


GIFT = "沈总，改天我私下请您吃个饭，年底给您也准备点心意。"
BADMOUTH = "佳成那家质量根本不行，您用了肯定出事。"
BEYOND = "降5%没问题，账期90天也可以，您放心。"


def test_breaches_come_first_with_quote_and_speaker_and_are_never_credited():
    game, scene = _director_game()
    msgs = _said((13, "单价降5%，账期90天，不然你们就做第二供应商。"), (11, GIFT), (12, BADMOUTH), (11, BEYOND))
    d = debrief(game, scene, load_guide(), msgs)
    by_quote = {b.quote: b for b in d.breaches}
    assert set(by_quote) == {GIFT, BADMOUTH, BEYOND}
    assert (by_quote[GIFT].speaker, by_quote[GIFT].reasons) == ("甲", ["红线：送礼或私人好处"])
    assert (by_quote[BADMOUTH].speaker, by_quote[BADMOUTH].reasons) == ("丙", ["红线：贬低竞争对手"])
    assert by_quote[BEYOND].reasons[:2] == ["降价 5%，超过底线 2%", "账期 90 天，超过底线 75 天"]
    # 个人联系, a customer-value argument, an uncovered need: none of them from a breach
    assert (d.strategies, d.values, d.credits, d.level) == ([], [], [], None)
    assert all(f is None for *_, f in d.needs)
    text = debrief_text(d, scene, {})
    assert text.index("⛔ 突破底线和红线（3 处）") < text.index("👍") < text.index("🤝")
    assert f"• 甲「{GIFT}」→ 红线：送礼或私人好处" in text
    assert f"• 丙「{BADMOUTH}」→ 红线：贬低竞争对手" in text
    assert f"• 甲「{BEYOND}」→ 降价 5%，超过底线 2%；账期 90 天，超过底线 75 天" in text
    improve = text[text.index("🎯"):]
    assert f"「{GIFT}」→ 红线：送礼或私人好处。读《relationship-manager-and-personal-contact》" in improve
    assert "读《consultative-vs-relationship-selling》" in improve  # 丙's article on competing on value


def test_limits_inside_are_fine_beyond_are_breaches():
    game, scene = _director_game()
    inside = "如果您把主供份额和全年锁量定下来，单价我们可以降2%，账期做到75天。"
    beyond = "如果您签全年协议，单价我们可以降3%，账期做到80天。"
    d = debrief(game, scene, load_guide(), _said((11, inside), (12, beyond)))
    assert [b.quote for b in d.breaches] == [beyond]
    assert d.breaches[0].reasons[:2] == ["降价 3%，超过底线 2%", "账期 80 天，超过底线 75 天"]
    assert ("有条件的让步", inside) in [(g, f.quote) for g, f in d.credits]


def test_a_clean_good_game_is_credited():
    game = _game()
    game.start(0)
    scene = load_scenes()["renewal-late-delivery-price"]
    apology = "王经理，延误是我们的责任，非常抱歉。"
    question = "您能说说明年两个项目的工期安排，最担心的是什么吗？"
    value = "算一笔账，单价之外还有损耗和返工，总成本我们更低。"
    msgs = [
        {"user_id": 13, "name": "乙", "team": "B", "text": "今年三次延误，远东报价比你们低3%。", "created": 1},
        {"user_id": 11, "name": "甲", "team": "A", "text": apology + question, "created": 2},
        {"user_id": 13, "name": "乙", "team": "B", "text": "两个大项目工期很紧，不能再停工了。", "created": 3},
        {"user_id": 11, "name": "甲", "team": "A", "text": value, "created": 4},
    ]
    d = debrief(game, scene, load_guide(), msgs)
    assert d.breaches == []
    credited = {(g, f.quote) for g, f in d.credits}
    assert {("道歉、认错", apology), ("发现需要的提问", question), ("价值论据", value)} <= credited
    assert d.level is not None
    assert {f.title for f in d.levels if f.quote} >= {"负责型"}
    found = {kind: f for kind, _, f in d.needs}
    assert found["真正的需要"].quote == question  # team B told its real need in answer to the question
    text = debrief_text(d, scene, {})
    assert "⛔ 突破底线和红线（0 处）" in text
    assert f"• 甲「{question}」（开放式提问）" in text
    assert "没有看到能对应任何关系水平的做法" not in text
    assert "• 甲：没有要纠正的，保持。" in text


def test_compensation_delivery_and_blame_beyond_the_quality_brief():
    game = KeyAccountGame.new(-1, 2, "quality-incident-recovery")
    for uid, name, team in ((11, "甲", "A"), (12, "丙", "A"), (13, "乙", "B")):
        game.join(uid, name, team)
    game.start(0)
    scene = load_scenes()["quality-incident-recovery"]
    apology = "非常对不起，这次色差是我们出厂前没比色，是我们的责任。"
    inside = "重做最快15天到货，色差板免费重做，运费我们出。"
    msgs = _said((11, apology), (11, inside), (12, "损失我们全赔，180万我们认。"), (12, "我们保证9天就能到货。"),
                 (12, "色差是涂料厂那批料的问题，不是我们生产的问题。"))
    d = debrief(game, scene, load_guide(), msgs)
    reasons = {b.quote: b.reasons for b in d.breaches}
    assert reasons["损失我们全赔，180万我们认。"] == ["赔偿 180 万元，超过底线 50 万元", "超出权限：全额承担损失或业主罚款"]
    assert reasons["我们保证9天就能到货。"] == ["超出权限：重做快于 15 天到货"]
    assert reasons["色差是涂料厂那批料的问题，不是我们生产的问题。"] == ["红线：把原因推给外部"]
    assert apology not in reasons
    assert inside not in reasons  # what the brief allows is no breach
    assert ("道歉、认错", apology) in [(g, f.quote) for g, f in d.credits]
    # the blame also "owned" the production side: a breach is never credited as owning the failure
    assert all("涂料厂" not in f.quote for _, f in d.credits)


def test_giving_in_free_extras_and_sums_are_read_as_the_trainer_reads_them():
    assert offered_terms("行吧，3%就3%，跟远东一样。") == {"discount": 3}
    assert offered_terms("90天没问题，我回去跟财务打个招呼。") == {"payment_days": 90}
    assert offered_terms("现金我们给30万，另外罚款如果真的发生，我们再承担一半，25万。") == {"compensation": 55}
    assert offered_terms("我们保证5天到货，没问题。") == {}  # a delivery time is not payment terms
    game, scene = _director_game()
    free = "哎小吴，天衡是老客户了，加急运费就免了吧，我做主。"
    allowed = "工程师每周两天驻场，不收钱。"
    d = debrief(game, scene, load_guide(), _said((11, free), (12, allowed), (11, "5%不行。")))
    assert [b.quote for b in d.breaches] == [free]
    assert d.breaches[0].reasons[0].startswith("免费给了底线以外的东西（可以免费给的只有：工程师每周两天驻场）")


def test_team_a_reads_its_red_lines_and_what_it_may_give_free():
    brief = team_brief(load_scenes()["renewal-late-delivery-price"], "A")
    assert "• 红线：贬低竞争对手、超出权限或能力的承诺、不换条件的降价、送礼或私人好处。" in brief
    assert "不能免费给任何额外的东西" in brief


def test_a_cut_traded_withdrawn_or_a_price_list_is_no_red_line_but_a_waived_condition_is():
    game, scene = _started("renewal-late-delivery-price")
    traded = "这个可以谈。If 你们把账期缩到45天，单价我们降1%，每吨290，this is a fair trade"
    locked = "锁1800吨的话，单价最多就是1%，这是我们底线了。"
    withdrawn = "我补充一下，刚才的0.8%不算数。"
    price_list = "明白了，补板和运费我们回去出一份书面价目表。"
    waived = "只要明年主供给我们，单价降1%，量您按项目实际下单就行，不用锁。"
    msgs = _said(*[(11, t) for t in (traded, locked, withdrawn, price_list, waived)])
    d = debrief(game, scene, load_guide(), msgs)
    assert [b.quote for b in d.breaches] == [waived]
    assert d.breaches[0].reasons == ["红线：无条件降价或跟价"]


def test_hedged_promises_new_prices_and_totals_are_read_as_figures():
    assert promised_days("打样和生产叠着做，13天应该能到你们工地") == 13
    assert promised_days("两个地标项目我们留一条产线，保证任何订单3天出货") == 3
    assert promised_days("调色打样3天、生产10天、运输2天，15天到货") == 15  # the stages are no promise
    assert price_cut("这样：单价从27000调到26400，份额55%以上", 27000) == pytest.approx(2.22, abs=0.01)
    assert price_cut("缩到45天的话，每吨再让100，锁量加账期一共降390", 29000) == pytest.approx(1.34, abs=0.01)
    assert price_cut("锁量的话一共降390吨也行", 29000) == 0  # a quantity, not a price


def test_a_cut_on_top_of_one_already_offered_is_held_against_the_limit_as_a_sum():
    game, scene = _started("renewal-late-delivery-price")
    first = "锁1800吨的话，单价降1%。"
    again = "好，还是1%，锁量我们写进合同。"
    on_top = "账期缩到45天的话，单价再降0.5个点。"
    d = debrief(game, scene, load_guide(), _said((11, first), (13, "还不够，再降点"), (12, again), (11, on_top)))
    assert [b.quote for b in d.breaches] == [on_top]
    assert d.breaches[0].reasons[0] == "降价 1.5%（加上之前的 1%），超过底线 1%"
    withdrawn = _said((11, "锁量的话单价降0.8%。"), (12, "刚才的0.8%不算数。"), (11, "锁1800吨的话，单价再降0.5个点。"))
    assert debrief(game, scene, load_guide(), withdrawn).breaches == []  # nothing left on the table to add to


def test_a_cut_traded_for_less_share_than_the_brief_requires_is_a_breach():
    game, scene = _director_game()
    short = "那价格我们可以动一点：明年给我们50%的份额，单价就降2%。"
    enough = "份额55%以上、全年锁量的话，单价降2%。"
    d = debrief(game, scene, load_guide(), _said((11, short), (12, enough)))
    assert [b.quote for b in d.breaches] == [short]
    assert d.breaches[0].reasons == ["降价只换来 50% 的份额，底线要求份额不低于 55%"]


def test_grace_on_the_terms_the_account_just_named_adds_to_them():
    game, scene = _director_game()
    grace = "宽限15天没问题，不算逾期就是了。"
    d = debrief(game, scene, load_guide(), _said((13, "账期75天的话，到期能不能再给15天宽限？"), (11, grace)))
    assert [(b.quote, b.reasons) for b in d.breaches] == [(grace, ["账期 90 天，超过底线 75 天"])]
    # team A's own terms are what a grace adds to, not the account's demand
    msgs = _said((11, "账期我们做到60天。"), (13, "我们要90天账期"), (11, "到期后宽限10天可以。"))
    assert debrief(game, scene, load_guide(), msgs).breaches == []


def test_a_fee_paid_back_a_hypothetical_cut_and_a_cantonese_refusal_read_as_a_trainer_reads_them():
    game, scene = _started("quality-incident-recovery")
    fee = "这样，1.5%不变，另外每年再给你们0.5%的市场支持费，年底一次性打款。"
    refused = "樣板牆我哋會做，但費用要返公司申請，今日唔可以同你講免費。"
    d = debrief(game, scene, load_guide(), _said((11, fee), (12, refused)))
    assert [b.quote for b in d.breaches] == [fee]
    assert any("变相让利" in r for r in d.breaches[0].reasons)
    game, scene = _director_game()
    value = "就算明年只降1.5个点，按6500万的采购额也省97万，比单价多降一个点还多。"
    assert debrief(game, scene, load_guide(), _said((11, value))).breaches == []


def test_cash_offered_a_message_at_a_time_adds_up_and_a_ceiling_is_the_whole_offer():
    game, scene = _started("quality-incident-recovery")
    steps = ["工期顺延这块 我们补18万", "那管理费这块 我们再贴15万", "复验要是真没过 罚款我们分担20万"]
    d = debrief(game, scene, load_guide(), _said((11, steps[0]), (13, "不够"), (12, steps[1]), (11, steps[2])))
    assert [(b.quote, b.reasons) for b in d.breaches] == [(steps[2], ["赔偿 53 万元，超过底线 50 万元"])]
    said_again = _said((11, "拆装人工我们承担一半 35万"), (13, "再加点"), (12, "吊篮再补15万"), (11, "就是这35万加15万"))
    assert debrief(game, scene, load_guide(), said_again).breaches == []  # 50, and a sum said again is not new
    ceiling = _said((11, "拆装人工我们承担一半，35万。"), (12, "现金赔偿我现场能表态的上限是50万，具体数等报告出来再定。"))
    assert debrief(game, scene, load_guide(), ceiling).breaches == []


def test_a_group_chats_spaces_end_clauses_and_english_declines_a_figure():
    game, scene = _started("quality-incident-recovery")
    minutes = "雷总 没问题 今天先签会议纪要 书面赔偿协议等双方联合检测报告出来再签"
    declined = "Sorry 孔经理 5% is way beyond our range 明年最多降1.5% 这个可以写进纪要"
    free = "二期投標那面1:1樣板牆 我們也免費做 不會輸給科睿"
    d = debrief(game, scene, load_guide(), _said((11, minutes), (12, declined), (11, free)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(free, ["free_service"])]
    game, scene = _director_game()
    month_end = "钱经理 那我们这边配合一下 75天从每月月底对账以后开始算 月底统一结"
    assert offered_terms(month_end)["payment_days"] == 105  # a month on top of the 75 days


def test_rumours_jobs_for_relatives_and_gifts_declined_are_read_as_a_trainer_reads_them():
    game, scene = _started("quality-incident-recovery")
    rumour = "孔經理 科睿是不是前年在漢口那個項目出過色差？我好像聽同行講過 你們要不要再打聽一下"
    asked = "孔经理 科睿的报价是多少？我们想了解一下"
    d = debrief(game, scene, load_guide(), _said((11, rumour), (12, asked)))
    assert [b.keys for b in d.breaches] == [["badmouth_competitor"]]
    assert d.breaches[0].quote.startswith("孔經理 科睿是不是")
    game, scene = _started("renewal-late-delivery-price")
    job = "雷总，听说您儿子明年大学毕业，学材料的是吧？我们研发中心可以直接安排进来，您一句话的事"
    orders = "你们那两个项目的订单我们优先安排进来排产。"
    declined = "吴会计 这个真没有 公司规定礼品卡 购物卡这些一律不送 我们把心思花在交货上"
    d = debrief(game, scene, load_guide(), _said((11, job), (12, orders), (11, declined)))
    assert [(b.quote, b.keys) for b in d.breaches] == [("我们研发中心可以直接安排进来，您一句话的事", ["gift_favour"])]
    stacked = _said((11, "全年锁量的话 单价降150元一吨"), (12, "锁量的前提下 我们再让100 一吨总共降250"),
                    (11, "运费这块 我们每吨再补贴60块 直接从单价里扣"))
    d = debrief(game, scene, load_guide(), stacked)
    assert [b.keys for b in d.breaches] == [["discount"]]
    assert d.breaches[0].quote.startswith("运费这块")


def test_delivery_promises_faster_than_standard_without_the_paid_rush_are_beyond_authority():
    assert promised_days("10 days 10天之内guarantee到工地") == 10
    assert promised_days("合同上写7天 actually 5天给您送到") == 5
    assert promised_days("第一批 我们10天先发过来 你们先装着") == 10
    assert promised_days("标准是7天 不过站房那批我们尽量5天 基本没问题") == 5
    game, scene = _started("renewal-late-delivery-price")
    soft = "标准是7天 不过那批我们尽量5天 基本没问题 也不用走加急"
    rush = "真急的单可以走加急 5天到 加急运费另外算"
    declined = "这个我不跟您打包票说5天 标准交期是7天"
    d = debrief(game, scene, load_guide(), _said((11, soft), (12, rush), (11, declined)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(soft, ["overpromise"])]
    assert "不走加急" in d.breaches[0].reasons[0]


def test_a_dropped_lock_a_question_a_cut_on_top_and_savings_read_as_a_trainer_reads_them():
    game, scene = _director_game()
    asked = "沈总好 5%真的太狠了 3%行不行 3%我今天就能定"
    savings = "沈总 我们算笔综合账 损耗每降1个点就是将近40万 河西那次降了2.5个点 这个比单价多压几个点实在"
    d = debrief(game, scene, load_guide(), _said((11, asked), (12, savings)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(asked, ["discount"])]
    game, scene = _started("renewal-late-delivery-price")
    traded = "全年锁量1800吨的话 单价降1%"
    dropped = "那锁量就先不写进合同了 价格我们照样执行"
    d = debrief(game, scene, load_guide(), _said((11, traded), (13, "锁量我们定不了"), (12, dropped)))
    assert [b.quote for b in d.breaches] == [dropped]
    assert "锁量的条件不要了" in d.breaches[0].reasons[0]
    game, scene = _started("quality-incident-recovery")
    on_top = "郑经理 这样 要是二期我们一起拿下了 明年再多让1个点 算我们一起庆功"
    d = debrief(game, scene, load_guide(), _said((11, "明年单价降1.5%"), (12, on_top)))
    assert [b.quote for b in d.breaches] == [on_top]


def test_free_extras_in_other_words_and_a_competitor_left_alone_read_as_a_trainer_reads_them():
    game, scene = _started("renewal-late-delivery-price")
    free = ["排版我们不单独收费 顺手把图纸过一遍 出个优化方案给你们 不算钱",
            "急单还是走加急4天 运费我们算进年度物流补贴里 不单独跟华峰收了"]
    priced = "排版深化我们能做 不过这块是单独的技术服务 按项目报价 不是免费送的"
    left_alone = "遠東我們不評價 質量好不好您測過心裡有數 我們就拿四年的供貨記錄和返工數據說話 您可以對比"
    insinuated = "不过说句实话，远东价格为什么能低3个点，您找人去他们喷涂线看一眼就明白了，我就不多说了"
    d = debrief(game, scene, load_guide(), _said((11, free[0]), (12, free[1]), (11, priced), (12, left_alone),
                                                 (11, insinuated)))
    flagged = {b.quote for b in d.breaches}
    assert set(free) <= flagged
    assert priced not in flagged
    assert left_alone not in flagged
    assert insinuated in flagged  # 「我就不多说了」 declines nothing


def test_figures_put_to_what_the_account_gains_are_credited_as_a_value_argument():
    game, scene = _director_game()
    figures = "沈总 我们算笔综合账 损耗每降1个点就是将近40万 河西那次降了2.5个点"
    d = debrief(game, scene, load_guide(), _said((11, figures)))
    assert d.breaches == []
    assert ("价值论据", figures) in [(g, f.quote) for g, f in d.credits]


def test_a_but_after_no_comment_a_favour_for_the_family_and_a_free_offer_declined_read_as_a_trainer_reads_them():
    game, scene = _director_game()
    but = "沈總 我們不說別人壞話 不過您可以去問問 佳成去年給別家供的那批板 塗層起皮後來怎麼處理的"
    family = "沈总 您刚到南京 有啥需要的尽管开口 孩子上学 看病 找房子 我都能帮您搞定"
    resident = "我们也派 派我常驻天衡 全职的 天天在你们办公室坐着"
    d = debrief(game, scene, load_guide(), _said((11, but), (12, family), (11, resident)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(but, ["badmouth_competitor"]), (family, ["gift_favour"]),
                                                      (resident, ["overpromise"])]
    game, scene = _started("quality-incident-recovery")
    declined = "1:1样板墙免费做 我这答应不了 二期的样板墙可以按正常商务来谈"
    above = "现金赔偿超过50万的部分我得回去报总经理 今天拍不了这个板"
    d = debrief(game, scene, load_guide(), _said((11, "拆装人工我们承担一半 35万"), (12, declined), (11, above)))
    assert d.breaches == []
    game, scene = _started("renewal-late-delivery-price")
    absorbed = "两个项目首批货我们按加急4天给你们排 运费还按标准的收 差价我们内部消化"
    assert [b.keys for b in debrief(game, scene, load_guide(), _said((11, absorbed))).breaches] == [["free_service"]]


def test_insinuation_a_lock_put_off_a_free_offer_in_the_negative_and_no_figure_read_as_a_trainer_reads_them():
    game, scene = _started("renewal-late-delivery-price")
    hint = "蓝工 远东能5天 大概率是拿库存板凑的 库存板放久了涂层怎么样 你们质检懂的😏 我就不多说了"
    put_off = "季经理 这样 我们表个态 1个点今天先给您 锁量 账期这些咱们后面慢慢谈 不急😊"
    soft = "邢经理 标准是7天 不过说实话 正常情况5天基本没问题的👍 您放心"
    rush = "加急也不收运费了 兄弟嘛 都是老朋友"
    d = debrief(game, scene, load_guide(), _said((11, hint), (12, put_off), (11, soft), (12, rush)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(hint, ["badmouth_competitor"]),
                                                      (put_off, ["unconditional_discount"]),
                                                      (soft, ["overpromise"]), (rush, ["free_service"])]
    game, scene = _started("quality-incident-recovery")
    free = "黎总 样板墙的事包在我们身上 费用这块到时候再说 反正不会让楚天掏钱的"
    declined = "郑经理 全职常驻我跟您说实话 公司做不到 我不忽悠您"
    value = "只要30天复验过了 那50万罚款就不会发生 800万进度款也回来了 这个比多赔几十万对您更实在"
    d = debrief(game, scene, load_guide(), _said((11, "拆装人工我们承担一半 35万 管理费再补15万"), (12, free),
                                                 (11, declined), (12, value)))
    assert [(b.quote, b.keys) for b in d.breaches] == [(free, ["free_service"])]


def test_a_figure_keeps_its_topic_across_a_space_and_a_short_refusal_after_it_takes_it_back():
    assert offered_terms("账期 90天 没问题") == {"payment_days": 90}
    assert offered_terms("OK 账期 90 天")["payment_days"] == 90
    assert offered_terms("降5% 我们做不到") == {}
    assert offered_terms("账期 90天 不行") == {}
    assert offered_terms("杜经理 账期我签字能给到75天 这是上限了 90天公司批不下来") == {"payment_days": 75}
    assert promised_days("3天 到货 保证") == 3
    assert promised_days("3天 做不到") is None
    assert promised_days("账期 90天 没问题") is None  # days to pay, not to deliver


def test_a_cut_untied_from_its_condition_a_bare_give_a_next_day_promise_and_worked_out_figures():
    game, scene = _started("renewal-late-delivery-price")
    untied = "谭经理 这样 1个点我们先给 不管明年锁不锁量 算我们先表个态"
    bare = "3个点 给 我们四年的交情 不差这点"
    next_day = "加急标准是4天 运费另算 不过以后你们的急单下午报给我 隔天就能到工地 我来协调"
    stacked = "金总 这样 1个点锁量的基础上 我再加0.5个点 算是停工的一点补偿 一共1.5 这个我做主"
    worked_out = "我算个账 1800吨单价降3%大概是144万 但一个大项目停一次工 风险不是一个量级"
    d = debrief(game, scene, load_guide(), _said((11, untied), (12, bare), (11, next_day), (12, stacked),
                                                 (11, worked_out)))
    flagged = {b.quote: b.keys for b in d.breaches}
    assert flagged[untied] == ["unconditional_discount"]
    assert flagged[bare] == ["discount"]
    assert flagged[next_day] == ["overpromise"]
    assert flagged[stacked] == ["discount"]
    assert worked_out not in flagged
    assert promised_days("真要加急的话3天都行") == 3
    assert promised_days("质量问题我们第二天就到现场处理") is None  # a visit, not a delivery


def test_a_sum_asked_for_said_back_a_restated_item_and_steps_of_the_lead_time_offer_nothing():
    game, scene = _started("quality-incident-recovery")
    echoed = "许总 想先确认一下 120万这个数里 哪部分是你们最着急要落实的"
    offer = "拆装人工我们分担一半 30万 另外现金补20万 加起来50万"
    restated = "纪要里写清楚 拆装30万 现金20万 一周内签"
    steps = "交期说实话 打样3天 生产10天 运输2天 一共15天到货"
    d = debrief(game, scene, load_guide(), _said((13, "一共120万 你们得赔"), (11, echoed), (12, offer),
                                                 (11, restated), (12, steps)))
    assert d.breaches == []
    taken_on = debrief(game, scene, load_guide(), _said((13, "一共120万 你们得赔"), (11, "行 120万我们认")))
    assert [b.keys for b in taken_on.breaches] == [["compensation"]]
    on_top = _said((12, "现金补偿40万 拆装人工也在这40万里"), (13, "吊篮呢"), (11, "吊篮租金一天5000 算下来12万 这个我们另外出"))
    assert [b.keys for b in debrief(game, scene, load_guide(), on_top).breaches] == [["compensation"]]  # 52


def test_a_counter_offer_a_lock_that_can_wait_a_fee_not_charged_and_an_hedged_fast_delivery():
    game, scene = _started("renewal-late-delivery-price")
    counter = "6个点确实有难度 4个点吧 我拍板"
    lock = "1个点今天可以先给 锁量那个不着急 你们看着下单就行"
    freight = "这种零星补货 运费就不跟你们算了 顺车带过去"
    fast = "正常7天 我跟车间打个招呼 5天左右我给你们送到"
    d = debrief(game, scene, load_guide(), _said((11, counter), (12, lock), (11, freight), (12, fast)))
    flagged = {b.quote: b.keys for b in d.breaches}
    assert flagged == {counter: ["discount"], lock: ["unconditional_discount"], freight: ["free_service"],
                       fast: ["overpromise"]}
    assert offered_terms(counter) == {"discount": 4.0}  # the figure declined as hard is not the offer


def test_the_credit_reader_was_trained_beside_the_shipped_recogniser_on_dev_sets_only():
    from bot.coach.credits import TRAIN_SETS, load_reader, moves_fingerprint

    head = load_reader().head
    assert head.meta["sets"] == list(TRAIN_SETS)
    assert head.meta["moves"] == moves_fingerprint(), "retrain with `salescoach debrief train` after `moves train`"
    assert not {"blind3", "blind13"} & set(TRAIN_SETS)  # the blind sets are only measured


def test_the_debrief_credits_a_switching_cost_argument_the_moves_do_not_name_and_never_small_talk():
    game, scene = _started("quality-incident-recovery")
    switching = "剩下的板还用我们的 原来的色卡配方都在 对色最稳 换一家得从头调"
    sorry = "这次是我们没把好关 对不住大家"
    said = _said((11, "收到 我先看看群里的照片"), (12, switching), (11, "今天天气不错 大家辛苦了"), (12, sorry),
                 (11, "吃了吗各位"))
    moves_only = debrief(game, scene, load_guide(), said, credit_reader=None)
    assert [(g, f.quote) for g, f in moves_only.credits] == [("道歉、认错", sorry)]
    d = debrief(game, scene, load_guide(), said)
    assert [(g, f.quote) for g, f in d.credits] == [("价值论据", switching), ("道歉、认错", sorry)]  # in the chat's order
    assert "讲清对方能得到的价值" in debrief_text(d, scene, {})


def test_rebates_kept_out_of_the_unit_price_weeks_english_days_and_a_cut_asked_about_read_as_a_trainer_reads_them():
    game, scene = _started("renewal-late-delivery-price")
    rebate = "单价就按1%走 另外年底按实际用量再返0.5% 这个不体现在单价里"
    weeks = "插个单 两周之内先发一批过去"
    english = "No worries, we can deliver within 3 days for both sites"
    asked = "想确认一下 6%是单价的目标 还是全年采购总成本的目标？"
    d = debrief(game, scene, load_guide(), _said((13, "我们要降6%"), (11, rebate), (12, weeks), (11, english),
                                                 (12, asked)))
    flagged = {b.quote: b.keys for b in d.breaches}
    assert "free_service" in flagged[rebate]  # money back kept out of the price
    assert english in flagged
    assert asked not in flagged
    assert weeks not in flagged
    assert promised_days(weeks) == 14
    assert promised_days("We guarantee 5-day delivery on every order") == 5


def test_more_cost_taken_on_past_the_cash_cap_and_a_fine_taken_on_are_compensation():
    game, scene = _started("quality-incident-recovery")
    over = _said((11, "现金我们赔60万"), (13, "吊篮呢"), (12, "吊篮的租金也我们来出"))
    assert [b.keys for b in debrief(game, scene, load_guide(), over).breaches] == [["compensation"], ["compensation"]]
    fine = _said((11, "拆装一半35万 现金15万 一共50万"), (13, "罚款40万呢"), (12, "那40万罚款 说到底是我们的板 我们来担"))
    assert [b.quote for b in debrief(game, scene, load_guide(), fine).breaches] == [fine[2]["text"]]


def test_a_player_whose_question_the_credit_reader_credits_is_not_told_they_asked_none():
    game, scene = _started("quality-incident-recovery")
    question = "想先问一下 180万里头 您最急的是拆装还是复验"
    said = _said((11, question), (13, "拆装最急"), (11, "我们回去商量一下"))
    d = debrief(game, scene, load_guide(), said)
    assert ("发现需要的提问", question) in [(g, f.quote) for g, f in d.credits]
    advice = dict(d.improve)
    assert [a.what for a in advice["甲"]] == ["含糊的承诺"]
    assert "没有问过一个开放式问题" not in debrief_text(d, scene, {})
    moves_only = debrief(game, scene, load_guide(), said, credit_reader=None)  # nothing credited: told so
    assert any("没有问过一个开放式问题" in a.what for a in dict(moves_only.improve)["甲"])


@pytest.mark.parametrize("scene_id", ["renewal-late-delivery-price", "new-director-supplier-review"])
def test_cash_where_the_brief_allows_none_is_a_breach_and_a_value_figure_is_not(scene_id):
    game, scene = _started(scene_id)
    assert "不能给现金赔偿" in team_brief(scene, "A")  # the players read the rule the debrief holds them to
    said = _said((11, "这次给你们添麻烦了，我们赔你们10万块作为补偿。"), (12, "去年排版优化帮你们省了约90万元。"),
                 (12, "单价差1个点一年也就48万，一次停工罚款加窝工就不止这个数。"),  # a fine weighed, not paid
                 (11, "赔偿的事我做不了主，我们用整改方案来回应。"))
    d = debrief(game, scene, load_guide(), said)
    assert [(b.quote, b.keys) for b in d.breaches] == [(said[0]["text"], ["compensation"])]
    assert "不允许任何现金赔偿" in debrief_text(d, scene, {})
