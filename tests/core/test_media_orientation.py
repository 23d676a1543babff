"""Image metadata describes the upright image when EXIF says the picture is turned."""

from PIL import Image

import labelloop as ll


def _jpeg(path, orientation=None):
    img = Image.new("RGB", (160, 120), (10, 200, 30))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    img.save(path, exif=exif.tobytes())
    return str(path)


def test_quarter_turn_orientations_swap_width_and_height(tmp_path):
    dataset = ll.Dataset()
    dataset.add_samples(
        [
            ll.Sample(filepath=_jpeg(tmp_path / "plain.jpg")),
            ll.Sample(filepath=_jpeg(tmp_path / "flipped.jpg", orientation=2)),
            ll.Sample(filepath=_jpeg(tmp_path / "turned.jpg", orientation=6)),
            ll.Sample(filepath=_jpeg(tmp_path / "turned_back.jpg", orientation=8)),
        ]
    )
    dataset.compute_metadata()
    sizes = {s.filepath.rsplit("/", 1)[-1]: (s.metadata.width, s.metadata.height) for s in dataset}
    assert sizes == {
        "plain.jpg": (160, 120),
        "flipped.jpg": (160, 120),
        "turned.jpg": (120, 160),
        "turned_back.jpg": (120, 160),
    }
    # the upright size is what Pillow gives once the orientation is applied
    from PIL import ImageOps

    with Image.open(tmp_path / "turned.jpg") as img:
        assert ImageOps.exif_transpose(img).size == sizes["turned.jpg"]
