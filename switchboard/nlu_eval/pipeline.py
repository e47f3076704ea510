"""``config.yml``'s NLU pipeline, trained and run in this process.

Evaluation trains the pipeline once per fold. ``rasa train`` would also build the
dialogue graph, fingerprint and package a model per fold, then parse one message at a
time; here the same components, with the same settings and in the same order, are
created from Rasa's component registry, trained in sequence and run on batches.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from switchboard import paths

ComponentConfig = Dict[str, Any]


CLASSIFIER = "components.intent_classifier.MultilingualIntentClassifier"


def pipeline_config(config_file: Path = paths.ROOT / "config.yml") -> List[ComponentConfig]:
    """The ``pipeline`` entries of a Rasa config file."""
    return list(yaml.safe_load(config_file.read_text(encoding="utf-8"))["pipeline"])


def reading_cache_at_parse(config: List[ComponentConfig]) -> List[ComponentConfig]:
    """``config`` with the classifier reading training examples' vectors from the embedding
    cache when it parses them (cross-validation parses only training examples)."""
    return [{**spec, "read_cache_at_parse": True} if spec["name"] == CLASSIFIER else spec for spec in config]


class InProcessPipeline:
    """An NLU pipeline whose components are trained and applied in order, in memory."""

    def __init__(self, components: List[ComponentConfig], storage_dir: Optional[Path] = None) -> None:
        """``components`` as in ``config.yml``; trained parts are written under ``storage_dir``."""
        self._owned_dir = None if storage_dir else tempfile.TemporaryDirectory(prefix="nlu-pipeline-")
        self._storage = LocalModelStorage(Path(storage_dir or self._owned_dir.name))
        self._context = ExecutionContext(GraphSchema({}), model_id="in-process")
        self._specs = [dict(spec) for spec in components]
        self._components: List[Any] = []

    def _create(self, index: int, spec: ComponentConfig) -> Any:
        registered = DefaultV1Recipe._from_registry(spec["name"])
        settings = {key: value for key, value in spec.items() if key != "name"}
        config = {**registered.clazz.get_default_config(), **settings}
        node = f"{index}_{registered.clazz.__name__}"
        return registered.clazz.create(config, self._storage, Resource(node), self._context)

    def train(self, training_data: TrainingData) -> None:
        """Train each component on the training data as the components before it left it."""
        self._components = []
        for index, spec in enumerate(self._specs):
            component = self._create(index, spec)
            if hasattr(component, "train"):
                component.train(training_data)
            if hasattr(component, "process_training_data"):
                training_data = component.process_training_data(training_data)
            self._components.append(component)

    def parse(self, texts: List[str]) -> List[Message]:
        """The parsed messages of ``texts`` (intent, ranking, entities, response selector)."""
        if not self._components:
            raise RuntimeError("train the pipeline before parsing")
        messages = [Message(data={"text": text}) for text in texts]
        for component in self._components:
            messages = component.process(messages)
        return messages

    def component(self, name: str) -> Any:
        """The trained component whose class is called ``name``."""
        for component in self._components:
            if type(component).__name__ == name:
                return component
        raise KeyError(name)

    def close(self) -> None:
        """Remove the temporary storage, if this pipeline made it."""
        if self._owned_dir is not None:
            self._owned_dir.cleanup()
