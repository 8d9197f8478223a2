"""Tests for integrity.merkle against RFC 6962 / CT reference vectors and a naive reference."""

import hashlib

import pytest

from integrity.merkle import (
    EMPTY_ROOT,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_inclusion,
)

# The 8 leaves used by the certificate-transparency / trillian reference test suites.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]

# Roots of the trees over the first n CT_LEAVES, n = 1..8.
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

# (leaf index, tree size, audit path) from the CT reference inclusion-proof vectors.
CT_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


# --- Naive reference: RFC 6962 §2.1 transcribed literally (slices, raw sha256) ---


def _ref_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + _ref_mth(data[:k]) + _ref_mth(data[k:])).digest()


def _ref_path(m: int, data: list[bytes]) -> list[tuple[str, bytes]]:
    """PATH(m, D[n]) with the side each sibling sits on ('L' or 'R')."""
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return _ref_path(m, data[:k]) + [("R", _ref_mth(data[k:]))]
    return _ref_path(m - k, data[k:]) + [("L", _ref_mth(data[:k]))]


def _leaves(n: int) -> list[bytes]:
    return [f"leaf-{i}".encode() for i in range(n)]


def _flip(b: bytes, pos: int = 0) -> bytes:
    return b[:pos] + bytes([b[pos] ^ 0x01]) + b[pos + 1 :]


# --- Hash primitives and roots ---


def test_leaf_and_node_hash_use_domain_separation_prefixes():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


def test_empty_tree_root_is_sha256_of_empty_string():
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(1, 9))
def test_ct_reference_roots(size):
    data = CT_LEAVES[:size]
    # The hard-coded vector must agree with the literal RFC transcription too.
    assert _ref_mth(data).hex() == CT_ROOTS[size - 1]
    assert root_from_leaf_hashes([leaf_hash(d) for d in data]).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_PROOFS)
def test_ct_reference_inclusion_proofs(index, size, path):
    data = CT_LEAVES[:size]
    assert [h.hex() for _, h in _ref_path(index, data)] == path
    hashes = [leaf_hash(d) for d in data]
    assert [h.hex() for h in inclusion_proof(hashes, index)] == path
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(hashes[index], index, size, [bytes.fromhex(p) for p in path], root)


def test_roots_match_naive_reference_up_to_64():
    data = _leaves(64)
    hashes = [leaf_hash(d) for d in data]
    for n in range(65):
        assert root_from_leaf_hashes(hashes[:n]) == _ref_mth(data[:n])


# --- Inclusion proofs: generation vs independent verification ---


def test_every_proof_verifies_and_matches_reference_for_sizes_1_to_40():
    for n in range(1, 41):
        data = _leaves(n)
        hashes = [leaf_hash(d) for d in data]
        root = root_from_leaf_hashes(hashes)
        for i in range(n):
            proof = inclusion_proof(hashes, i)
            assert proof == [h for _, h in _ref_path(i, data)], (n, i)
            assert root_from_inclusion_proof(hashes[i], i, n, proof) == root, (n, i)
            assert verify_inclusion(hashes[i], i, n, proof, root), (n, i)


def test_tampering_breaks_verification_for_sizes_1_to_40():
    for n in range(1, 41):
        data = _leaves(n)
        hashes = [leaf_hash(d) for d in data]
        root = root_from_leaf_hashes(hashes)
        for i in range(n):
            proof = inclusion_proof(hashes, i)
            case = (n, i)
            # Tampered leaf content or leaf hash.
            assert not verify_inclusion(leaf_hash(_flip(data[i])), i, n, proof, root), case
            assert not verify_inclusion(_flip(hashes[i], 31), i, n, proof, root), case
            # One flipped byte in any proof element.
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = _flip(bad[j], j % 32)
                assert not verify_inclusion(hashes[i], i, n, bad, root), (*case, j)
            # Proof of the wrong length.
            assert not verify_inclusion(hashes[i], i, n, [*proof, root], root), case
            if proof:
                assert not verify_inclusion(hashes[i], i, n, proof[:-1], root), case
            # Wrong root.
            assert not verify_inclusion(hashes[i], i, n, proof, _flip(root)), case
            # Wrong index, including out of range (must return False, not raise).
            for bad_index in {i - 1, i + 1, i ^ 1, -1, n, n + 5}:
                if bad_index != i:
                    assert not verify_inclusion(hashes[i], bad_index, n, proof, root), (*case, bad_index)
            # Sizes that cannot contain the leaf.
            for bad_size in (0, i, -1):
                assert not verify_inclusion(hashes[i], i, bad_size, proof, root), (*case, bad_size)


def test_wrong_size_rejected_unless_tree_shape_is_identical():
    # An audit path only commits to the size through its shape: e.g. leaf 0 has
    # the same R,R,R path in trees of 5 and 6 leaves, so a wrong size with the
    # same shape is (per RFC 9162) accepted; the size must come from a trusted
    # tree head. Every other wrong size must be rejected.
    shape = {}
    for n in range(1, 42):
        for i in range(n):
            shape[n, i] = [side for side, _ in _ref_path(i, _leaves(n))]
    for n in range(1, 41):
        hashes = [leaf_hash(d) for d in _leaves(n)]
        root = root_from_leaf_hashes(hashes)
        for i in range(n):
            proof = inclusion_proof(hashes, i)
            for bad_size in (n - 1, n + 1):
                expected = bad_size > i and shape[bad_size, i] == shape[n, i]
                assert verify_inclusion(hashes[i], i, bad_size, proof, root) is expected, (n, i, bad_size)


def test_out_of_range_inputs_raise_in_non_boolean_api():
    hashes = [leaf_hash(d) for d in _leaves(3)]
    for index in (-1, 3):
        with pytest.raises(ValueError):
            inclusion_proof(hashes, index)
        with pytest.raises(ValueError):
            root_from_inclusion_proof(hashes[0], index, 3, [])
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


# --- Scale: a quadratic implementation would make this visibly slow ---


def _level_by_level_root(hashes: list[bytes]) -> bytes:
    """Independent O(n) formulation: pair up each level, promoting an odd last node."""
    level = hashes
    while len(level) > 1:
        nxt = [node_hash(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def test_large_tree_root_and_proofs():
    n = 100_000
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = root_from_leaf_hashes(hashes)
    assert root == _level_by_level_root(hashes)
    for i in (0, 65_535, 65_536, n - 1):
        proof = inclusion_proof(hashes, i)
        assert verify_inclusion(hashes[i], i, n, proof, root)
