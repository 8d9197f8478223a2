"""RFC 6962 (Certificate Transparency) Merkle tree hashing, §2.1.

Pure functions over bytes. Leaves and interior nodes are hashed with distinct
prefixes (0x00 / 0x01) so a leaf can never be passed off as an interior node
(second-preimage protection). Callers use ``.hex()`` for display.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# RFC 6962 defines the hash of an empty tree as the hash of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32  # SHA-256: every leaf hash and proof node is exactly this long


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split_point(n: int) -> int:
    """Largest power of two strictly smaller than n (k < n <= 2k), for n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of hashes[lo:hi] (non-empty); index ranges avoid copying slices.

    Each leaf is visited once and recursion depth is log2(n), so this is O(n).
    """
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split_point(n)
    return node_hash(_subtree_root(hashes, lo, lo + k), _subtree_root(hashes, lo + k, hi))


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash over already-hashed leaves (RFC 6962 §2.1)."""
    if not hashes:
        return EMPTY_ROOT
    return _subtree_root(hashes, 0, len(hashes))


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path PATH(index, D[n]) for leaf ``index`` (RFC 6962 §2.1.1).

    Returned leaf-to-root (the order verifiers consume it). Raises ValueError
    for an index outside the tree.
    """
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} out of range for tree of size {n}")
    # Descend from the root, recording the sibling subtree at each split;
    # the RFC's recursion appends siblings on the way back up, hence the reverse.
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split_point(hi - lo)
        mid = lo + k
        if index < mid:
            path.append(_subtree_root(hashes, mid, hi))
            hi = mid
        else:
            path.append(_subtree_root(hashes, lo, mid))
            lo = mid
    path.reverse()
    return path


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for number, value in enumerate(hashes):
        if len(value) != HASH_SIZE:
            raise ValueError(f"{what} {number} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Recompute the root implied by an audit path (RFC 9162 §2.1.3.2).

    Deliberately independent from ``inclusion_proof``: it walks the bits of the
    leaf index (fn) and last index (sn) rather than re-splitting the tree.
    Raises ValueError when the index/size/proof length are inconsistent.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for tree of size {size}")
    _check_hashes("leaf hash", [leaf_hash])
    _check_hashes("proof node", proof)
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ValueError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            # Node is a right child, or the last node of its level (which gets
            # promoted unpaired): the sibling goes on the left.
            r = node_hash(p, r)
            if not fn & 1:
                # Skip the levels where this node was promoted without a sibling.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True iff ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``size`` with ``root``.

    Never raises for malformed input: an inconsistent proof is simply not valid.
    """
    try:
        computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    except ValueError:
        return False
    return computed == root


def consistency_proof(hashes: Sequence[bytes], first: int) -> list[bytes]:
    """PROOF(first, D[n]) that the tree of the first ``first`` leaves is a prefix of the whole tree
    (RFC 6962 §2.1.2; RFC 9162 §2.1.4.1). Empty when ``first`` is the whole tree.

    The RFC's SUBPROOF recursion appends on the way back up; this descends once and reverses.
    Raises ValueError unless 0 < first <= len(hashes).
    """
    n = len(hashes)
    if not 0 < first <= n:
        raise ValueError(f"first size {first} out of range for tree of size {n}")
    path: list[bytes] = []
    lo, hi, m, whole = 0, n, first, True  # `whole`: the old tree is still a left-aligned subtree of D[lo:hi]
    while m != hi - lo:
        k = _split_point(hi - lo)
        if m <= k:
            path.append(_subtree_root(hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        path.append(_subtree_root(hashes, lo, hi))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    path.reverse()
    return path


def root_from_consistency_proof(first: int, second: int, proof: Sequence[bytes], first_root: bytes) -> bytes:
    """The root of the tree of ``second`` leaves implied by a consistency proof from ``first`` with
    ``first_root`` (RFC 9162 §2.1.4.2, walking the bits of first-1 and second-1).

    Equal sizes need an empty proof and imply the same root. A proof from the empty tree proves
    nothing (any log extends it) and is refused, as transparency-dev/merkle does. Raises ValueError
    when the sizes, the proof's length or a node's size do not fit, or the proof does not reproduce
    ``first_root``.
    """
    if not 0 <= first <= second:
        raise ValueError(f"sizes {first} and {second} are not 0 <= first <= second")
    if first == 0:
        raise ValueError("a consistency proof from the empty tree is meaningless")
    if first == second:
        if proof:
            raise ValueError("equal sizes need an empty proof")
        return first_root
    if not proof:
        raise ValueError("the proof is empty")
    _check_hashes("proof node", proof)
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old tree is a node of the new one
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    if fr != first_root:
        raise ValueError("the proof does not reproduce the first root")
    return sr


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> bool:
    """True iff ``proof`` shows the tree of ``first`` leaves with ``first_root`` is a prefix of the tree of
    ``second`` leaves with ``second_root``. Never raises for malformed input."""
    try:
        return root_from_consistency_proof(first, second, proof, first_root) == second_root
    except ValueError:
        return False
