"""Check (d): every response speaks every language, with the same placeholders and buttons.

The variation without a ``condition`` is English; the others carry
``condition: [{type: slot, name: language, value: <lang>}]``. A missing language makes
Rasa answer a French customer in English. A placeholder (``{amount}``) that differs from
English is filled with nothing or shown raw, and a different number of buttons offers
that language's customers other choices.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Dict, List

from switchboard.languages import DEFAULT_LANGUAGE, LANGUAGES
from switchboard.validation.findings import CheckResult, error, warning
from switchboard.validation.project import Project, Response, Variation

NAME = "responses"
TITLE = "Responses: a variation per language, placeholders as in English"
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def placeholders(text: str) -> List[str]:
    """The ``{name}`` placeholders of a text, sorted (repeats kept)."""
    return sorted(PLACEHOLDER.findall(text))


def _check(response: Response) -> CheckResult:
    result = CheckResult(NAME, TITLE)
    by_language: Dict[str, List[Variation]] = {}
    for variation in response.variations:
        by_language.setdefault(variation.language, []).append(variation)
    for language in sorted(set(by_language) - set(LANGUAGES)):
        result.findings.append(
            error(
                NAME,
                by_language[language][0].where,
                f"{response.name} has a variation for unknown language {language!r}",
                f"use one of {', '.join(LANGUAGES)} as the language condition's value",
            )
        )
    missing = [language for language in LANGUAGES if language not in by_language]
    if missing:
        english_hint = " (English is the variation without a condition)" if DEFAULT_LANGUAGE in missing else ""
        result.findings.append(
            error(
                NAME,
                response.where,
                f"{response.name} has no variation in {', '.join(missing)}{english_hint}",
                "add a variation with `condition: [{type: slot, name: language, value: <lang>}]` "
                "for each missing language, translated from the English text",
            )
        )
    english = by_language.get(DEFAULT_LANGUAGE, [])
    if not english:
        return result
    expected = placeholders(english[0].text)
    for language in LANGUAGES:
        variations = by_language.get(language, [])
        if len(variations) > 1 and language != DEFAULT_LANGUAGE:
            result.findings.append(
                warning(
                    NAME,
                    variations[1].where,
                    f"{response.name} has {len(variations)} variations in {language}; Rasa picks one at random",
                    "delete the extra variation unless the random choice is intended",
                )
            )
        for variation in variations:
            found = placeholders(variation.text)
            if found != expected:
                extra = sorted((Counter(found) - Counter(expected)).elements())
                lacking = sorted((Counter(expected) - Counter(found)).elements())
                detail = "; ".join(
                    part
                    for part in (
                        f"missing {' '.join(lacking)}" if lacking else "",
                        f"not in English: {' '.join(extra)}" if extra else "",
                    )
                    if part
                )
                result.findings.append(
                    error(
                        NAME,
                        variation.where,
                        f"{response.name} [{language}] placeholders differ from English ({detail})",
                        "keep every {placeholder} exactly as in English (same name, untranslated); "
                        "move it within the sentence as the language needs",
                        (english[0].where,),
                    )
                )
            if variation.buttons != english[0].buttons:
                result.findings.append(
                    error(
                        NAME,
                        variation.where,
                        f"{response.name} [{language}] has {variation.buttons} button(s), English has "
                        f"{english[0].buttons}",
                        "give every language the same buttons as English, with translated titles",
                        (english[0].where,),
                    )
                )
    return result


def run(project: Project) -> CheckResult:
    """Every response of the domain, in file order."""
    result = CheckResult(NAME, TITLE)
    for response in project.domain.responses.values():
        result.findings.extend(_check(response).findings)
    return result
