"""The entity half of the pipeline: TokenPatternMarker feeds the CRF, StoredCRFEntityExtractor
keeps the trained CRF, and the fingerprint speed-up keeps Rasa's cache keys sound."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.multilingual_tokenizer import MultilingualTokenizer
from components.stored_crf import StoredCRFEntityExtractor
from components.token_patterns import TokenPatternMarker
from switchboard import rasa_speedups

DEVICES = ["router", "phone", "modem", "laptop", "tv box", "tablet"]
TEMPLATES = ["my {} is broken", "the {} keeps rebooting", "is the {} covered", "help with my {} please"]
REGEXES = [{"name": "rating_value", "pattern": r"\b[1-5]\b"}]


def _annotated(text: str, value: str) -> Message:
    start = text.index(value)
    return Message(data={"text": text, "intent": "report", "entities": [
        {"entity": "device", "start": start, "end": start + len(value), "value": value}]})


def _training_data() -> TrainingData:
    examples = [_annotated(t.format(d), d) for t in TEMPLATES for d in DEVICES]
    examples += [Message(data={"text": f"I give it {n} out of 5", "intent": "rate"}) for n in range(1, 5)]
    return TrainingData(training_examples=examples, regex_features=REGEXES)


def _storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir(exist_ok=True)
    return LocalModelStorage(tmp_path / "storage")


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), model_id="test")


def _prepared(messages_or_data, marker: TokenPatternMarker):
    """Tokenize and mark a TrainingData (in place) or a list of messages (returned)."""
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    if isinstance(messages_or_data, TrainingData):
        tokenizer.process_training_data(messages_or_data)
        return marker.process_training_data(messages_or_data)
    return marker.process(tokenizer.process(messages_or_data))


def _trained(tmp_path: Path):
    storage = _storage(tmp_path)
    marker = TokenPatternMarker.create({}, storage, Resource("marker"), _context())
    data = _training_data()
    marker.train(data)
    data = _prepared(data, marker)
    config = {**StoredCRFEntityExtractor.get_default_config()}
    crf = StoredCRFEntityExtractor.create(config, storage, Resource("crf"), _context())
    crf.train(data)
    return storage, marker, config, crf


def _devices(crf, marker, texts: List[str]) -> List[List[str]]:
    parsed = crf.process(_prepared([Message(data={"text": t}) for t in texts], marker))
    return [[e["value"] for e in m.get("entities", []) if e["entity"] == "device"] for m in parsed]


def test_the_marker_gives_every_message_a_row_of_matched_patterns(tmp_path: Path) -> None:
    marker = TokenPatternMarker.create({}, _storage(tmp_path), Resource("marker"), _context())
    marker.train(_training_data())
    [rated, plain] = _prepared([Message(data={"text": "I give it 4 out of 5"}), Message(data={"text": "hello"})], marker)
    assert rated.features_present("text") and plain.features_present("text"), "the CRF skips featureless messages"
    [row] = [f.features for f in rated.features if f.type == "sentence"]
    assert row.shape == (1, 1) and row.toarray().tolist() == [[1.0]]
    assert plain.features[0].features.nnz == 0
    assert {t.text: t.get("pattern") for t in rated.get("text_tokens")}["4"] == {"rating_value": True}


def test_the_crf_learns_without_a_rasa_featurizer_in_the_pipeline(tmp_path: Path) -> None:
    _storage_, marker, _config, crf = _trained(tmp_path)
    assert _devices(crf, marker, ["my router is broken", "the modem keeps rebooting"]) == [["router"], ["modem"]]


def test_a_stored_crf_loads_without_training_again_and_tags_the_same(tmp_path: Path, monkeypatch) -> None:
    storage, marker, config, crf = _trained(tmp_path)
    texts = ["my laptop is broken", "help with my tablet please", "is the phone covered", "I give it 3 out of 5"]
    before = _devices(crf, marker, texts)
    stored = sorted(p.name for p in (tmp_path / "storage" / "crf").iterdir())
    assert stored == ["crf_entity.crfsuite", "crf_order.json"], "the trained model is stored, not the training set"

    def no_training(*args, **kwargs):
        raise AssertionError("loading a stored CRF must not train it")

    monkeypatch.setattr(CRFEntityExtractor, "train_model", classmethod(no_training))
    loaded = StoredCRFEntityExtractor.load(config, storage, Resource("crf"), _context())
    assert _devices(loaded, marker, texts) == before == [["laptop"], ["tablet"], ["phone"], []]


def test_a_missing_resource_loads_an_extractor_that_finds_nothing(tmp_path: Path, caplog) -> None:
    config = StoredCRFEntityExtractor.get_default_config()
    loaded = StoredCRFEntityExtractor.load(config, _storage(tmp_path), Resource("absent"), _context())
    marker = TokenPatternMarker.create({}, _storage(tmp_path), Resource("marker"), _context())
    assert _devices(loaded, marker, ["my router is broken"]) == [[]]
    assert "Failed to load StoredCRFEntityExtractor" in caplog.text


@pytest.mark.parametrize("change", [
    {"text": "routers"}, {"start": 1}, {"end": 7}, {"lemma": "route"}, {"data": {"pattern": {"x": True}}},
])
def test_the_fast_token_fingerprint_changes_with_every_field(change: dict) -> None:
    fields = {"text": "router", "start": 0, "end": 6, "lemma": None, "data": {"pattern": {}}}
    token = Token(fields["text"], fields["start"], fields["end"], dict(fields["data"]), fields["lemma"])
    same = Token(fields["text"], fields["start"], fields["end"], dict(fields["data"]), fields["lemma"])
    changed_fields = {**fields, **change}
    changed = Token(changed_fields["text"], changed_fields["start"], changed_fields["end"],
                    dict(changed_fields["data"]), changed_fields["lemma"])
    assert rasa_speedups.token_fingerprint(token) == rasa_speedups.token_fingerprint(same)
    assert rasa_speedups.token_fingerprint(token) != rasa_speedups.token_fingerprint(changed)


def test_the_speed_ups_install_once(monkeypatch) -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    monkeypatch.setattr(Token, "fingerprint", Token.fingerprint)  # undone after the test
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.delattr(Token, rasa_speedups._PATCHED, raising=False)
    rasa_speedups.apply()
    rasa_speedups.apply()
    assert Token.fingerprint is rasa_speedups.token_fingerprint
    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result
    token = Token("兆", 0, 1, {"b": 1, "a": 2})
    assert token.fingerprint() == rasa_speedups.token_fingerprint(token)
    assert Event.resolve_by_type("slot") is rasa_speedups.resolve_event_type("slot")


def test_event_types_resolve_as_rasa_resolves_them(monkeypatch) -> None:
    from rasa.shared.core import events
    from rasa.shared.utils.common import all_subclasses

    rasa_resolve = events.Event.__dict__["resolve_by_type"].__func__
    if rasa_resolve is rasa_speedups.resolve_event_type:  # installed by another test: use the saved one
        rasa_resolve = rasa_speedups._RASA_RESOLVE_BY_TYPE
    monkeypatch.setattr(rasa_speedups, "_RASA_RESOLVE_BY_TYPE", rasa_resolve)
    monkeypatch.setattr(rasa_speedups, "_EVENT_TYPES", {})
    for cls in all_subclasses(events.Event):
        for _ in range(2):  # the second lookup comes from the remembered classes
            assert rasa_speedups.resolve_event_type(cls.type_name) is rasa_resolve(cls.type_name)
    assert rasa_speedups.resolve_event_type("topic") is None
    assert rasa_speedups.resolve_event_type("no_such_event", events.SlotSet) is events.SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        rasa_speedups.resolve_event_type("no_such_event")
    restored = events.Event.from_parameters({"event": "slot", "name": "language", "value": "fr"})
    assert restored == events.SlotSet("language", "fr")


def test_the_action_result_validator_is_built_once_and_still_refuses_bad_responses(monkeypatch) -> None:
    import jsonschema
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    rasa_speedups._action_result_validator.cache_clear()
    checks = []
    cls = validator_for(RemoteAction.action_response_format_spec())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, schema: checks.append(schema)))
    good = {"events": [{"event": "slot", "name": "language", "value": "fr"}], "responses": [{"text": "Bonjour"}]}
    assert all(rasa_speedups.validate_action_result(None, good) for _ in range(3))
    assert len(checks) == 1, "the schema is checked once, not at every action call"
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        rasa_speedups.validate_action_result(None, {"events": "not a list"})
    rasa_speedups._action_result_validator.cache_clear()
