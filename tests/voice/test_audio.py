"""PCM validation, WAV reading/resampling, framing and energy helpers."""

from __future__ import annotations

import struct
import wave

import numpy as np
import pytest
import soxr

from tests.voice.conftest import DIGITS_WAV
from voice import audio
from voice.audio import AudioFormatError


def test_validate_accepts_even_s16le_bytes():
    assert audio.validate_pcm(bytearray(b"\x01\x00\x02\x00")) == b"\x01\x00\x02\x00"


@pytest.mark.parametrize(
    "pcm, kwargs, message",
    [
        (b"\x00\x00\x00", {}, "even byte count"),
        (b"\x00\x00", {"sample_rate": 8000}, "16000 Hz"),
        (b"\x00\x00", {"sample_rate": 44100}, "16000 Hz"),
        (b"\x00\x00", {"channels": 2}, "mono"),
        (b"\x00\x00", {"sample_width": 4}, "16-bit"),
        ("text", {}, "must be bytes"),
        ([0, 1], {}, "must be bytes"),
    ],
)
def test_validate_rejects_wrong_format(pcm, kwargs, message):
    with pytest.raises(AudioFormatError, match=message):
        audio.validate_pcm(pcm, **kwargs)


def test_read_wav_keeps_16k_mono_as_is(digits_pcm):
    with wave.open(str(DIGITS_WAV)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16000, 1, 2)
        assert digits_pcm == reader.readframes(reader.getnframes())


def test_read_wav_downmixes_and_resamples_44k_stereo(tmp_path, digits_pcm):
    samples = np.frombuffer(digits_pcm, dtype="<i2")
    upsampled = soxr.resample(samples.astype(np.float32) / 32768, 16000, 44100)
    stereo = np.stack([upsampled, upsampled], axis=1)
    path = tmp_path / "stereo44k.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(44100)
        writer.writeframes((stereo * 32767).astype("<i2").tobytes())

    pcm = audio.read_wav(path)

    back = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    assert abs(len(back) - len(samples)) <= 2
    n = min(len(back), len(samples))
    correlation = np.corrcoef(back[:n], samples[:n].astype(np.float64))[0, 1]
    assert correlation > 0.99


def test_read_wav_from_bytes_and_8bit(tmp_path):
    path = tmp_path / "u8.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(16000)
        writer.writeframes(bytes([128, 255, 0, 128]))
    pcm = audio.read_wav(path.read_bytes())
    assert np.frombuffer(pcm, dtype="<i2").tolist() == [0, 127 * 256, -128 * 256, 0]


def test_read_wav_rejects_float_wav(tmp_path):
    data = struct.pack("<4f", 0.0, 0.5, -0.5, 0.0)
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 16000 * 4, 4, 32)  # WAVE_FORMAT_IEEE_FLOAT
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(data)) + data)
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(AudioFormatError, match="not a PCM WAV"):
        audio.read_wav(path)


def test_read_wav_rejects_non_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(AudioFormatError):
        audio.read_wav(path)


def test_write_then_read_round_trip(tmp_path, digits_pcm):
    path = tmp_path / "copy.wav"
    audio.write_wav(path, digits_pcm)
    assert audio.read_wav(path) == digits_pcm


def test_split_frames_20ms(digits_pcm):
    frames = list(audio.split_frames(digits_pcm[:6500]))
    assert [len(f) for f in frames] == [640] * 10 + [100]
    assert b"".join(frames) == digits_pcm[:6500]
    padded = list(audio.split_frames(digits_pcm[:6500], pad=True))
    assert len(padded[-1]) == 640 and padded[-1].endswith(bytes(540))


def test_energy_of_silence_and_speech(digits_pcm):
    assert audio.rms(audio.silence(20)) == 0.0
    assert audio.dbfs(audio.silence(20)) == float("-inf")
    full_scale = struct.pack("<2h", 32767, -32767) * 160
    assert audio.dbfs(full_scale) == pytest.approx(0.0, abs=0.01)
    frames = list(audio.split_frames(digits_pcm))
    # digits_en.wav: 0.9 s of room noise, then "one zero zero zero one".
    assert not any(audio.is_speech(f) for f in frames[:40])
    assert sum(audio.is_speech(f) for f in frames[40:140]) > 50
    assert audio.duration_s(digits_pcm) == pytest.approx(8.308, abs=0.001)


def test_speech_detector_needs_a_run_of_loud_frames(digits_pcm):
    detector = audio.SpeechDetector(min_speech_ms=100)
    frames = list(audio.split_frames(digits_pcm))
    assert not any(detector.update(f) for f in frames[:40])  # noise only
    fired_at = next(i for i, f in enumerate(frames[40:], start=40) if detector.update(f))
    loud = [audio.is_speech(f) for f in frames[fired_at - 4 : fired_at + 1]]
    assert loud == [True] * 5  # fired on the 5th consecutive 20 ms speech frame
    detector.reset()
    assert not detector.update(frames[fired_at])
