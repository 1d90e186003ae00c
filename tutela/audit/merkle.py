"""RFC 9162 Merkle tree heads, computed incrementally.

Hand-written because it is twenty lines and the libraries that offer it (pymerkle and others)
hash leaves their own way; here the leaves are the event hashes, which already are RFC 9162
leaf hashes (see canonical.py), and sealing must resume from a stored frontier.

A tree of n leaves is, per RFC 9162 section 2.1.1, a perfect left subtree of the largest power
of two below n plus the tree of the rest. So the whole tree is described by the roots of the
perfect subtrees that the binary digits of n name (the "frontier", largest first): appending a
leaf merges equal-sized subtrees like carrying in binary addition, and the root folds the
frontier from the right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tutela.audit.canonical import NODE_PREFIX

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) in RFC 9162
_BLOCK_BITS = 8
_BLOCK = 1 << _BLOCK_BITS
_sha256 = hashlib.sha256


class Frontier:
    """The roots of the perfect subtrees of a Merkle tree, enough to extend it and get its head."""

    __slots__ = ("_nodes", "size")

    def __init__(self, size: int = 0, nodes: Iterable[bytes] = ()) -> None:
        self.size = size
        self._nodes = list(nodes)
        if len(self._nodes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} nodes")

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves (already leaf hashes) in order."""
        leaves = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        start, count = 0, len(leaves)
        # Leaf by leaf up to a block boundary, then whole blocks, then the rest leaf by leaf.
        # A block's perfect subtree is hashed level by level in list comprehensions, which
        # halves the interpreter overhead per node (audit_verify's speed, docs/benchmarks.md).
        head = min(count, -self.size % _BLOCK)
        self._push(leaves, 0, head, 0)
        start = head
        while count - start >= _BLOCK:
            level = leaves[start : start + _BLOCK]
            while len(level) > 1:
                level = [
                    _sha256(NODE_PREFIX + level[i] + level[i + 1]).digest()
                    for i in range(0, len(level), 2)
                ]
            self._push(level, 0, 1, _BLOCK_BITS)
            start += _BLOCK
        self._push(leaves, start, count, 0)

    def _push(self, nodes: list[bytes], start: int, stop: int, height: int) -> None:
        """Append perfect subtrees of 2**height leaves each (the size must be aligned)."""
        frontier = self._nodes
        pop, push = frontier.pop, frontier.append
        size = self.size
        for index in range(start, stop):
            node = nodes[index]
            # Each trailing 1 bit of the size (in subtree units) is a subtree this one completes.
            carry = size >> height
            while carry & 1:
                node = _sha256(NODE_PREFIX + pop() + node).digest()
                carry >>= 1
            push(node)
            size += 1 << height
        self.size = size

    def root(self) -> bytes:
        """The Merkle tree head (MTH) of all leaves so far."""
        if not self._nodes:
            return EMPTY_ROOT
        root = self._nodes[-1]
        for left in reversed(self._nodes[:-1]):
            root = _sha256(NODE_PREFIX + left + root).digest()
        return root

    def to_bytes(self) -> bytes:
        """The frontier as stored with a checkpoint: the nodes concatenated, largest first."""
        return b"".join(self._nodes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        """The frontier a checkpoint stored, refused if it cannot belong to `size` leaves."""
        if len(data) != HASH_SIZE * size.bit_count():
            raise ValueError(f"stored frontier has {len(data)} bytes for a tree of {size}")
        return cls(size, (data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)))

    def copy(self) -> Frontier:
        """An independent copy."""
        return Frontier(self.size, self._nodes)


def tree_head(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree head of a list of leaf hashes."""
    frontier = Frontier()
    frontier.extend(leaf_hashes)
    return frontier.root()
