"""A page photographed at an angle comes back at its true proportions."""

import io

import pytest
from PIL import Image

from handoff.capture.scan.aspect import PAPERS, page_ratio, snap
from handoff.capture.scan.straighten import process_page

from ..scanmedia import camera_corners, grid_page, photographed, to_jpeg

#: Pages of known size (mm, width × height).
PAGES = {"A4": (210, 297), "Letter": (215.9, 279.4), "ID-1": (85.6, 53.98), "receipt": (80, 240)}
#: (tilt, turn) in degrees: about the page's horizontal axis, then its vertical one.
VIEWS = [(15, 0), (30, 0), (45, 0), (0, 30), (30, 20), (45, 30), (20, 40), (40, 15)]
PHOTO = (900, 1200)


def shot(name: str, tilt: float, turn: float, focal: float = 0.6) -> tuple[bytes, list]:
    width, height = PAGES[name]
    scale = 600 / max(width, height)
    page = grid_page(round(width * scale), round(height * scale))
    corners = camera_corners((width, height), tilt, turn, spin=4, size=PHOTO, focal=focal)
    return to_jpeg(photographed(page, corners, size=PHOTO)), corners


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("tilt, turn", VIEWS)
def test_ratio_from_corners_is_within_two_percent(name, tilt, turn):
    width, height = PAGES[name]
    _, corners = shot(name, tilt, turn)
    assert page_ratio(corners, PHOTO) == pytest.approx(width / height, rel=0.02)


@pytest.mark.parametrize("focal", [0.45, 1.0])
@pytest.mark.parametrize("tilt, turn", [(30, 30), (45, 30), (30, 45), (40, 40)])
def test_focal_length_is_read_from_two_vanishing_points(focal, tilt, turn):
    # A wide and a long lens: the page tilted both ways tells the camera's focal length.
    _, corners = shot("Letter", tilt, turn, focal=focal)
    assert page_ratio(corners, PHOTO) == pytest.approx(215.9 / 279.4, rel=0.02)


def test_a_page_seen_head_on_keeps_its_edge_lengths():
    corners = [(100.0, 100.0), (400.0, 100.0), (400.0, 700.0), (100.0, 700.0)]
    assert page_ratio(corners, PHOTO) == pytest.approx(0.5)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("tilt, turn", [(15, 0), (45, 0), (30, 20), (20, 40)])
def test_straightened_page_has_the_true_ratio(name, tilt, turn):
    width, height = PAGES[name]
    photo, corners = shot(name, tilt, turn)
    page, (out_width, out_height) = process_page(photo, corners)
    assert Image.open(io.BytesIO(page)).size == (out_width, out_height)
    assert out_width / out_height == pytest.approx(width / height, rel=0.02)


@pytest.mark.parametrize("paper", PAPERS, ids=lambda p: p.name)
def test_pages_near_a_paper_size_snap_to_it_exactly(paper):
    photo, corners = shot(paper.name, 30, 20)
    _, (out_width, out_height) = process_page(photo, corners)
    short, long = sorted((out_width, out_height))
    assert abs(short - long * paper.ratio) <= 0.5


def test_snapping_reaches_three_percent_and_no_further():
    a4 = 210 / 297
    assert snap(a4 * 1.029) == (pytest.approx(a4), PAPERS[0])
    assert snap(1 / (a4 * 0.972)) == (pytest.approx(1 / a4), PAPERS[0])  # landscape
    assert snap(a4 * 1.035)[1] is None
    assert snap(0.5) == (0.5, None)
