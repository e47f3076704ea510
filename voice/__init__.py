"""Voice channel: Vosk streaming speech-to-text, pyttsx3 speech and the call flow (to come)."""
