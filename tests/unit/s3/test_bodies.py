"""Issue 8: every body the S3 listener parses is bounded in size and depth, and XML never
expands an entity (units of the one XML parser and the bucket-policy parser)."""

from __future__ import annotations

import pytest

from nuage.api.s3 import xml
from nuage.domain.bucket_policy import parse_policy
from nuage.domain.storage_errors import Fault, StorageError

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                    for i in range(8))
          + ']><Tagging><TagSet><Tag><Key>&i;</Key><Value>v</Value></Tag></TagSet></Tagging>')


def fault_of(call: object, *args: object) -> Fault:
    assert callable(call)
    with pytest.raises(StorageError) as info:
        call(*args)
    return info.value.fault


@pytest.mark.parametrize("body", [
    LAUGHS.encode(),
    LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16"),
    b'<?xml version="1.0"?><!DOCTYPE t SYSTEM "file:///etc/passwd"><Tagging/>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Tagging>&e;</Tagging>',
    b"<Tagging>" + b"<TagSet>" * 100_000 + b"</TagSet>" * 100_000 + b"</Tagging>",
    b"<Tagging>" + b"<a>" * 17 + b"</a>" * 17 + b"</Tagging>",
    b"<Tagging>" + b" " * (1 << 20) + b"</Tagging>",
    b"", b"<Tagging>", b"not xml",
])
def test_hostile_xml_is_malformed(body: bytes) -> None:
    assert fault_of(xml.parse, body, "Tagging") is Fault.MALFORMED_XML


def test_ordinary_xml_parses_with_or_without_namespace() -> None:
    doc = xml.parse(b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag>'
                    b"<Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>", "Tagging")
    assert xml.text(doc, "TagSet/Tag/Key") == "k"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><Tagging><TagSet/></Tagging>'
    assert xml.parse(utf16.encode("utf-16"), "Tagging").find("TagSet") is not None


@pytest.mark.parametrize("text", [
    "[" * 100_000, "{" * 100_000, '{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"Statement": [' + "[" * 8 + "]" * 8 + "]}",
])
def test_deep_policy_is_malformed_not_a_crash(text: str) -> None:
    assert fault_of(parse_policy, text, "b") is Fault.MALFORMED_POLICY


def test_policy_size_is_bounded_and_strings_do_not_count_as_nesting() -> None:
    statement = ('{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", '
                 '"Resource": "arn:aws:s3:::b/[[[{{{\\"]]]"}')
    assert parse_policy('{"Statement": [' + statement + "]}", "b")["Statement"]
    big = '{"Statement": [' + ", ".join([statement] * 200) + "]}"
    assert fault_of(parse_policy, big, "b") is Fault.MALFORMED_POLICY
