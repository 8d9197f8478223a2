"""integrity.merkle against the published proof vectors of transparency-dev/merkle (see vectors/README.md),
and consistency proofs against a literal transcription of RFC 6962 §2.1.2."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from integrity.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_consistency_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from tests.integrity.test_merkle import CT_LEAVES, _leaves, _ref_mth

VECTORS = Path(__file__).with_name("vectors")


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted(json.loads((VECTORS / f"{kind}.json").read_text())["vectors"].items())


def _bytes(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_bytes(node) for node in vector["proof"] or []]


CONSISTENCY = _load("consistency")
INCLUSION = _load("inclusion")


def test_the_vendored_sets_are_complete() -> None:
    assert len(CONSISTENCY) == 98 and len(INCLUSION) == 98
    assert sum(not vector["wantErr"] for _name, vector in CONSISTENCY) >= 6


@pytest.mark.parametrize(("name", "vector"), CONSISTENCY, ids=[name for name, _vector in CONSISTENCY])
def test_consistency_vectors(name: str, vector: dict[str, Any]) -> None:
    accepted = verify_consistency(
        vector["size1"], vector["size2"], _proof(vector), _bytes(vector["root1"]), _bytes(vector["root2"])
    )
    assert accepted is not vector["wantErr"], vector["desc"]


@pytest.mark.parametrize(("name", "vector"), INCLUSION, ids=[name for name, _vector in INCLUSION])
def test_inclusion_vectors(name: str, vector: dict[str, Any]) -> None:
    accepted = verify_inclusion(
        _bytes(vector["leafHash"]), vector["leafIdx"], vector["treeSize"], _proof(vector), _bytes(vector["root"])
    )
    assert accepted is not vector["wantErr"], vector["desc"]


# The happy paths of the numbered sets are over the CT reference leaves ("additional/" holds edge cases).
HAPPY = [(name, vector) for name, vector in CONSISTENCY if name.endswith("/happy-path.json") and vector["size1"] > 0]


@pytest.mark.parametrize(("name", "vector"), HAPPY, ids=[name for name, _vector in HAPPY])
def test_our_proofs_are_the_published_ones(name: str, vector: dict[str, Any]) -> None:
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES[: vector["size2"]]]
    assert root_from_leaf_hashes(hashes) == _bytes(vector["root2"])
    assert consistency_proof(hashes, vector["size1"]) == _proof(vector)


def _ref_subproof(m: int, data: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 6962 §2.1.2, transcribed literally."""
    n = len(data)
    if m == n:
        return [] if complete else [_ref_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return _ref_subproof(m, data[:k], complete) + [_ref_mth(data[k:])]
    return _ref_subproof(m - k, data[k:], False) + [_ref_mth(data[:k])]


def test_every_consistency_proof_matches_the_rfc_and_verifies_for_sizes_1_to_40() -> None:
    data = _leaves(40)
    hashes = [leaf_hash(leaf) for leaf in data]
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(41)]
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = consistency_proof(hashes[:n], m)
            assert proof == _ref_subproof(m, data[:n], True), (m, n)
            assert verify_consistency(m, n, proof, roots[m], roots[n]), (m, n)
            if m < n:
                # Another first root, a flipped node or a dropped node is refused.
                assert not verify_consistency(m, n, proof, roots[m - 1], roots[n]), (m, n)
                assert not verify_consistency(m, n, proof, roots[m], roots[n - 1]), (m, n)
                flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not verify_consistency(m, n, flipped, roots[m], roots[n]), (m, n)
                assert not verify_consistency(m, n, proof[:-1], roots[m], roots[n]), (m, n)


def test_proof_nodes_must_be_32_bytes() -> None:
    hashes = [leaf_hash(leaf) for leaf in _leaves(6)]
    proof = consistency_proof(hashes, 3)
    first, second = root_from_leaf_hashes(hashes[:3]), root_from_leaf_hashes(hashes)
    for bad in (proof[0][:31], proof[0] + b"\x00", b""):
        with pytest.raises(ValueError, match="not 32"):
            root_from_consistency_proof(3, 6, [bad, *proof[1:]], first)
    inclusion_ok = verify_inclusion(hashes[0][:31], 0, 1, [], hashes[0][:31])
    assert inclusion_ok is False  # a leaf hash of 31 bytes is no SHA-256 hash


def test_out_of_range_sizes_raise() -> None:
    hashes = [leaf_hash(leaf) for leaf in _leaves(4)]
    for first in (0, 5, -1):
        with pytest.raises(ValueError):
            consistency_proof(hashes, first)
    assert consistency_proof(hashes, 4) == []
    with pytest.raises(ValueError):
        root_from_consistency_proof(3, 2, [], hashes[0])
