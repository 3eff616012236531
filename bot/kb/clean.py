"""Clean real-world web text before it is chunked: spam, site chrome, page numbers, HTML remnants.

The cleaned text keeps its original script (traditional stays traditional) so passages are shown
as written; only pinyin annotations and mojibake are removed, since they are never content.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bot.kb.text import PINYIN_ANNOTATION, normalize

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
# What is left of a tag once a converter has eaten its "<": "?/FONT>", "/FONT>".
_BROKEN_TAG = re.compile(r"\??/?(?:FONT|font|SPAN|span|P|p|BR|br|DIV|div|STRONG|strong|B|b)>")
# Bytes a broken GBK/Big5 round-trip leaves behind, e.g. "?yōu)橐灶櫩" or "?!?".
_MOJIBAKE = re.compile(r"\?[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]*\)|[\ufffd]+|(?<=[\u4e00-\u9fff])\?(?=[\u4e00-\u9fff])")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\ufeff]")

# Whole lines that are site chrome, SEO, navigation, download prompts or legal boilerplate.
# Patterns are matched against the normalised (simplified, lower-case) line.
_CHROME_LINE = re.compile(
    r"""^(?:
        .*(?:上传人|文档编号|上传时间|点击次数|发布时间|浏览次数|阅读次数|关注[:：]\d|来源[:：]|作者[:：].*时间[:：]).* |
        .*(?:copyright|all\ rights\ reserved|版权所有|icp备|icp证|经营许可证|公网安备).* |
        .*(?:免责声明|本文(?:来源|转载)于?网络|版权归原作者|如有侵权|联系删除|仅供参考，不构成).* |
        (?:当前位置|您的位置|所在位置)[:：].* |
        .*(?:展开阅读全文|下载资源|资源描述|相关资源|猜你喜欢|相关搜索|资源标签|相关文章|上一篇|下一篇|返回顶部|
            立即下载|点击下载|免费下载|在线阅读|在线咨询|扫一扫|分享到|加入收藏|设为首页|联系我们|关于我们|网站地图).* |
        .*(?:该文档总共\d+页|全部预览完了|如果喜欢就下载|请在.{0,8}文库上搜索|珍藏版).* |
        .*(?:本文(?:章)?链接|原文链接|文章来源|转载请注明|滚动快讯|\[详细\]).* |
        (?:https?://|www\.)\S+ |
        (?:下载|相关|举报|收藏|分享|评论|打印|关闭|首页|登录|注册)(?:[\s|/·]+(?:下载|相关|举报|收藏|分享|评论|打印|关闭|首页|登录|注册))*\s* |
        第\s*\d+\s*页\s*(?:[/／]\s*共\s*\d+\s*页)? |
        .*_第\d+页 |
        (?:\d+\s*){1,}|(?:page\s*)?\d+\s*(?:of|/)\s*\d+ |
        \[?\s*(?:经典回眸|广告|推广)\s*\]?
    )$""",
    re.VERBOSE,
)
# Spam and SEO lines: adult/gambling keyword stuffing, often joined with underscores.
_SPAM_WORDS = re.compile(
    r"无码|有码|一区|二区|三区|av在线|黄色|成人视频|啪啪|色情|在线观看|免费观看|高清视频|彩票|博彩|"
    r"赌场|娱乐城|百家乐|时时彩|老虎机|代孕|办证|发票代开|贷款秒批|棋牌"
)
_PROMO_SENTENCE = re.compile(r"[^。！？!?\n]*(?:每年耗资|直通车用户|推广平台|加微信|加qq|热线电话|咨询热线)[^。！？!?\n]*[。！？!?]?")
_PHONE = re.compile(r"(?:电话|热线|咨询|tel)[^\n]{0,6}\d{3,4}[-\s]?\d{3,4}[-\s]?\d{3,4}", re.IGNORECASE)


def is_spam_line(line: str) -> bool:
    """Keyword-stuffed lines: two or more spam terms, or one in an underscore-joined tag list."""
    hits = len(_SPAM_WORDS.findall(line))
    return hits >= 2 or (hits >= 1 and line.count("_") >= 2)


def is_chrome_line(line: str) -> bool:
    n = normalize(line).strip()
    if not n:
        return False
    if _CHROME_LINE.match(n):
        return True
    # Short lines that are mostly a phone number or a bare file name are chrome, not content.
    return bool(len(n) < 40 and (_PHONE.search(n) or re.fullmatch(r"[\w\s.\-()（）]+\.(?:docx?|pdf|pptx?|xlsx?)", n)))


def clean_text(text: str) -> str:
    """Return the readable content of ``text``: one paragraph per line, chrome and spam removed."""
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text))
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    text = _TAG.sub("\n", text)
    text = _BROKEN_TAG.sub("", text)
    text = PINYIN_ANNOTATION.sub("", text)
    text = _MOJIBAKE.sub("", text)
    out: list[str] = []
    for raw in text.split("\n"):
        line = re.sub(r"[ \t]+", " ", raw).strip()
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        if is_spam_line(line) or is_chrome_line(line):
            continue
        line = _PROMO_SENTENCE.sub("", line).strip()
        if line:
            out.append(line)
    # Drop a line repeated many times (running headers and footers survive the rules above).
    counts: dict[str, int] = {}
    for line in out:
        if line and len(line) < 60:
            counts[line] = counts.get(line, 0) + 1
    repeated = {line for line, c in counts.items() if c >= 3}
    cleaned = [line for line in out if line not in repeated]
    return "\n".join(cleaned).strip()
