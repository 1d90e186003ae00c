"""Merkle tree heads per RFC 9162 section 2.1.1, incremental and from scratch (R7)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.audit.merkle import EMPTY_ROOT, Frontier, tree_head


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def reference_mth(entries: list[bytes]) -> bytes:
    """RFC 9162 2.1.1 as written: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2  # the largest power of two smaller than n
    return hashlib.sha256(
        b"\x01" + reference_mth(entries[:k]) + reference_mth(entries[k:])
    ).digest()


# The test vectors of the RFC 6962 reference implementation (certificate-transparency), whose
# tree hashing RFC 9162 keeps unchanged.
CT_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
             bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_tree_heads_match_the_rfc_6962_reference_vectors() -> None:
    assert tree_head([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert tree_head(leaf(d) for d in CT_LEAVES[:size]).hex() == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=12), max_size=700))
def test_the_frontier_root_equals_the_recursive_definition(entries: list[bytes]) -> None:
    """Sizes past 256 exercise the block path (whole 256-leaf subtrees at once)."""
    assert tree_head(leaf(e) for e in entries) == reference_mth(entries)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.binary(max_size=6), min_size=1, max_size=700),
    st.lists(st.integers(min_value=0, max_value=700), max_size=6),
)
def test_sealing_in_steps_from_a_stored_frontier_equals_a_full_recompute(
    entries: list[bytes], cuts: list[int]
) -> None:
    """Each checkpoint's root, built from the previous stored frontier, is the full tree's."""
    points = sorted({min(c, len(entries)) for c in cuts} | {len(entries)})
    frontier, done = Frontier(), 0
    for point in points:
        frontier = Frontier.from_bytes(frontier.size, frontier.to_bytes())  # as stored
        frontier.extend(leaf(e) for e in entries[done:point])
        done = point
        assert frontier.size == point
        assert frontier.root() == reference_mth(entries[:point])


def test_a_stored_frontier_of_the_wrong_length_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="frontier"):
        Frontier.from_bytes(5, bytes(32))
