"""The multilingual tokenizer: whitespace tokens, jieba inside Chinese, offsets preserved."""

from rasa.shared.nlu.training_data.message import Message

from components.multilingual_tokenizer import MultilingualTokenizer


def _tokens(text: str):
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    return [(t.text, t.start, t.end) for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_latin_and_cyrillic_split_on_whitespace() -> None:
    assert [t[0] for t in _tokens("ma box ne marche plus")] == ["ma", "box", "ne", "marche", "plus"]
    assert [t[0] for t in _tokens("не працює інтернет")] == ["не", "працює", "інтернет"]


def test_chinese_is_segmented_with_offsets_into_the_original_text() -> None:
    text = "我的路由器坏了"
    tokens = _tokens(text)
    assert [t[0] for t in tokens] == ["我", "的", "路由器", "坏", "了"]
    assert all(text[start:end] == word for word, start, end in tokens)


def test_mixed_text_and_an_account_number_in_chinese() -> None:
    text = "我的账号是100019021001803，router坏了"
    tokens = _tokens(text)
    assert all(text[start:end] == word for word, start, end in tokens)
    assert "100019021001803" in [t[0] for t in tokens]
    assert "router" in [t[0] for t in tokens]


def test_chinese_words_between_spaces_are_kept_and_emoji_only_words_dropped() -> None:
    assert [t[0] for t in _tokens("hello 你好")] == ["hello", "你好"]
    words = [t[0] for t in _tokens("我的账号是 100019021001803")]
    assert "账号" in words and "100019021001803" in words, words
    assert [t[0] for t in _tokens("thanks 👍")] == ["thanks"]
