"""The signature scheme against the contract's test vectors (docs/contract.md, "Signature").

The vectors in tests/fixtures/signature-vectors.json were computed by Sautikit's side of the
contract; a change in how we build the signed string shows up here first.
"""

import json
from pathlib import Path

import pytest

from integration.intake.signature import BadSignature, SignatureExpired, SignatureMissing, sign, verify

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "fixtures/signature-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["event"] for v in VECTORS])
def test_sign_matches_contract_vectors(vector):
    assert sign(vector["secret"], vector["signed_at"], vector["call_id"], vector["event"]) == vector["signature"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["event"] for v in VECTORS])
def test_contract_vectors_verify_at_their_signing_time(vector):
    payload = {k: vector[k] for k in ("signed_at", "call_id", "event", "signature")}
    verify(payload, [vector["secret"]], now=vector["signed_at"] + 299)


def _payload(vector, **changes):
    return {**{k: vector[k] for k in ("signed_at", "call_id", "event", "signature")}, **changes}


def test_any_configured_secret_verifies_during_rotation():
    vector = VECTORS[0]
    verify(_payload(vector), ["whsec_new_one", vector["secret"]], now=vector["signed_at"])


@pytest.mark.parametrize("field,value", [("call_id", "CA_other"), ("event", "call.failed"),
                                         ("signature", "0" * 64), ("signed_at", 1764000001)])
def test_changed_signed_field_is_refused(field, value):
    vector = VECTORS[0]
    with pytest.raises(BadSignature):
        verify(_payload(vector, **{field: value}), [vector["secret"]], now=1764000001)


@pytest.mark.parametrize("offset", [301, -301])
def test_stale_or_future_signature_is_refused(offset):
    vector = VECTORS[0]
    with pytest.raises(SignatureExpired):
        verify(_payload(vector), [vector["secret"]], now=vector["signed_at"] + offset)


@pytest.mark.parametrize("changes", [{"signature": None}, {"signature": ""}, {"signed_at": "1764000000"},
                                     {"signed_at": True}, {"signed_at": 1.5}])
def test_missing_or_mistyped_signature_fields_are_refused(changes):
    vector = VECTORS[0]
    with pytest.raises(SignatureMissing):
        verify(_payload(vector, **changes), [vector["secret"]], now=vector["signed_at"])


def test_non_ascii_signature_is_refused_not_crashed():
    vector = VECTORS[0]
    with pytest.raises(BadSignature):
        verify(_payload(vector, signature="é" * 64), [vector["secret"]], now=vector["signed_at"])


def test_wrong_secret_is_refused():
    vector = VECTORS[0]
    with pytest.raises(BadSignature):
        verify(_payload(vector), ["whsec_somebody_else"], now=vector["signed_at"])
