"""API key format, hashing and comparison."""

from __future__ import annotations

from invite_tracker.domain.api_keys import generate_api_key, hash_api_key, key_id_of, same_secret


def test_generated_keys_are_unique_and_parse() -> None:
    keys = [generate_api_key() for _ in range(50)]
    assert len({key.secret for key in keys}) == 50
    for key in keys:
        assert key_id_of(key.secret) == key.key_id
        assert key.key_hash == hash_api_key(key.secret)
        assert key.secret not in key.key_hash


def test_foreign_text_is_not_a_key() -> None:
    assert key_id_of("Bearer nonsense") is None
    assert key_id_of("itk_short_abc") is None


def test_same_secret() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd")
    assert not same_secret("abc", "abcd")
