from bot.kb.clean import clean_text
from bot.kb.text import normalize, tokenize
from tests.conftest import SEEDS


def test_pinyin_annotations_are_removed_and_script_is_kept():
    text = "關(guān)系營銷攻略之與顧客關(guān)系"
    assert clean_text(text) == "關系營銷攻略之與顧客關系"
    assert normalize(text) == "关系营销攻略之与顾客关系"


def test_spam_chrome_page_runs_and_html_remnants_are_dropped():
    raw = "\n".join([
        "日本中文一二区有码在线_无码网站黑人在线观看_99久e精品热线免费",
        "上传人:b****1 文档编号:10215684 上传时间:2023-05-24 格式:DOCX 页数:13",
        "下载 相关 举报",
        "顾客价 值.docx_第1页",
        "第1页 / 共13页",
        "亲,该文档总共13页,全部预览完了,如果喜欢就下载吧!",
        "<p>顾客让渡价值是总价值与总成本之差。</p>?/FONT>",
        "copyright@ 2008-2023 冰点文库 网站版权所有",
        "经营许可证编号:鄂ICP备19020893号-2",
        "本文章鏈接:http://example.com/info/704",
        "12",
    ])
    assert clean_text(raw) == "顾客让渡价值是总价值与总成本之差。"


def test_a_promotional_sentence_inside_a_paragraph_is_cut_but_the_paragraph_stays():
    raw = "工业品企业同样需要树立品牌形象。品搜每年耗资五千万,为品牌直通车用户打造强势推广平台。品牌要长期经营。"
    assert clean_text(raw) == "工业品企业同样需要树立品牌形象。品牌要长期经营。"


def test_seed_pages_lose_their_chrome_but_keep_their_content():
    if not SEEDS.is_dir():
        import pytest

        pytest.skip("shared/seeds not present")
    seed = clean_text((SEEDS / "002_a713d424de09119d.txt").read_text(encoding="utf-8"))
    assert "文档编号" not in seed
    assert "冰点文库" not in seed
    assert "第1页" not in seed
    assert "安德森" in seed
    assert "盖尔" in seed
    spam = clean_text((SEEDS / "000_39d7dbb8a9237be0.txt").read_text(encoding="utf-8"))
    assert "无码" not in spam
    assert "(guān)" not in spam
    assert "聯想" in spam  # traditional script kept for display


def test_tokenize_matches_traditional_and_simplified_alike():
    assert set(tokenize("大客戶流失")) == set(tokenize("大客户流失"))
    assert "让渡" in "".join(tokenize("顧客讓渡價值"))


def test_the_particle_zhe_written_the_taiwan_way_matches_the_mainland_way():
    assert set(tokenize("隨著市場變化，接著跟進")) == set(tokenize("随着市场变化，接着跟进"))
    assert normalize("著名的顯著成效") == "著名的显著成效"  # 著 stays where simplified writes it too
