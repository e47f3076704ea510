"""Comparing the NLU figures of two content versions (switchboard/nlu_eval/compare.py)."""

from pathlib import Path

import pytest

from switchboard.languages import LANGUAGES
from switchboard.nlu_eval import compare


def test_a_revisions_data_is_read_from_git_without_touching_the_checkout(tmp_path: Path) -> None:
    root = compare.export_data("HEAD", tmp_path)
    assert sorted(p.name for p in (root / "data" / "nlu").iterdir() if p.is_dir()) == sorted(LANGUAGES)
    assert (root / "data" / "nlu" / "en" / "faq.yml").is_file()


def test_an_unknown_revision_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read data/ at 'no-such-revision'"):
        compare.export_data("no-such-revision", tmp_path)


def test_the_table_shows_both_figures_and_the_change_in_points() -> None:
    base = {language: {"in_scope_macro_f1": 0.92, "macro_f1": 0.91} for language in LANGUAGES}
    head = {language: {"in_scope_macro_f1": 0.9145, "macro_f1": 0.90} for language in LANGUAGES}
    lines = compare.table(base, head, "abc123").splitlines()
    assert "abc123 -> this checkout" in lines[0]
    assert lines[1].split()[:5] == ["en", "0.9200", "->", "0.9145", "(-0.55)"]
    assert len(lines) == 1 + len(LANGUAGES)


def test_seeds_that_are_not_numbers_are_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--base", "HEAD", "--seeds", "1,x"])
    assert exit_info.value.code == 2
    assert "--seeds takes whole numbers" in capsys.readouterr().err
