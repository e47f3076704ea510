"""The multilingual intent and FAQ-topic classifier (components/intent_classifier.py)."""

from pathlib import Path
from typing import List

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.intent_classifier import MultilingualIntentClassifier
from components.multilingual_tokenizer import MultilingualTokenizer

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "bonjour", "salut", "你好", "labas", "bună ziua"],
    "goodbye": ["bye", "see you later", "goodbye", "au revoir", "再见", "iki", "la revedere", "bye bye"],
    "faq/roaming": [
        "does my plan work abroad", "roaming charges in spain", "can I use data in France",
        "le roaming est-il inclus", "在国外能用流量吗", "ar veikia tarptinklinis ryšys", "roaming în UE", "abroad data prices",
    ],
    "faq/opening_hours": [
        "when are you open", "opening hours", "are you open on sunday", "quels sont vos horaires",
        "你们几点开门", "darbo laikas", "care e programul", "what time do you close",
    ],
}


def _tokenized(texts: List[str]) -> List[Message]:
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    messages = [Message(data={"text": text}) for text in texts]
    tokenizer.process(messages)
    return messages


def _training_data() -> TrainingData:
    examples = []
    for label, texts in EXAMPLES.items():
        for message in _tokenized(texts):
            intent, _, topic = label.partition("/")
            message.set("intent", intent)
            if topic:
                message.set("intent_response_key", label)
            examples.append(message)
    responses = {
        "utter_faq/roaming": [{"text": "Roaming in the EU is included."}],
        "utter_faq/opening_hours": [{"text": "We are open 8 to 20."}],
    }
    return TrainingData(training_examples=examples, responses=responses)


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _create(storage: LocalModelStorage, **config) -> MultilingualIntentClassifier:
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    return MultilingualIntentClassifier.create(
        {**MultilingualIntentClassifier.get_default_config(), **config}, storage, Resource("intents"), context
    )


def _load(storage: LocalModelStorage) -> MultilingualIntentClassifier:
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    return MultilingualIntentClassifier.load(
        MultilingualIntentClassifier.get_default_config(), storage, Resource("intents"), context
    )


def test_predicts_intents_and_fills_the_response_selector_for_faq_topics(storage: LocalModelStorage) -> None:
    classifier = _create(storage)
    classifier.train(_training_data())
    greeting, question = _tokenized(["hello there", "is roaming included when I travel to Italy?"])
    classifier.process([greeting, question])

    assert greeting.get("intent")["name"] == "greet"
    assert question.get("intent")["name"] == "faq"
    ranking = question.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "faq"
    assert ranking[0]["confidence"] == question.get("intent")["confidence"]
    assert all(0.0 <= r["confidence"] <= 1.0 for r in ranking)

    selector = question.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    prediction = selector["faq"]["response"]
    assert prediction["intent_response_key"] == "faq/roaming"
    assert prediction["utter_action"] == "utter_faq/roaming"
    assert prediction["responses"] == [{"text": "Roaming in the EU is included."}]
    assert sum(r["confidence"] for r in selector["faq"]["ranking"]) == pytest.approx(1.0)


def test_a_persisted_model_loads_and_predicts_the_same(storage: LocalModelStorage) -> None:
    classifier = _create(storage)
    classifier.train(_training_data())
    texts = ["à quelle heure fermez-vous ?", "再见啦", "roaming prices in Italy"]
    before = _tokenized(texts)
    classifier.process(before)

    after = _tokenized(texts)
    _load(storage).process(after)

    for one, two in zip(before, after):
        assert one.get("intent")["name"] == two.get("intent")["name"]
        assert one.get("intent")["confidence"] == pytest.approx(two.get("intent")["confidence"], abs=1e-5)
    assert after[0].get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/opening_hours"


def test_an_untrained_model_predicts_no_intent_and_empty_text_is_left_alone(storage: LocalModelStorage) -> None:
    empty = Message(data={"text": ""})
    classifier = _load(storage)  # nothing stored
    classifier.process([empty, *_tokenized(["hello"])])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}


def test_training_with_a_single_intent_warns_and_predicts_nothing(storage: LocalModelStorage) -> None:
    only_greetings = TrainingData(training_examples=[
        Message(data={"text": text, "intent": "greet"}) for text in EXAMPLES["greet"]
    ])
    classifier = _create(storage)
    with pytest.warns(UserWarning, match="at least two intents"):
        classifier.train(only_greetings)
    message = _tokenized(["hello"])[0]
    classifier.process([message])
    assert message.get("intent")["name"] is None


def test_without_the_sentence_embedding_the_n_grams_still_classify(storage: LocalModelStorage) -> None:
    classifier = _create(storage, embedding_weight=0.0)
    classifier.train(_training_data())
    message = _tokenized(["goodbye and see you"])[0]
    classifier.process([message])
    assert message.get("intent")["name"] == "goodbye"


@pytest.mark.parametrize("bad", [{"C": 0}, {"embedding_weight": -1}, {"char_max_ngram": 0}])
def test_bad_settings_are_rejected_with_a_clear_message(storage: LocalModelStorage, bad) -> None:
    with pytest.raises(ValueError, match="MultilingualIntentClassifier"):
        _create(storage, **bad)


def test_two_intents_give_two_probabilities_that_sum_to_one(storage: LocalModelStorage) -> None:
    greetings_and_farewells = TrainingData(training_examples=[
        message
        for intent in ("greet", "goodbye")
        for message in _tokenized(EXAMPLES[intent])
        if message.set("intent", intent) is None
    ])
    classifier = _create(storage)
    classifier.train(greetings_and_farewells)
    message = _tokenized(["good bye, see you"])[0]
    classifier.process([message])
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "goodbye"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert "response_selector" in message.as_dict() and message.get("response_selector")["all_retrieval_intents"] == []
