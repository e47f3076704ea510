"""Content rules the content team relies on: every response in six languages, enough
NLU examples per intent and language, placeholders kept in translations."""

import re
from collections import Counter

import pytest
import yaml

from switchboard.paths import ROOT

LANGUAGES = ("en", "fr", "ro", "uk", "lt", "zh")
MINIMUM_EXAMPLES = {"en": 30, "fr": 12, "ro": 12, "uk": 12, "lt": 12, "zh": 12}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _responses():
    for path in sorted((ROOT / "domain").glob("*.yml")):
        for name, variations in (yaml.safe_load(path.read_text()) or {}).get("responses", {}).items():
            yield path.name, name, variations


def _language(variation) -> str:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return condition["value"]
    return "en"


@pytest.mark.parametrize("file, name, variations", list(_responses()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_response_has_all_six_languages_with_the_same_placeholders(file, name, variations) -> None:
    by_language = {_language(v): v for v in variations}
    assert sorted(by_language) == sorted(LANGUAGES), f"{file}: {name} lacks {set(LANGUAGES) - set(by_language)}"
    english = by_language["en"]
    for language, variation in by_language.items():
        assert sorted(PLACEHOLDER.findall(variation["text"])) == sorted(PLACEHOLDER.findall(english["text"])), (
            f"{file}: {name} [{language}] placeholders differ from English"
        )
        assert len(variation.get("buttons") or []) == len(english.get("buttons") or []), f"{name} [{language}] buttons"


def _examples(language: str) -> Counter:
    counts: Counter = Counter()
    for path in (ROOT / "data" / "nlu" / language).glob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" in block:
                counts[block["intent"]] += sum(
                    1 for line in block["examples"].splitlines() if line.strip().startswith("- ")
                )
    return counts


def _domain_intents() -> set:
    return set(yaml.safe_load((ROOT / "domain" / "core.yml").read_text())["intents"]) - {"nlu_fallback", "faq"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_enough_examples_per_intent(language) -> None:
    counts = _examples(language)
    faq_topics = {name for name in _examples("en") if name.startswith("faq/")}
    assert len(faq_topics) >= 25
    for intent in sorted(_domain_intents() | faq_topics):
        assert counts[intent] >= MINIMUM_EXAMPLES[language], f"{language}: {intent} has {counts[intent]} examples"


def test_no_example_is_under_two_intents() -> None:
    seen = {}
    strip = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")
    for language in LANGUAGES:
        for path in (ROOT / "data" / "nlu" / language).glob("*.yml"):
            for block in yaml.safe_load(path.read_text()).get("nlu", []):
                for line in block.get("examples", "").splitlines():
                    text = strip.sub(r"\1", line.strip()[2:]).strip().lower()
                    if text:
                        assert seen.setdefault(text, block["intent"]) == block["intent"], f"{text!r} in two intents"
