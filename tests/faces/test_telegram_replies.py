"""How the Telegram face renders a Reply from the shared flows: escaped HTML only when there is markup, and
buttons whose callback data is the actions' one encoding."""

from bot.chat.reply import Button, Reply, RpBrief, RpEnd, StAnswer, buttons, decode
from bot.telegram.context import keyboard
from bot.telegram.replies import _markup


def test_text_with_bold_is_escaped_html_and_text_without_markup_goes_out_as_written():
    assert _markup("**依据**：《R&D <新品> 报价》") == ("<b>依据</b>：《R&amp;D &lt;新品&gt; 报价》", "HTML")
    assert _markup("单价 < 成本 & 运费") == ("单价 < 成本 & 运费", None)


def test_buttons_carry_their_actions_encoded_and_links_as_urls():
    reply = Reply("x", buttons=buttons([Button("A", StAnswer("k1", 2)), Button("B", StAnswer("k1", 0))],
                                       [Button("brief", RpBrief("price-objection", "hard"))],
                                       [Button("end", RpEnd()), Button("open", url="https://t.me/coach_bot?start=exam")]))
    rows = keyboard(reply.buttons).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["A", "B"], ["brief"], ["end", "open"]]
    assert [decode(b.callback_data) for b in rows[0]] == [StAnswer("k1", 2), StAnswer("k1", 0)]
    assert rows[1][0].callback_data == "rp:d:price-objection:hard"
    assert rows[2][1].url == "https://t.me/coach_bot?start=exam"
    assert rows[2][1].callback_data is None
    assert keyboard(Reply("no buttons").buttons) is None
