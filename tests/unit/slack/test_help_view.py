from __future__ import annotations

from bot.slack.views.help import Subcommand, help_message

from .blockkit import block_texts

COMMANDS = [Subcommand("join", "join", "sign up"), Subcommand("admin", "admin", "skills", True)]


def test_an_unknown_subcommand_is_echoed_cleaned_escaped_and_short() -> None:
    reply = help_message(COMMANDS, is_admin=False, unknown="\x1b[31mfoo\x07 <!channel>" + "x" * 60)
    intro = reply["blocks"][0]["text"]["text"]
    assert intro.startswith("I don't know `[31mfoo &lt;!channel&gt;xxx")
    assert "\x1b" not in block_texts(reply) and "\x07" not in block_texts(reply)
    assert "/mentor admin" not in block_texts(reply)
