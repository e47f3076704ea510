"""A tokenizer for one model that serves Latin, Cyrillic and Chinese text alike.

Text is split on whitespace and punctuation as Rasa's ``WhitespaceTokenizer`` does; any
token that contains Chinese characters (which are written without spaces) is then
segmented with jieba. Token offsets stay relative to the original text, so entities in
unsegmented Chinese (``我的账号是[100019021001803](account_number)``) line up.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import regex

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_HAN = regex.compile(r"\p{Han}")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(WhitespaceTokenizer):
    """Whitespace tokenization, with jieba segmentation inside Chinese runs."""

    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        """Every language is supported: Chinese goes through jieba."""
        return None

    @staticmethod
    def required_packages() -> List[Text]:
        """jieba segments the Chinese text."""
        return ["jieba"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MultilingualTokenizer":
        """Create the tokenizer and load jieba's dictionary now (about 0.7 s), not on the first
        Chinese message, which would hold up every conversation the server is serving."""
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        return cls(config)

    def remove_emoji(self, text: Text) -> Text:
        """Drop a word that is only emoji, but never Chinese text.

        Rasa's emoji pattern spans CJK code points too, so its ``WhitespaceTokenizer``
        deletes an all-Chinese word: ``hello 你好`` became just ``hello``.
        """
        return text if _HAN.search(text) else super().remove_emoji(text)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Split on whitespace, then segment tokens that contain Chinese characters."""
        import jieba

        tokens: List[Token] = []
        for token in super().tokenize(message, attribute):
            if not _HAN.search(token.text):
                tokens.append(token)
                continue
            for word, start, _end in jieba.tokenize(token.text):
                if word.strip():
                    tokens.append(Token(word, token.start + start))
        return tokens
