"""Classical RGB fire and smoke by colour and texture; OpenCV HOG people detector."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.dataset import load_yolo_set, read_image
from perception.detection import BadImage, Box, Modality
from perception.detectors import CombinedDetector, detector_for
from perception.evaluate import score_class
from perception.rgb import FireSmokeDetector, HogPersonDetector, hog_can_find, upright_person_px
from perception.rgb_learned import LearnedFireSmokeDetector
from perception.thermal import person_size_px
from tests.perception.synthetic import draw_figure, two_people_frame, window_box


def textured_field(seed: int) -> np.ndarray:
    """Green-brown vegetation with strong fine texture, 608x608 RGB."""
    rng = np.random.default_rng(seed)
    base = np.zeros((608, 608, 3), np.float32)
    base[:] = (70, 95, 45)
    base += rng.normal(0, 25, (608, 608, 1)).astype(np.float32)
    return np.clip(base, 0, 255).astype(np.uint8)


def test_a_flame_on_vegetation_is_fire_and_a_haze_is_smoke() -> None:
    frame = textured_field(1)
    cv2.ellipse(frame, (150, 400), (40, 70), 0, 0, 360, (255, 140, 30), -1)  # orange flame
    cv2.ellipse(frame, (150, 410), (15, 30), 0, 0, 360, (255, 245, 230), -1)  # white-hot core
    haze = np.zeros((608, 608), np.float32)
    cv2.ellipse(haze, (420, 200), (110, 80), 0, 0, 360, 1.0, -1)
    haze = cv2.GaussianBlur(haze, (0, 0), 8)[:, :, None]
    frame = (frame * (1 - 0.9 * haze) + np.array([200, 200, 205]) * 0.9 * haze).astype(np.uint8)
    found = FireSmokeDetector().detect(frame, Modality.RGB)
    fires = [d for d in found if d.label == "fire"]
    smokes = [d for d in found if d.label == "smoke"]
    assert len(fires) == 1 and fires[0].box.iou(Box(x1=110, y1=330, x2=190, y2=470)) >= 0.7
    assert len(smokes) == 1 and smokes[0].box.iou(Box(x1=310, y1=120, x2=530, y2=280)) >= 0.6
    assert FireSmokeDetector().detect(textured_field(2), Modality.RGB) == []


def test_fire_and_smoke_on_real_frames_beat_chance(fire_dev: Path) -> None:
    items = load_yolo_set(fire_dev).items[::4]  # 180 frames from every source video
    det = FireSmokeDetector()
    preds = [det.detect(read_image(it.image_path, Modality.RGB), Modality.RGB) for it in items]
    truth = [it.truth for it in items]
    fire = score_class("fire", truth, preds, iou_match=0.3)
    smoke = score_class("smoke", truth, preds, iou_match=0.3)
    # Measured on all 717 frames: fire AP50 0.13 (recall 0.43 at IoU 0.3), smoke AP50 0.30
    # (recall 0.84 at IoU 0.3) -- a baseline, far from the 0.7/0.7 target.
    assert fire.recall >= 0.3 and fire.ap50 >= 0.1, fire
    assert smoke.recall >= 0.7 and smoke.ap50 >= 0.2, smoke


def test_hog_finds_an_upright_figure_where_it_stands() -> None:
    frame = np.full((300, 300, 3), 200, np.uint8)
    draw_figure(frame, 150, 60, 170)
    frame = cv2.GaussianBlur(frame, (0, 0), 1.5)
    (person,) = HogPersonDetector().detect(frame, Modality.RGB)
    assert person.score > 0.9
    # The SVM window has a margin around the body: 64x128 for a 48x96 person.
    assert person.box.iou(Box(x1=100, y1=40, x2=200, y2=250)) >= 0.6


def test_hog_finds_only_people_of_the_expected_size() -> None:
    frame = two_people_frame()
    small, large = window_box(150, 200, 85), window_box(420, 80, 255)

    def found(person_px: tuple[float, float] | None) -> list[Box]:
        return [d.box for d in HogPersonDetector(person_px).detect(frame, Modality.RGB)]

    (box,) = found((40, 85))
    assert box.iou(small) >= 0.6
    (box,) = found((150, 255))
    assert box.iou(large) >= 0.6
    assert found((100, 170)) == []  # 1.5x and 2x off the expected size
    unknown = found(None)  # no size: every person from 96 px up, and a bit below
    assert len(unknown) == 2 and max(b.iou(large) for b in unknown) >= 0.6


def test_rgb_detectors_search_people_of_the_size_the_lens_and_range_give() -> None:
    """A 1645 px lens 10 m away: `person_size_px` gives a 156 px box (0.95 m, a person seen
    from above); a standing person seen obliquely shows 1.55 m, 255 px, and only that is found."""
    frame = two_people_frame()
    person_px = person_size_px(1645.0, 10.0)
    assert person_px[1] == pytest.approx(156.3, abs=0.1)
    assert upright_person_px(person_px)[1] == pytest.approx(255.0, abs=0.1)
    people = [d for d in detector_for(Modality.RGB, person_px=person_px).detect(
        frame, Modality.RGB) if d.label == "person"]
    assert len(people) == 1 and people[0].box.iou(window_box(420, 80, 255)) >= 0.6


def test_people_too_small_for_hog_are_not_searched_for_in_rgb_frames() -> None:
    """From 60 m the simulator's 640x360 RGB camera shows a person 1-2 px tall: HOG, whose
    smallest person is 48 px (a 96 px window on a frame upscaled 2x), is left out, and the
    fire/smoke model alone looks at the frame; at 10 m (a 255 px standing person) it runs."""
    far = detector_for(Modality.RGB, person_px=person_size_px(500.0, 60.0))
    assert upright_person_px(person_size_px(500.0, 60.0))[1] < 48 / 1.3
    assert isinstance(far, LearnedFireSmokeDetector)
    near = detector_for(Modality.RGB, person_px=person_size_px(1645.0, 10.0))
    assert isinstance(near, CombinedDetector)
    assert any(isinstance(p, HogPersonDetector) for p in near.parts)
    # Just large enough: the band's largest (1.3x) reaches HOG's smallest.
    assert hog_can_find((20.0, 37.0)) and not hog_can_find((20.0, 36.0))


def test_hog_refuses_a_person_size_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="person_px height must be a positive number, got 0"):
        HogPersonDetector((10.0, 0.0))


def test_hog_people_detector_is_quiet_on_empty_ground_and_ignores_thermal() -> None:
    det = HogPersonDetector()
    assert det.detect(textured_field(3), Modality.RGB) == []
    assert det.detect(np.zeros((64, 64), np.uint8), Modality.THERMAL) == []
    with pytest.raises(BadImage, match="RGB image must be HxWx3"):
        det.detect(np.zeros((64, 64), np.uint8), Modality.RGB)
