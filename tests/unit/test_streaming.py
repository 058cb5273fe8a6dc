"""The one regrouping of decrypted chunks that S3 GET and Glance downloads stream."""

from __future__ import annotations

from nuage.api.streaming import READ_BATCH, batched


def test_batched_keeps_every_byte_in_order_in_pieces_of_at_least_the_batch() -> None:
    chunks = [bytes([n]) * 300_000 for n in range(10)]
    out = list(batched(iter(chunks)))
    assert b"".join(out) == b"".join(chunks)
    assert all(len(piece) >= READ_BATCH for piece in out[:-1])
    assert [len(piece) for piece in out] == [1_200_000, 1_200_000, 600_000]


def test_batched_of_nothing_is_nothing_and_small_inputs_come_whole() -> None:
    assert list(batched(iter([]))) == []
    assert list(batched(iter([b"ab", b"", b"c"]), size=10)) == [b"abc"]
