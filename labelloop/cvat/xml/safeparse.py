"""A hardened, push-based expat parser for untrusted annotation files.

CVAT never writes DTDs or entities, so any entity declaration, external
reference or external DTD subset is refused outright: that closes both
entity-expansion bombs ("billion laughs") and external-entity reads (XXE)
before expat expands or fetches anything. Input is fed in fixed-size chunks,
so memory does not grow with the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pyexpat import XML_PARAM_ENTITY_PARSING_NEVER, ExpatError, ParserCreate, XMLParserType
from typing import BinaryIO

from labelloop.cvat.xml.errors import CVATXMLError, UnsafeXMLError

#: Bytes handed to expat per call; bounds memory together with one record.
CHUNK_SIZE = 1 << 20

_REFUSAL = (
    "it is refused because entities enable entity-expansion ('billion laughs') and "
    "external-entity (XXE) attacks, and CVAT never writes them"
)


def source_name(source: str | os.PathLike | BinaryIO) -> str:
    """The name to give ``source`` in errors: its path, a stream's ``name``, or ``<stream>``."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def make_parser(
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
) -> XMLParserType:
    """An expat parser wired to the callbacks, with every entity feature refused."""
    parser = ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.SetParamEntityParsing(XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(doctype_name: str, system_id: str | None, public_id: str | None, _: int) -> None:
        if system_id or public_id:
            raise UnsafeXMLError(
                f"{name}: line {parser.CurrentLineNumber}: the document type "
                f"'{doctype_name}' references an external DTD; {_REFUSAL}"
            )

    def entity_decl(entity: str, _param: int, _value, _base, system_id, public_id, _n) -> None:
        kind = "external entity" if (system_id or public_id) else "entity"
        raise UnsafeXMLError(
            f"{name}: line {parser.CurrentLineNumber}: XML {kind} declaration "
            f"'{entity}' found; {_REFUSAL}"
        )

    def unparsed_entity(entity: str, *_args) -> None:
        raise UnsafeXMLError(
            f"{name}: line {parser.CurrentLineNumber}: unparsed entity '{entity}' found; {_REFUSAL}"
        )

    def external_ref(*_args) -> int:
        raise UnsafeXMLError(
            f"{name}: line {parser.CurrentLineNumber}: external entity reference; {_REFUSAL}"
        )

    def skipped_entity(entity: str, _is_param: int) -> None:
        raise UnsafeXMLError(
            f"{name}: line {parser.CurrentLineNumber}: reference to undeclared entity "
            f"'{entity}'; {_REFUSAL}"
        )

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = unparsed_entity
    parser.ExternalEntityRefHandler = external_ref
    parser.SkippedEntityHandler = skipped_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    return parser


def feed(
    source: str | os.PathLike | BinaryIO,
    parser: XMLParserType,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[None]:
    """Feed ``source`` to ``parser`` chunk by chunk, yielding after each chunk.

    The caller drains whatever its callbacks produced between yields.
    Expat errors become :class:`CVATXMLError` naming the file and line.
    """
    name = source_name(source)
    stream = open(source, "rb") if isinstance(source, (str, os.PathLike)) else source
    try:
        while True:
            chunk = stream.read(chunk_size)
            if isinstance(chunk, str):
                raise CVATXMLError(f"{name}: open the file in binary mode ('rb'), not text mode")
            try:
                parser.Parse(chunk, not chunk)
            except ExpatError as exc:
                raise CVATXMLError(f"{name}: malformed XML: {exc}") from None
            yield
            if not chunk:
                return
    finally:
        if stream is not source:
            stream.close()
