"""Speech layer benchmark: ``python -m voice.bench`` prints figures, asserts nothing.

STT, per engine and recording set: word error rate (``voice.scoring``: writing conventions
undone) and real-time factor (RTF) = processing time / audio duration, streaming in 100 ms
chunks with a fresh recogniser per recording (model loading is timed separately).
"pocketsphinx+whisper" is what an English call uses: Silero VAD ends each free-speech
utterance and Whisper tiny.en writes it; phrase-hint prompts use PocketSphinx's grammar.
RTF below 1 means faster than real time; 1/RTF is roughly the calls one core carries.
Both wall-clock and CPU-time RTF are printed: on a busy machine the CPU figure is
the one to compare.
TTS: time to render each prompt (cache disabled) and the prompt's duration.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from switchboard import paths
from voice import audio, models, scoring, stt, tts, whisper

DIGITS_WAV = paths.shared_data() / "speech" / "digits_en.wav"
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CARDS = Path("/usr/share/pocketsphinx/test/data/cards")
DIGITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero", "oh"]
PROMPTS = {
    "en": "Thank you for calling. Please say billing, technical support or an agent.",
    "fr": "Merci de votre appel. Dites facturation, support technique ou conseiller.",
    "ro": "Vă mulțumim pentru apel. Spuneți facturare, suport tehnic sau operator.",
    "uk": "Дякуємо за дзвінок. Скажіть рахунки, технічна підтримка або оператор.",
    "lt": "Ačiū, kad skambinate. Pasakykite sąskaitos, techninė pagalba arba operatorius.",
    "zh": "感谢您的来电。请说账单、技术支持或人工客服。",
}


def measure(make: Callable[[], stt.Recognizer], clips: Sequence[Tuple[bytes, str]]) -> Tuple[float, float, float, float]:
    """(WER, wall RTF, CPU RTF, seconds of audio) over ``clips`` of (audio, reference), a
    fresh recogniser per clip. The CPU time counts every thread of this process."""
    wall = cpu = 0.0
    hyps = []
    for pcm, _reference in clips:
        recognizer = make()
        start, start_cpu = time.perf_counter(), time.process_time()
        hyps.append(scoring.transcribe(recognizer, pcm + audio.silence(1000)))  # the caller's pause after speaking
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    seconds = sum(audio.duration_s(p) for p, _ in clips)
    return scoring.wer([r for _, r in clips], hyps), wall / seconds, cpu / seconds, seconds


def _sphinx_set(folder: Path, transcription: str) -> List[Tuple[bytes, str]]:
    refs = scoring.sphinx_transcriptions(folder / transcription)
    return [(audio.read_wav(folder / f"{uid}.wav"), ref) for uid, ref in refs.items()]


def _clips() -> List[Tuple[str, List[Tuple[bytes, str]]]]:
    sets = []
    if DIGITS_WAV.exists():
        sets.append(("digits_en.wav", [(audio.read_wav(DIGITS_WAV), scoring.DIGITS_REF)]))
    if LIBRIVOX.is_dir():
        sets.append(("librivox x5", _sphinx_set(LIBRIVOX, "transcription")))
    if CARDS.is_dir():
        sets.append(("cards x5", _sphinx_set(CARDS, "cards.transcription")))
    return sets


def bench_stt() -> None:
    """Print WER and real-time factors per engine and recording set."""
    clips = _clips()
    if not clips:
        print("no benchmark audio found")
        return
    engines: List[Tuple[str, Callable[[Optional[Sequence[str]]], stt.Recognizer]]] = [
        ("pocketsphinx en-us", lambda g: stt.PocketSphinxRecognizer(g)),
    ]
    start = time.perf_counter()
    stt.PocketSphinxRecognizer()
    print(f"pocketsphinx decoder init: {time.perf_counter() - start:.2f} s (per call)")
    if whisper.available():
        start = time.perf_counter()
        transcriber = whisper.WhisperTranscriber.shared()
        print(f"whisper tiny.en model load: {time.perf_counter() - start:.2f} s (once per process)")
        engines.append(("pocketsphinx+whisper", lambda g: whisper.WhisperRecognizer(
            stt.PocketSphinxRecognizer(g), transcriber, stt.FREE_SPEECH_HOLD_MS, g)))
    ko = models.packaged_model("ko")
    if ko is not None:
        start = time.perf_counter()
        model = stt.load_vosk_model(ko)
        print(f"vosk-ko model load: {time.perf_counter() - start:.2f} s (once per process)")
        engines.append(("vosk ko", lambda g: stt.VoskRecognizer(model, g)))
    print(f"\n{'engine':22} {'audio':14} {'mode':8} {'seconds':>8} {'WER':>6} {'RTF':>6} {'RTF cpu':>7}")
    for name, make in engines:
        for label, pairs in clips:
            modes = [("free", None)]
            if label.startswith("digits"):
                modes.append(("grammar", DIGITS if name.startswith("pocket") else ["제로", "원", "투"]))
            for mode, grammar in modes:
                error, wall, cpu, seconds = measure(lambda: make(grammar), pairs)
                shown = f"{error:6.3f}" if not name.startswith("vosk ko") else "   n/a"  # a Korean model on English
                print(f"{name:22} {label:14} {mode:8} {seconds:8.1f} {shown} {wall:6.3f} {cpu:7.3f}")


def bench_tts(backends: Sequence[str] = ("pyttsx3", "espeak-ng")) -> None:
    """Print TTS render time per prompt (CPU time leaves out the espeak-ng subprocess)."""
    print(f"\n{'backend':10} {'lang':4} {'render ms':>9} {'cpu ms':>7} {'audio s':>8}")
    for backend in backends:
        synth = tts.Synthesizer(backend, cache_size=0)
        synth.render("en", "warm up")
        for lang, text in PROMPTS.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            pcm = synth.render(lang, text)
            took, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            print(f"{backend:10} {lang:4} {1000 * took:9.1f} {1000 * cpu:7.1f} "
                  f"{audio.duration_s(pcm):8.2f}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(prog="python -m voice.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--skip-stt", action="store_true")
    parser.add_argument("--skip-tts", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_stt:
        bench_stt()
    if not args.skip_tts:
        bench_tts()
    return 0


if __name__ == "__main__":
    sys.exit(main())
