"""What callers hear for the bot's replies, and what the bot gets for what callers say."""

from voice.menu import language_choice, menu_choice
from voice.speech_text import button_grammar, choice_for, speakable, spoken_digits

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_buttons_become_a_numbered_menu_and_emoji_and_links_are_dropped() -> None:
    reply = {"text": "Is that right? 👍 See https://example.com/help", "buttons": BUTTONS}
    assert speakable(reply, "en") == "Is that right? See Say or press 1 for Yes. Say or press 2 for No."
    assert speakable(reply, "fr").endswith("Dites ou tapez 2 pour No.")


def test_a_voice_variant_wins_over_the_chat_text() -> None:
    assert speakable({"text": "A long chat answer …", "custom": {"voice": "Short."}}, "en") == "Short."


def test_callers_answer_buttons_by_key_number_word_or_title() -> None:
    assert choice_for("2", BUTTONS) == "/deny"
    assert choice_for("one", BUTTONS) == "/affirm"
    assert choice_for("yes please", BUTTONS) == "/affirm"
    assert choice_for("maybe", BUTTONS) is None
    assert button_grammar(BUTTONS) == ["yes", "no", "one", "two"]


def test_spoken_digit_runs_become_numbers() -> None:
    said = "one zero zero zero one nine oh two one oh zero one eight zero three"
    assert spoken_digits(said) == "100019021001803"
    assert spoken_digits("I want one thing") == "I want one thing"


def test_menus_by_key_and_by_words_in_the_callers_language() -> None:
    assert menu_choice("4", "en").intent == "complain"
    assert menu_choice("j'ai une question de facturation", "fr").key == "1"
    assert menu_choice("我要投诉", "zh").key == "4"
    assert menu_choice("tell me a joke", "en") is None
    assert language_choice("français") == "fr" and language_choice("6") == "zh" and language_choice("klingon") is None
