"""What ``make train`` and ``make publish`` show of Rasa's training output (switchboard/training_log.py)."""

from __future__ import annotations

import io
from pathlib import Path

from switchboard.paths import ROOT
from switchboard.training_log import TrainingLog, progress_line

SITE = "/venv/lib/python3.11/site-packages"
OUTPUT = f"""\
{SITE}/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call to `pkg_resources.declare_namespace('ruamel')`.
  declare_namespace(pkg)
2026-12-02 03:52:01.123456: I tensorflow/tsl/cuda/cudart_stub.cc:28] Could not find cuda drivers on your machine, GPU will not be used.
\x1b[93m{SITE}/rasa/shared/utils/io.py:100: UserWarning: You have defined training data with examples for training a response selector, but your NLU configuration does not include a response selector component. To train a model on your response selector data, add a 'ResponseSelector' to your configuration.
  More info at https://rasa.com/docs/rasa/components
\x1b[0m{SITE}/rasa/shared/utils/io.py:100: UserWarning: Slot 'mood' uses a mapping with an intent 'cheer_up' that is not in the domain.
2026-12-02 03:52:20 INFO     rasa.engine.training.hooks  - Starting to train component 'StoredCRFEntityExtractor'.
2026-12-02 03:52:30 INFO     rasa.engine.training.hooks  - Finished training component 'StoredCRFEntityExtractor'.
2026-12-02 03:52:31 INFO     rasa.engine.training.hooks  - Restored component 'TEDPolicy' from cache.
Traceback (most recent call last):
  File "components/intent_classifier.py", line 240, in train
ValueError: the classifier needs two labels
\x1b[92mYour Rasa model is trained and saved at '/tmp/.training-x/candidate.tar.gz'.\x1b[0m
"""


def test_progress_lines_name_the_component_and_whether_it_came_from_the_cache() -> None:
    lines = [progress_line(line) for line in OUTPUT.splitlines()]
    assert [line for line in lines if line] == [
        "  training StoredCRFEntityExtractor ...", "  TEDPolicy: unchanged, from Rasa's cache"]


def test_known_noise_is_explained_once_and_everything_else_is_shown(tmp_path: Path) -> None:
    console = io.StringIO()
    log = TrainingLog(ROOT, tmp_path / "logs" / "train.log", console)
    for line in OUTPUT.splitlines(keepends=True):
        log.feed(line)
    log.finish()
    shown = console.getvalue()
    assert "declare_namespace" not in shown and "cuda drivers" not in shown
    assert "add a 'ResponseSelector'" not in shown
    assert "known, filtered (1x): No ResponseSelector is configured on purpose" in shown
    assert "known, filtered (1x): Deprecation warnings of libraries" in shown
    assert "Slot 'mood' uses a mapping with an intent 'cheer_up' that is not in the domain." in shown, (
        "a warning the project does not know must reach the editor")
    assert "ValueError: the classifier needs two labels" in shown and "Traceback" in shown
    assert "candidate.tar.gz" not in shown, "the temporary model path would only confuse"
    assert shown.index("training StoredCRFEntityExtractor") < shown.index("Slot 'mood'"), "progress comes live"
    assert (tmp_path / "logs" / "train.log").read_text(encoding="utf-8") == OUTPUT
    assert shown.rstrip().endswith(f"Rasa's full output: {tmp_path / 'logs' / 'train.log'}")
