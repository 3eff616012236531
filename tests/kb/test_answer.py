"""Answers: extractive and cited offline; an LLM may write them, grounded in the passages."""

import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.kb.answer import NOT_FOUND, Answerer, format_plain
from bot.kb.index import KnowledgeBase
from bot.kb.retrieve import Retriever

from .test_index import CountingEmbedder, write


@pytest.fixture
def retriever(tmp_path):
    docs = tmp_path / "docs"
    write(docs, "shipment", "发货通知五要素",
          "发货时第一时间告诉客户以下五项：\n1. 产品规格和数量\n2. 发货时间\n3. 车号\n4. 司机电话\n5. 预计到达时间")
    write(docs, "apology", "道歉短信", "到货延误后，先诚恳道歉，说明原因，并承诺补救措施。")
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([docs])
    return Retriever(kb)


def test_offline_answer_quotes_the_list_and_cites_its_article(retriever):
    answer = Answerer(retriever).answer("发货时要告诉客户哪些事情？")
    assert not answer.by_llm
    text = format_plain(answer)
    assert "1. 产品规格和数量\n2. 发货时间\n3. 车号\n4. 司机电话\n5. 预计到达时间" in text
    assert "[1] 《发货通知五要素》· 要点" in text
    assert "seed.txt" not in text  # the seed's provenance stays in the front matter for maintainers


class RecordingModel(FakeListChatModel):
    seen: list = []

    def invoke(self, messages, *args, **kwargs):
        RecordingModel.seen = messages
        return super().invoke(messages, *args, **kwargs)


def test_llm_writes_the_answer_from_the_numbered_passages_only(retriever):
    model = RecordingModel(responses=["先告诉客户车号和司机电话 [1]，延误时要道歉 [2]。"])
    answer = Answerer(retriever, model).answer("发货时要告诉客户什么？")
    assert answer.by_llm
    assert answer.cited == [1, 2]
    system, user = RecordingModel.seen
    assert "只根据下面编号的资料回答" in system.content
    assert "[1] 《发货通知五要素》\n**要点**\n发货时第一时间告诉客户以下五项：\n1. 产品规格和数量" in user.content
    assert "发货时要告诉客户什么？" in user.content
    assert "先告诉客户车号" in format_plain(answer)


class BrokenModel(FakeListChatModel):
    def invoke(self, *args, **kwargs):
        raise TimeoutError("LLM server timed out")


def test_a_failing_llm_falls_back_to_the_offline_answer(retriever):
    answer = Answerer(retriever, BrokenModel(responses=["x"])).answer("发货时要告诉客户哪些事情？")
    assert not answer.by_llm
    assert "车号" in answer.text
    assert answer.cited == [1]


