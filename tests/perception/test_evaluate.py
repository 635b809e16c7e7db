"""Precision, recall and AP50 computed the VOC way, checked on cases worked out by hand."""

import pytest

from perception.detection import Box, Detection
from perception.evaluate import LabelledImage, parse_yolo_labels, score_class


def box(x: float, y: float, w: float = 10, h: float = 20) -> Box:
    return Box(x1=x, y1=y, x2=x + w, y2=y + h)


def person(b: Box, score: float) -> Detection:
    return Detection(label="person", score=score, box=b)


def test_yolo_lines_become_pixel_boxes_and_bad_lines_name_themselves() -> None:
    ((label, b),) = parse_yolo_labels("0 0.5 0.5 0.1 0.2\n", {0: "person"}, 640, 512)
    assert label == "person"
    assert (b.x1, b.y1, b.x2, b.y2) == pytest.approx((288.0, 204.8, 352.0, 307.2))
    with pytest.raises(ValueError, match="line 2: expected 'cls cx cy w h'"):
        parse_yolo_labels("0 0.5 0.5 0.1 0.2\n0 0.5\n", {0: "person"}, 640, 512)
    with pytest.raises(ValueError, match="line 1: class 3 is not in"):
        parse_yolo_labels("3 0.5 0.5 0.1 0.2", {0: "person"}, 640, 512)


def test_ap50_of_a_ranked_list_worked_by_hand() -> None:
    # Two people; detections ranked: hit (0.9), miss (0.8), hit (0.7).
    # PR points: (r=.5, p=1), (r=.5, p=.5), (r=1, p=2/3) -> AP = .5*1 + .5*(2/3) = 0.8333
    truth = [LabelledImage(boxes=(("person", box(0, 0)), ("person", box(100, 100))))]
    preds = [[person(box(0, 1), 0.9), person(box(300, 300), 0.8), person(box(101, 100), 0.7)]]
    score = score_class("person", truth, preds)
    assert score.true_positives == 2 and score.detections == 3
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == 1.0
    assert score.ap50 == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_one_box_matches_once_and_ignore_regions_do_not_count_as_false_alarms() -> None:
    truth = [LabelledImage(boxes=(("person", box(0, 0)),), ignore=(box(200, 200, 50, 50),))]
    preds = [[person(box(0, 0), 0.9), person(box(1, 0), 0.8), person(box(210, 210), 0.95)]]
    score = score_class("person", truth, preds)
    assert score.true_positives == 1
    assert score.detections == 2  # the duplicate counts against precision; the ignored one not
    assert score.precision == 0.5


def test_low_iou_is_a_miss() -> None:
    truth = [LabelledImage(boxes=(("person", box(0, 0)),))]
    # Shifted by half its width: IoU = 50/150 = 0.33 < 0.5
    score = score_class("person", truth, [[person(box(5, 0), 0.9)]])
    assert score.true_positives == 0 and score.ap50 == 0.0
