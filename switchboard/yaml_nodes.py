"""Walking PyYAML's composed nodes, which keep where each value starts and ends in the text.

The validator reports lines from them and the FAQ sheet's writer edits exact character
spans; both read content files through these helpers. libyaml's C composer is used when
installed (it is about 20 times faster) and gives the same marks.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL_TAG = "tag:yaml.org,2002:null"


def compose(text: str) -> Optional[Node]:
    """The node tree of a YAML document (None when it is empty); raises ``yaml.YAMLError``."""
    return yaml.compose(text, Loader=LOADER)


def line_of(node: Node) -> int:
    """The 1-based line where ``node`` starts."""
    return node.start_mark.line + 1


def mapping_items(node: Optional[Node]) -> Iterator[Tuple[ScalarNode, Node]]:
    """The (key, value) pairs of a mapping node with scalar keys; nothing for anything else."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                yield key, value


def mapping_get(node: Optional[Node], key: str) -> Optional[Node]:
    """The value node under ``key`` of a mapping node, if any."""
    return next((value for name, value in mapping_items(node) if name.value == key), None)


def scalar_under(node: Optional[Node], key: str) -> Optional[ScalarNode]:
    """The value under ``key`` of a mapping node, if it is a scalar node."""
    value = mapping_get(node, key)
    return value if isinstance(value, ScalarNode) else None


def sequence_items(node: Optional[Node]) -> List[Node]:
    """The items of a sequence node; nothing for anything else."""
    return list(node.value) if isinstance(node, SequenceNode) else []


def scalar(node: Optional[Node]) -> Optional[str]:
    """The text of a scalar node (``None`` for a YAML null or anything else)."""
    if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
        return str(node.value)
    return None
