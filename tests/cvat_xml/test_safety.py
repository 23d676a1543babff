"""Hostile and malformed files are refused with clear errors, nothing expanded or fetched."""

from __future__ import annotations

import io

import pytest

from labelloop.cvat.xml import CVATXMLError, UnsafeXMLError, iter_cvat_xml, load_cvat_xml

_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE annotations [
  <!ENTITY lol "lol">
{levels}
]>
<annotations><version>1.1</version>
  <image id="0" name="&lol9;.jpg" width="1" height="1"></image>
</annotations>
"""


def _billion_laughs() -> bytes:
    levels = "\n".join(
        f'  <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    return _BILLION_LAUGHS.format(levels=levels).encode()


def test_billion_laughs_is_refused_before_any_expansion(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_bytes(_billion_laughs())
    with pytest.raises(UnsafeXMLError, match="entity declaration 'lol'.*billion laughs"):
        load_cvat_xml(path)


def test_xxe_file_read_is_refused_and_nothing_leaks(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE annotations [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>
<annotations><version>1.1</version>
  <image id="0" name="a.jpg"><tag label="x"><attribute name="a">&xxe;</attribute></tag></image>
</annotations>"""
    with pytest.raises(UnsafeXMLError, match="external entity declaration 'xxe'") as info:
        load_cvat_xml(io.BytesIO(xml.encode()))
    assert "TOP-SECRET-TOKEN" not in str(info.value)


def test_external_dtd_and_parameter_entities_are_refused(tmp_path):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "x">')
    external = f'<?xml version="1.0"?><!DOCTYPE annotations SYSTEM "{dtd.as_uri()}"><annotations/>'
    with pytest.raises(UnsafeXMLError, match="external DTD"):
        load_cvat_xml(io.BytesIO(external.encode()))
    parameter = (
        '<?xml version="1.0"?><!DOCTYPE annotations [<!ENTITY % p SYSTEM "'
        + dtd.as_uri()
        + '"> %p;]><annotations/>'
    )
    with pytest.raises(UnsafeXMLError):
        load_cvat_xml(io.BytesIO(parameter.encode()))


def test_harmless_doctype_without_entities_is_accepted():
    xml = b'<?xml version="1.0"?><!DOCTYPE annotations><annotations><version>1.1</version></annotations>'
    assert load_cvat_xml(io.BytesIO(xml)).images == []


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            b"<annotations><image id='0' name='a'></annotations>",
            r"malformed XML: mismatched tag: line 1",
        ),
        (b"<dataset/>", "root element is <dataset>"),
        (b"<annotations><version>2.0</version></annotations>", "version '2.0' is not supported"),
        (
            b"<annotations>\n<image id='x' name='a'/></annotations>",
            "line 2: <image>: attribute 'id'='x'",
        ),
        (
            b"<annotations><image id='0' name='a'><box label='c' xtl='1' ytl='1' xbr='2'/></image></annotations>",
            "missing attribute 'ybr'",
        ),
        (
            b"<annotations><image id='0' name='a'><mask label='c' rle='1, 2' left='0' top='0' width='2' height='2'/></image></annotations>",
            "RLE covers 3 pixels but its box is 2x2",
        ),
        (
            b"<annotations><image id='0' name='a'><box label='c' occluded='yes' xtl='1' ytl='1' xbr='2' ybr='2'/></image></annotations>",
            "'occluded'='yes' must be 0 or 1",
        ),
        (
            b"<annotations><image id='0' name='a'><box label='c' rotation='left' xtl='1' ytl='1' xbr='2' ybr='2'/></image></annotations>",
            "'rotation'='left' is not a number",
        ),
        (
            b"<annotations><track id='0' label='c'><tag label='c'/></track></annotations>",
            "tags cannot be part of a track",
        ),
    ],
)
def test_malformed_files_name_the_problem(xml, message):
    with pytest.raises(CVATXMLError, match=message):
        load_cvat_xml(io.BytesIO(xml))


def test_text_mode_stream_is_rejected_with_the_fix():
    with pytest.raises(CVATXMLError, match="binary mode"):
        list(iter_cvat_xml(io.StringIO("<annotations/>")))


def test_unknown_elements_are_skipped_and_reported(caplog):
    xml = (
        b"<annotations><version>1.1</version><extra><deep/></extra>"
        b"<image id='0' name='a'><hologram label='c'/><tag label='t'/></image></annotations>"
    )
    with caplog.at_level("WARNING"):
        doc = load_cvat_xml(io.BytesIO(xml))
    assert [t["label"] for t in doc.images[0]["tags"]] == ["t"]
    assert "skipped 1 unsupported <hologram>" in caplog.text
    assert "skipped 1 unsupported <extra>" in caplog.text
