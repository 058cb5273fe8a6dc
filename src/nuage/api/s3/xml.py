"""S3's XML: building response documents and reading request bodies (namespace-blind)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

import defusedxml.ElementTree as defused
from defusedxml import DefusedXmlException

from nuage.domain.storage_errors import Fault, StorageError, StorageReason

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_XML = 1 << 20
MAX_DEPTH = 16


def malformed() -> StorageError:
    return StorageError(Fault.MALFORMED_XML, StorageReason.XML_MALFORMED)


def new(root: str, namespace: bool = True) -> ET.Element:
    el = ET.Element(root)
    if namespace:
        el.set("xmlns", NS)
    return el


def add(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text if isinstance(text, str) else (
            ("true" if text else "false") if isinstance(text, bool) else str(text))
    return el


def add_all(parent: ET.Element, pairs: Iterable[tuple[str, object | None]]) -> None:
    for tag, text in pairs:
        if text is not None:
            add(parent, tag, text)


def render(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z")


def http_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def parse(body: bytes, root: str | None = None) -> ET.Element:
    """Parse a request body; MalformedXML for anything unparsable or of the wrong root.

    Bounded: at most MAX_XML bytes and MAX_DEPTH levels (S3's documents are a few levels
    deep). defusedxml refuses any DTD, so no entity is ever expanded, whatever the
    document's encoding (a byte search for `<!DOCTYPE` misses a UTF-16 document).
    Namespaces are dropped: clients differ in whether they send S3's.
    """
    if not body or len(body) > MAX_XML:
        raise malformed()
    try:
        doc: ET.Element = defused.fromstring(body, forbid_dtd=True, forbid_entities=True,
                                             forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise malformed() from exc
    level = [(doc, 1)]
    while level:
        el, depth = level.pop()
        if depth > MAX_DEPTH:
            raise malformed()
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
        level.extend((child, depth + 1) for child in el)
    if root is not None and doc.tag != root:
        raise malformed()
    return doc


def text(el: ET.Element, tag: str, default: str | None = None) -> str | None:
    found = el.find(tag)
    if found is None:
        return default
    return found.text or ""


def required(el: ET.Element, tag: str) -> str:
    value = text(el, tag)
    if value is None:
        raise malformed()
    return value


def integer(el: ET.Element, tag: str) -> int | None:
    value = text(el, tag)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise malformed() from exc
