"""A log outsiders can hold to account (issue 18): consistency proofs between any two sizes, signed tree
heads, `accord registry verify-consistency` and `monitor` against a real server, and an export that
refuses renumbered or reordered events."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.clock import FrozenClock, WeekdayCalendar
from integrity.merkle import verify_consistency
from integrity.tables import LogEntry
from tests.accord.test_settings_and_cli import run_cli
from tests.cases.conftest import Cast
from tests.cli import accord
from tests.integrity.test_registry import listing_act
from tests.integrity.test_registry_for_people import enterprise
from tests.servers import free_port, start_server


async def publish_listing(cast: Cast, clock: FrozenClock) -> None:
    """A published listing about a fresh enterprise (the cast's own stays out of the public registry)."""
    subject = await enterprise(clock)
    created = await cast.admin.post(
        "/api/v1/registry/listings",
        json={"enterprise_id": subject["id"], "violation": "trademark", "tier": "general", "facts": "Fake tags."},
    )
    assert created.status_code == 201, created.text
    listing = created.json()
    await listing_act(cast.admin, listing, "notice")
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
    assert (await listing_act(cast.admin, listing, "publish", decision="No objection.")).status_code == 200


async def roots_by_size(client: httpx.AsyncClient) -> dict[int, str]:
    """The export names the tree root after each line: the root of every size the log has had."""
    lines = (await client.get("/registry/export.jsonl")).text.splitlines()
    return {number: json.loads(line)["tree_root"] for number, line in enumerate(lines, start=1)}


async def test_consistency_proofs_between_every_pair_of_sizes(cast: Cast, clock: FrozenClock, new_client: Any) -> None:
    for _number in range(3):
        await publish_listing(cast, clock)
    anonymous = new_client()
    roots = await roots_by_size(anonymous)
    size = len(roots)
    for second in range(max(1, size - 6), size + 1):
        for first in range(1, second + 1):
            answer = await anonymous.get("/registry/log/consistency", params={"first": first, "second": second})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["first"], body["second"]) == (first, second)
            proof = [bytes.fromhex(node) for node in body["proof"]]
            assert verify_consistency(
                first, second, proof, bytes.fromhex(roots[first]), bytes.fromhex(roots[second])
            ), (first, second)
    api = await anonymous.get("/api/v1/registry/log/consistency", params={"first": 1, "second": size})
    assert api.status_code == 200 and api.json()["second"] == size


async def test_sizes_outside_the_log_are_field_errors(cast: Cast, clock: FrozenClock, new_client: Any) -> None:
    await publish_listing(cast, clock)
    anonymous = new_client()
    size = (await anonymous.get("/registry/tree-head")).json()["size"]
    for query, field in [
        ({"first": 0, "second": size}, "first"),
        ({"first": 2, "second": 1}, "first"),
        ({"first": 1, "second": size + 1}, "second"),
        ({"first": 1, "second": 0}, "second"),
        ({"first": "x", "second": size}, "first"),
    ]:
        answer = await anonymous.get("/api/v1/registry/log/consistency", params=query)
        assert answer.status_code == 422, (query, answer.text)
        body = answer.json()
        assert body["detail"] and [error["field"] for error in body["errors"]] == [field], (query, body)
    chinese = await anonymous.get(
        "/registry/log/consistency", params={"first": 1, "second": size + 1}, headers={"accept-language": "zh-CN"}
    )
    assert chinese.status_code == 422 and f"日志共有 {size} 条记录" in chinese.json()["errors"][0]["message"]
    missing = await anonymous.get("/registry/log/consistency", params={"first": 1})
    assert missing.status_code in (400, 422) and set(missing.json()) == {"detail", "errors"}


async def test_tree_heads_are_signed_with_the_published_key(
    cast: Cast, clock: FrozenClock, new_client: Any, app: Any
) -> None:
    await publish_listing(cast, clock)
    anonymous = new_client()
    key = (await anonymous.get("/registry/public-key")).json()
    assert key["algorithm"] == "Ed25519"
    raw = base64.b64decode(key["public_key"])
    seed = app.state.settings.log_signing_key
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw == expected and len(raw) == 32
    assert (await anonymous.get("/api/v1/registry/public-key")).json() == key
    head = (await anonymous.get("/api/v1/registry/tree-head")).json()
    assert set(head) == {"size", "root", "at", "signature"} and head["size"] >= 1 and head["at"]
    # The message, spelled out: canonical JSON of {at, root, size}, sorted keys, no spaces.
    message = f'{{"at":"{head["at"]}","root":"{head["root"]}","size":{head["size"]}}}'.encode()
    Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(head["signature"]), message)


