"""The text catalogue: every string in zh-CN, zh-TW and English, with the same placeholders in each."""

import re
import string

import pytest

from bot.chat.i18n import _STRINGS, COMMANDS, GROUP_COMMANDS, LANGS, t

HAN = re.compile(r"[\u4e00-\u9fff]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(_STRINGS))
def test_every_key_has_every_language_with_the_same_placeholders(key):
    table = _STRINGS[key]
    assert set(table) == set(LANGS), f"{key}: {sorted(set(LANGS) - set(table))} missing"
    assert all(table[lang].strip() for lang in LANGS), f"{key}: an empty string"
    fields = {lang: _fields(table[lang]) for lang in LANGS}
    assert fields["zh-TW"] == fields["zh-CN"] == fields["en"], f"{key}: {fields}"
    assert not HAN.search(table["en"]), f"{key}: Chinese in the English text"


def test_command_menus_list_the_same_commands_in_every_language():
    names = [c for c, _ in COMMANDS["zh-CN"]]
    for lang in LANGS:
        assert [c for c, _ in COMMANDS[lang]] == names
    assert not HAN.search("".join(d for _, d in COMMANDS["en"]))
    assert [c for c, _ in GROUP_COMMANDS["en"]] == [c for c, _ in GROUP_COMMANDS["zh-CN"]]
    assert not HAN.search("".join(d for _, d in GROUP_COMMANDS["en"]))


@pytest.mark.parametrize("lang", LANGS)
def test_help_names_every_command_of_the_private_menu(lang):
    text = t("help", lang, bot="coach_bot")
    missing = [c for c, _ in COMMANDS[lang] if c not in ("start",) and f"/{c}" not in text]
    assert missing == []
