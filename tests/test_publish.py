"""Publishing a content change (``make publish``): the running Rasa server takes the new
model without a restart, and a failed training or an unloadable model leaves the old one
serving."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

from switchboard import paths
from switchboard.bench_publish import add_example, copy_content, parsed_label, publish_env
from switchboard.served_model import RasaEndpoint, ReloadError, endpoint_file, running_endpoint
from switchboard.stack import Stack, StackConfig
from tests.helpers import free_port

pytestmark = pytest.mark.stack


class Served(NamedTuple):
    stack: Stack
    model: Path
    work: Path
    endpoint: RasaEndpoint


@pytest.fixture(scope="module")
def served(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("publish")
    model = work / "model.tar.gz"
    shutil.copy2(model_path, model)
    config = StackConfig(rasa_port=free_port(), data_dir=work / "var", model=model, log_dir=work / "logs")
    stack = Stack(config, only=["rasa"])
    stack.start()
    endpoint = running_endpoint(config.data_dir)
    try:
        assert endpoint is not None, f"the stack announced no Rasa server in {endpoint_file(config.data_dir)}"
        yield Served(stack, model, work, endpoint)
    finally:
        stack.stop()


def _publish(served: Served, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.publish", "--root", str(root)],
        cwd=paths.ROOT, env=publish_env(served.model, served.work / "var"), capture_output=True, text=True,
        timeout=900,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_stack_announces_its_rasa_server_to_its_owner_only(served: Served) -> None:
    announced = endpoint_file(served.work / "var")
    assert announced.stat().st_mode & 0o777 == 0o600, f"{announced} is readable by others: it holds the API token"
    assert served.endpoint.status()["model_file"], "the announced server does not answer /status"


def test_a_failed_training_keeps_the_old_model_serving(served: Served) -> None:
    root = copy_content(served.work / "broken")
    faq = root / "data" / "nlu" / "en" / "faq.yml"
    faq.write_text(faq.read_text(encoding="utf-8") + "  - intent: [unclosed\n", encoding="utf-8")
    model_id, digest = served.endpoint.status()["model_id"], _digest(served.model)

    result = _publish(served, root)

    assert result.returncode == 1, f"publish must fail on broken data:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "The model being served was not changed." in result.stderr, result.stderr[-2000:]
    assert served.endpoint.status()["model_id"] == model_id, "a failed training changed the served model"
    assert _digest(served.model) == digest, "a failed training overwrote the model file"
    assert parsed_label(served.endpoint.url, served.endpoint.token, "what are your opening hours?") == "faq/opening_hours"


def test_a_model_the_server_cannot_load_is_refused_and_the_old_one_keeps_serving(served: Served) -> None:
    model_id = served.endpoint.status()["model_id"]
    bogus = served.work / "not-a-model.tar.gz"
    bogus.write_bytes(b"this is not a model")
    with pytest.raises(ReloadError):
        served.endpoint.load(bogus)
    assert served.endpoint.status()["model_id"] == model_id
    assert parsed_label(served.endpoint.url, served.endpoint.token, "what are your opening hours?") == "faq/opening_hours"


def test_an_nlu_edit_is_served_by_the_running_server_without_a_restart(served: Served) -> None:
    root = copy_content(served.work / "edited")
    text = "quibblefrotz zanzibar tariffs for my sim abroad"
    add_example(root, "faq/roaming", text)
    rasa = served.stack.service("rasa").process
    model_id = served.endpoint.status()["model_id"]

    result = _publish(served, root)

    assert result.returncode == 0, f"publish failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert served.endpoint.status()["model_id"] != model_id, f"the server still serves the old model:\n{result.stdout[-2000:]}"
    assert rasa.poll() is None, "the Rasa server was restarted or died"
    assert parsed_label(served.endpoint.url, served.endpoint.token, text) == "faq/roaming", (
        "the new example is not what the server learned"
    )


@pytest.mark.parametrize(
    "text, entity",
    [("my date of birth is 14/06/1987", "date_of_birth"), ("four out of five", "rating"),
     ("我的路由器坏了", "device"), ("can we continue in french", "language")],
)
def test_the_served_model_extracts_entities(served: Served, text: str, entity: str) -> None:
    import requests

    reply = requests.post(f"{served.endpoint.url}/model/parse", params={"token": served.endpoint.token},
                          json={"text": text}, timeout=30)
    found = {e["entity"] for e in reply.json().get("entities") or []}
    assert entity in found, f"{text!r}: expected a {entity} entity, got {reply.json().get('entities')}"