def test_no_passages_gives_a_helpful_not_found(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    write(tmp_path / "docs", "x", "标题", "内容足够长的一段文字，用来建立索引。")
    kb.ingest([tmp_path / "docs"])
    answer = Answerer(Retriever(kb)).answer("   ")
    assert format_plain(answer) == NOT_FOUND


# ----------------------------------------------------------------------------- answer units
LONG_ITEM = "这一条要展开讲清楚背景、做法和常见的坑，" * 6


SERVICE = """---
id: service
title: 售前、售中、售后服务策略
source: seed.txt
summary_en: Service before, during and after the sale.
---
## 售前服务策略
售前服务吸引客户注意。
1. 广告宣传：树立形象。
2. 提供咨询：加深认识。

## 售中服务策略
售中服务决定交易能否成功。
1. 主动传递信息：帮助决策。
2. 满足客户要求：提高满意度。

## 售后服务策略
售后服务提高忠诚度。
1. 包装送货：方便客户。
2. 主动回访：增强归属感。
"""


@pytest.fixture
def units_kb(tmp_path):
    docs = tmp_path / "docs"
    # A list long enough to be split over two passages: the answer must still carry all of it, from 1.
    write(docs, "defences", "减少大客户流失的五道防线",
          "守住大客户要靠五道防线：\n" + "\n".join(f"{n}. {name}：{LONG_ITEM}" for n, name in enumerate(
              ["顾问式销售", "做品牌", "打响品牌", "大客户标准服务", "大客户营销管理"], 1)))
    # Items that are separate sections of their own: 因素一 … 因素四.
    (docs / "factors.md").write_text("""---
id: factors
title: 影响客户满意程度的四个因素
source: seed.txt
summary_en: Four factors that shape how satisfied a customer is - product knowledge, relationship, promises kept, comparison.
---
客户满意程度受四个因素影响。

## 因素一：客户对产品的认知程度
客户越了解产品，越能感受到它的好处。

## 因素二：客户关系
让客户既把心交给你，也把钱交给你。

## 因素三：对客户的承诺
答应了就去做，做了就要有结果。**诺必践，践必果。**

## 因素四：满意度比较
客户会拿我们和对手比，要提醒客户我们好在哪里。
""", encoding="utf-8")
    (docs / "service.md").write_text(SERVICE, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([docs])
    return Retriever(kb)


def test_a_list_question_gets_the_whole_list_from_1_with_its_heading(units_kb):
    answer = Answerer(units_kb).answer("大客户老被挖走，有哪几道防线？")
    body = answer.text
    assert body.startswith("**要点**\n守住大客户要靠五道防线：")
    for n, name in enumerate(["顾问式销售", "做品牌", "打响品牌", "大客户标准服务", "大客户营销管理"], 1):
        assert f"{n}. {name}" in body
    assert len(body) <= 700
    assert answer.trimmed


def test_items_kept_in_separate_sections_come_together_for_a_list_question(units_kb):
    text = format_plain(Answerer(units_kb).answer("影响客户满不满意的因素有哪几个？"))
    assert "客户满意程度受四个因素影响。\n1. 客户对产品的认知程度：" in text
    assert "4. 满意度比较：" in text
    assert "**" not in text  # Markdown bold is plain in the terminal
    assert text.endswith("来源：\n[1] 《影响客户满意程度的四个因素》")


def test_parts_the_question_names_come_from_their_sibling_sections(units_kb):
    text = Answerer(units_kb).answer("售前、售中、售后各该做些啥服务？").text
    assert [h for h in ("售前服务策略", "售中服务策略", "售后服务策略") if h in text] == [
        "售前服务策略", "售中服务策略", "售后服务策略"]
    assert "2. 主动回访" in text


def test_citations_are_numbered_without_gaps_and_name_the_article(units_kb):
    answer = Answerer(units_kb).answer("对客户的承诺要怎么做到？")
    assert answer.cited == list(range(1, len(answer.cited) + 1))
    assert re.findall(r"\[(\d+)\]", answer.text) == [str(n) for n in answer.cited]
    assert format_plain(answer).splitlines()[-len(answer.cited):][0].startswith("[1] 《")


def test_an_english_question_gets_an_english_lead_then_the_chinese_passage(units_kb):
    answer = Answerer(units_kb).answer("Which factors decide how satisfied a customer is?")
    assert answer.body.startswith("Four factors that shape how satisfied a customer is")
    assert "our material is in chinese" in answer.body.lower()
    assert "1. 客户对产品的认知程度" in answer.body


def test_an_english_question_gets_the_article_at_a_glance(units_kb):
    """A question the article's sections answer about equally well, in English: the article's English summary
    and every section by its heading and items."""
    body = Answerer(units_kb).answer("How should we plan our service before, during and after the sale?").body
    assert body.startswith("Service before, during and after the sale.")
    for line in ("1. 售前服务策略：广告宣传、提供咨询", "2. 售中服务策略：主动传递信息、满足客户要求",
                 "3. 售后服务策略：包装送货、主动回访"):
        assert line in body


def test_an_english_question_finds_its_section_by_the_english_gloss_and_reads_it_first(tmp_path):
    """The articles gloss each section in English (front matter ``sections_en``): an English question meets the
    section in its own words, gets that section whole, and the gloss as its English lead."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "service.md").write_text(SERVICE.replace("summary_en: Service before, during and after the sale.\n", """\
summary_en: Service before, during and after the sale.
sections_en:
  "售前服务策略": "Before the sale, advertising builds the image and consultation deepens what the buyer knows."
  "售中服务策略": "During the sale, pass on information that helps the decision and meet the buyer's requests."
  "售后服务策略": "After the sale, package and deliver for convenience and make follow-up calls so buyers feel they belong."
"""), encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", CountingEmbedder())
    kb.ingest([docs])
    answer = Answerer(Retriever(kb), relevance=None).answer("Should I make follow-up calls once the goods are delivered?")
    assert answer.body.startswith("After the sale, package and deliver for convenience and make follow-up calls")
    assert "our material is in chinese" in answer.body.lower()
    assert "1. 包装送货：方便客户。\n2. 主动回访：增强归属感。" in answer.text
    assert "广告宣传" not in answer.text
    assert "主动传递信息" not in answer.text


class Refuse:
    """A relevance decision that finds nothing in scope."""

    def in_scope(self, signals, english):
        return False


def test_out_of_scope_questions_are_declined_with_the_closest_topics(units_kb):
    answer = Answerer(units_kb, relevance=Refuse()).answer("明天北京会下雨吗？")
    assert answer.declined
    assert not answer.found
    assert answer.text == ""
    text = format_plain(answer)
    assert text.startswith("知识库里没有这方面的内容")
    assert "相近话题" in text
    assert "《" in text
    assert len(answer.suggestions) == len(set(answer.suggestions)) >= 1


def test_the_llm_may_say_the_passages_do_not_answer(units_kb):
    answer = Answerer(units_kb, RecordingModel(responses=["NOT_IN_KB"])).answer("售后服务怎么做？")
    assert answer.declined
    assert format_plain(answer).startswith("知识库里没有这方面的内容")
    system, _ = RecordingModel.seen
    assert "NOT_IN_KB" in system.content


def test_relevance_decision_reads_its_features_and_threshold():
    import numpy as np

    from bot.kb.relevance import NAMES, Relevance

    dim = len(NAMES) + 3
    weights = np.zeros(dim, dtype=np.float32)
    weights[0] = 4.0  # only the best window's cosine matters in this toy model
    rel = Relevance(weights, 0.0, np.zeros(dim, np.float32), np.ones(dim, np.float32), 0.5, "x")
    close = {"window_cos": 0.9, "vector": np.zeros(3)}
    far = {"window_cos": -0.9, "vector": np.zeros(3)}
    assert rel.in_scope(close, False)
    assert not rel.in_scope(far, False)
    assert rel.in_scope({"bm25_words": 1.0}, False)  # no dense evidence: never refuse on a guess


def test_relevance_reads_the_article_choosers_confidence_and_does_without_it():
    """A question the article classifier spreads thinly over the articles is declined; with no chooser (another
    embedding model, a broken file) its confidence counts as the training mean and the rest decides."""
    import numpy as np

    from bot.kb.articles import confidence
    from bot.kb.relevance import NAMES, Relevance
    from bot.kb.retrieve import Passage

    dim = len(NAMES) + 3
    weights = np.zeros(dim, dtype=np.float32)
    weights[NAMES.index("article_top")] = 2.0
    mean = np.zeros(dim, np.float32)
    mean[NAMES.index("article_top")] = -1.0  # the training questions' mean log-probability
    rel = Relevance(weights, 0.0, mean, np.ones(dim, np.float32), 0.5, "x")
    passages = [Passage("…", "大客户流失", "a.md", "", "churn", "churn:0", 1.0)]
    sure = confidence({"churn": 0.9, "service": 0.05, "value": 0.05}, passages)
    unsure = confidence({"churn": 0.2, "service": 0.2, "value": 0.2, "tax": 0.2, "hr": 0.2}, passages)
    assert sure["article_first"] > unsure["article_first"]
    assert sure["article_entropy"] < unsure["article_entropy"]
    base = {"window_cos": 0.5, "vector": np.zeros(3)}
    assert rel.in_scope({**base, **sure}, False)
    assert not rel.in_scope({**base, **unsure}, False)
    assert rel.in_scope(base, False)  # no chooser: the mean, so only the other features decide (here: none)


def test_a_relevance_file_with_other_features_is_not_used(tmp_path, caplog):
    import numpy as np

    from bot.kb.relevance import Relevance

    old = tmp_path / "relevance.npz"  # the decision as saved before the chooser's confidence was a feature
    np.savez_compressed(old, weights=np.zeros(10), bias=0.0, mean=np.zeros(10), scale=np.ones(10), threshold=0.5,
                        embedder="multilingual-e5-small")
    assert Relevance.load(old) is None
    assert "salescoach answers train" in caplog.text
    (tmp_path / "broken.npz").write_bytes(b"not a numpy file")
    assert Relevance.load(tmp_path / "broken.npz") is None


def test_segmented_words_are_cached_until_the_segmenter_learns_a_word():
    from bot.kb.text import add_words
    from bot.kb.units import words

    before = words("翠鸟砼桩的交货期")
    assert "翠鸟砼桩" not in before
    assert words("翠鸟砼桩的交货期") is before  # cached: headings are segmented for every question
    add_words(["翠鸟砼桩"])
    assert "翠鸟砼桩" in words("翠鸟砼桩的交货期")
