"""Rasa's CRF entity extractor, stored as its trained model instead of retrained at every load.

Rasa 3.6's ``CRFEntityExtractor`` persists its training set (``crf_dataset.json``, 11 MB
for this project's data) and trains the CRF again each time the model is loaded: about
ten seconds at every Rasa start and every ``PUT /model``. This subclass stores what
training produced, the CRFsuite model file of each tagger (entity, role, group), and
opens it at load. Extraction is Rasa's own, unchanged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken

logger = logging.getLogger(__name__)

ORDER_FILE = "crf_order.json"


def _model_file(tag_name: Text) -> Text:
    return f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class StoredCRFEntityExtractor(CRFEntityExtractor):
    """``CRFEntityExtractor`` whose trained taggers are saved and reopened, not retrained."""

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        """Write the order of the taggers and each tagger's CRFsuite model (not ``dataset``)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / ORDER_FILE).write_text(json.dumps(self.crf_order), encoding="utf-8")
            for tag_name, tagger in (self.entity_taggers or {}).items():
                trained = Path(tagger.modelfile.name)
                (model_dir / _model_file(tag_name)).write_bytes(trained.read_bytes())

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "StoredCRFEntityExtractor":
        """Open the stored taggers; an extractor that extracts nothing if there are none."""
        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = json.loads((model_dir / ORDER_FILE).read_text(encoding="utf-8"))
                taggers = {name: _open_tagger(model_dir / _model_file(name)) for name in crf_order}
        except (ValueError, FileNotFoundError):
            logger.warning(
                f"Failed to load {cls.__name__} from model storage. Resource '{resource.name}' doesn't exist."
            )
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers or None)
        extractor.crf_order = crf_order
        return extractor


def _open_tagger(path: Path) -> Any:
    """A ``sklearn_crfsuite.CRF`` that tags with the model file at ``path`` (copied to its own
    temporary file, which it deletes when it is collected)."""
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF()
    crf.modelfile.ensure_name()
    Path(crf.modelfile.name).write_bytes(path.read_bytes())
    return crf
