from bot.store import Store


def test_state_survives_reopening_the_store(tmp_path):
    path = tmp_path / "state.sqlite"
    store = Store(path)
    store.set_user_lang(7, "zh-TW")
    aid = store.save_answer(7, 7, "客户一直催货怎么办？", ["shipment#0", "apology#1"])
    store.rate(aid, 7, 1)
    store.rate(aid, 7, -1)  # changing one's mind replaces the rating
    store.log_admin_action(1, "ingest", "report.pdf")
    store.close()

    again = Store(path)
    assert again.user_lang(7) == "zh-TW"
    assert again.user_lang(8) is None
    stored = again.answer(aid)
    assert stored.question == "客户一直催货怎么办？"
    assert stored.chunk_ids == ["shipment#0", "apology#1"]
    assert again.answer(aid + 100) is None
    assert again.ratings() == [(aid, 7, -1)]
    assert again.admin_actions() == [(1, "ingest", "report.pdf")]
