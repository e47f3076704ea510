"""How long a content edit takes to reach customers: ``make bench-publish``.

Starts a Rasa server (as the stack does) on a copy of this checkout's content, adds one
new English FAQ example to the copy, runs ``python -m switchboard.publish`` against it
and stops the clock when the running server parses the new example as its topic.
The example's text is new each run, so its embedding is computed, not read from cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict

import requests

from switchboard import paths
from switchboard.ports import free_port
from switchboard.served_model import endpoint_file, running_endpoint
from switchboard.stack import Stack, StackConfig

CONTENT = ("config.yml", "domain", "data")
TOPIC = "faq/opening_hours"


def copy_content(destination: Path, root: Path = paths.ROOT) -> Path:
    """A copy of ``root``'s config, domain and data in ``destination``; returns it."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in CONTENT:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy2(source, destination / name)
    return destination


def add_example(root: Path, intent: str, text: str, language: str = "en") -> None:
    """Append ``text`` to ``intent``'s examples in ``root``'s ``faq.yml`` of ``language``."""
    path = root / "data" / "nlu" / language / "faq.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- intent: {intent}")
    block = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("examples:"))
    lines.insert(block + 1, f"      - {text}\n")
    path.write_text("".join(lines), encoding="utf-8")


def publish_env(model: Path, data_dir: Path) -> Dict[str, str]:
    """The environment under which publish trains ``model`` and finds the stack using ``data_dir``."""
    return {**os.environ, "SWITCHBOARD_MODEL": str(model), "SWITCHBOARD_DATA_DIR": str(data_dir)}


def parsed_label(url: str, token: str, text: str) -> str:
    """The full label (``faq/<topic>`` for FAQs) the server at ``url`` gives ``text``."""
    reply = requests.post(f"{url}/model/parse", params={"token": token}, json={"text": text}, timeout=30)
    reply.raise_for_status()
    result = reply.json()
    intent = (result.get("intent") or {}).get("name") or ""
    if intent == "faq":
        selected = ((result.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return selected.get("intent_response_key") or intent
    return intent


def main() -> int:
    """Run the measurement once and print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as scratch:
        work = Path(scratch)
        root = copy_content(work / "content")
        model = work / "model.tar.gz"
        shutil.copy2(paths.model_path(), model)
        config = StackConfig(rasa_port=free_port(), data_dir=work / "var", model=model, log_dir=work / "logs")
        stack = Stack(config, only=["rasa"])
        stack.start()
        try:
            endpoint = running_endpoint(config.data_dir)
            assert endpoint is not None, f"no endpoint announced in {endpoint_file(config.data_dir)}"
            text = f"what time does the {uuid.uuid4().hex[:6]} store near the station open on weekdays"
            before = parsed_label(endpoint.url, endpoint.token, text)
            add_example(root, TOPIC, text)
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "switchboard.publish", "--root", str(root)],
                cwd=paths.ROOT, env=publish_env(model, config.data_dir),
            )
            elapsed = time.monotonic() - started
            after = parsed_label(endpoint.url, endpoint.token, text)
        finally:
            stack.stop()
    print(f"\nNLU-only edit (one new {TOPIC} example) -> served by the running Rasa server")
    print(f"  publish exit status   {result.returncode}")
    print(f"  before / after parse  {before} / {after}")
    print(f"  edit to served        {elapsed:.1f} s   (goal: <= 90 s on 2 cores)")
    return 0 if result.returncode == 0 and after == TOPIC else 1


if __name__ == "__main__":
    sys.exit(main())