def test_verify_consistency_command(tmp_path: Path) -> None:
    from integrity.merkle import consistency_proof, leaf_hash, root_from_leaf_hashes

    hashes = [leaf_hash(f"event {n}".encode()) for n in range(7)]
    first, second = root_from_leaf_hashes(hashes[:3]).hex(), root_from_leaf_hashes(hashes).hex()
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(
        json.dumps({"first": 3, "second": 7, "proof": [node.hex() for node in consistency_proof(hashes, 3)]})
    )
    good = accord("registry", "verify-consistency", str(proof_file), "--first-root", first, "--second-root", second)
    assert good.returncode == 0 and "extends" in good.stdout, good.stderr
    other = root_from_leaf_hashes(hashes[:6]).hex()
    bad = accord("registry", "verify-consistency", str(proof_file), "--first-root", first, "--second-root", other)
    assert bad.returncode == 1 and "does NOT extend" in bad.stderr
    wrong_first = accord(
        "registry", "verify-consistency", str(proof_file), "--first-root", other, "--second-root", second
    )
    assert wrong_first.returncode == 1


async def test_export_with_renumbered_or_reordered_events_is_refused(
    cast: Cast, clock: FrozenClock, new_client: Any, tmp_path: Path
) -> None:
    for _number in range(2):
        await publish_listing(cast, clock)
    anonymous = new_client()
    lines = (await anonymous.get("/registry/export.jsonl")).text.splitlines()
    root = (await anonymous.get("/registry/tree-head")).json()["root"]
    exported = tmp_path / "export.jsonl"

    def verify(changed: list[str]) -> Any:
        exported.write_text("\n".join(changed) + "\n")
        return accord("registry", "verify", str(exported), "--root", root)

    assert verify(lines).returncode == 0
    renumbered = json.loads(lines[-1])
    renumbered["seq"] += 1  # the leaf hash and the roots still fit: only the number lies
    result = verify([*lines[:-1], json.dumps(renumbered)])
    assert result.returncode == 1 and f"line {len(lines)}:" in result.stderr and "renumbered" in result.stderr
    swapped = [*lines[:-2], lines[-1], lines[-2]]
    result = verify(swapped)
    assert result.returncode == 1 and f"line {len(lines) - 1}:" in result.stderr


async def test_monitor_against_a_real_server(cast: Cast, clock: FrozenClock, tmp_path: Path) -> None:
    await publish_listing(cast, clock)
    state = tmp_path / "monitor.json"
    server = start_server(env={"ACCORD_SWEEP_SECONDS": "0"}, log_name="monitor-server.log")
    try:

        def monitor(*options: str) -> Any:
            return accord("registry", "monitor", server.url, "--state", str(state), *options)

        first = monitor()
        assert first.returncode == 0 and "pinned its public key" in first.stdout, first.stderr
        remembered = json.loads(state.read_text())["logs"][server.url]
        assert remembered["head"]["size"] >= 1

        await publish_listing(cast, clock)  # the log grows: still the same log
        grown = monitor()
        assert grown.returncode == 0 and "consistent with the" in grown.stdout, grown.stderr

        stranger = base64.b64encode(
            Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
        forged = monitor("--public-key", stranger)  # a head not signed by the key one trusts
        assert forged.returncode == 1 and "not signed" in forged.stderr

        # Someone rewrites an old entry and the log goes on growing: the new head cannot extend the old.
        oldest = await LogEntry.select(LogEntry.id, LogEntry.leaf_hash).order_by(LogEntry.seq).first()
        await LogEntry.update({LogEntry.leaf_hash: "00" * 32}).where(LogEntry.id == oldest["id"])
        try:
            rewritten = monitor()
            assert rewritten.returncode == 1 and "different root" in rewritten.stderr, rewritten.stdout
            await publish_listing(cast, clock)
            rewritten = monitor()
            assert rewritten.returncode == 1 and "was rewritten" in rewritten.stderr, rewritten.stdout
        finally:
            await LogEntry.update({LogEntry.leaf_hash: oldest["leaf_hash"]}).where(LogEntry.id == oldest["id"])
        assert monitor().returncode == 0  # the alarm held the last good head: the restored log extends it
    finally:
        server.stop()


async def test_monitor_refuses_a_log_that_changed_its_key(cast: Cast, clock: FrozenClock, tmp_path: Path) -> None:
    """The same address, the same log, but heads now signed by another key than the one pinned."""
    await publish_listing(cast, clock)
    state, port = tmp_path / "monitor.json", free_port()
    other_key = base64.b64encode(bytes(range(32))).decode()
    for env, expected in [({}, 0), ({"ACCORD_LOG_SIGNING_KEY": other_key}, 1)]:
        server = start_server(env={"ACCORD_SWEEP_SECONDS": "0", **env}, port=port)
        try:
            result = accord("registry", "monitor", server.url, "--state", str(state))
            assert result.returncode == expected, (result.stdout, result.stderr)
        finally:
            server.stop()
    assert "another public key" in result.stderr


async def test_monitor_says_when_it_cannot_reach_the_log(tmp_path: Path) -> None:
    result = run_cli("registry", "monitor", "http://127.0.0.1:9", "--state", str(tmp_path / "state.json"))
    assert result.returncode == 2 and "accord: error:" in result.stderr
    assert not (tmp_path / "state.json").exists()
