"""A user's YOLO-style ONNX model: both export layouts decoded, letterbox undone, NMS applied.

The models are built here with the onnx helper API: a constant set of candidate boxes whose
scores are multiplied by the brightest input pixel, so a black frame yields nothing and a
white one yields the boxes, proving the frame really flows through the model.
"""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from perception.detection import Box, Modality
from perception.onnx_yolo import BadModel, OnnxYoloDetector, letterbox

# Candidates in the 64x64 letterboxed input: (cx, cy, w, h, class, score)
CANDIDATES = [
    (32, 32, 16, 8, 0, 0.9),  # a fire
    (33, 32, 16, 8, 0, 0.8),  # the same fire again: suppressed
    (10, 40, 6, 6, 1, 0.6),  # smoke
    (50, 20, 4, 4, 1, 0.1),  # below the score threshold
]


def build_model(path: Path, layout: str, names: dict[int, str] | None) -> Path:
    n_cls = 2
    cols = (5 if layout == "v5" else 4) + n_cls
    boxes = np.zeros((1, len(CANDIDATES), cols), np.float32)
    scores = np.zeros_like(boxes)
    for i, (cx, cy, w, h, c, s) in enumerate(CANDIDATES):
        boxes[0, i, :4] = (cx, cy, w, h)
        if layout == "v5":
            scores[0, i, 4] = 1.0  # objectness
            scores[0, i, 5 + c] = s
        else:
            scores[0, i, 4 + c] = s
    if layout == "v8":
        boxes, scores = boxes.transpose(0, 2, 1).copy(), scores.transpose(0, 2, 1).copy()
    nodes = [
        helper.make_node("ReduceMax", ["images"], ["peak4"], keepdims=1),
        helper.make_node("Reshape", ["peak4", "shape3"], ["peak"]),
        helper.make_node("Mul", ["scores", "peak"], ["live_scores"]),
        helper.make_node("Add", ["boxes", "live_scores"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(boxes.shape))],
        [numpy_helper.from_array(boxes, "boxes"), numpy_helper.from_array(scores, "scores"),
         numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape3")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if names is not None:
        helper.set_model_props(model, {"names": repr(names)})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(("layout", "names"), [
    ("v5", None), ("v8", None), ("v5", {0: "fire", 1: "smoke"}), ("v8", {0: "fire", 1: "smoke"}),
])
def test_both_layouts_decode_to_the_same_boxes_in_frame_pixels(
    tmp_path: Path, layout: str, names: dict[int, str] | None
) -> None:
    model = build_model(tmp_path / "m.onnx", layout, names)
    det = OnnxYoloDetector(model, class_names=None if names else ["fire", "smoke"])
    frame = np.full((64, 128, 3), 255, np.uint8)  # 2:1 frame: scale 0.5, 16 px bands top/bottom
    found = det.detect(frame, Modality.RGB)
    assert [d.label for d in found] == ["fire", "smoke"]
    fire, smoke = found
    assert fire.score == pytest.approx(0.9, abs=1e-6)
    # (32, 32, 16, 8) in the letterbox -> x (24..40 - 0) / 0.5, y (28..36 - 16) / 0.5
    assert fire.box == Box(x1=48.0, y1=24.0, x2=80.0, y2=40.0)
    assert smoke.box == Box(x1=14.0, y1=42.0, x2=26.0, y2=54.0)


def test_the_frame_flows_through_the_model(tmp_path: Path) -> None:
    det = OnnxYoloDetector(build_model(tmp_path / "m.onnx", "v8", {0: "fire", 1: "smoke"}))
    assert det.detect(np.zeros((64, 64, 3), np.uint8), Modality.RGB) == []
    thermal = np.full((64, 64), 255, np.uint8)  # thermal frames are fed as grey RGB
    assert len(det.detect(thermal, Modality.THERMAL)) == 2


def test_letterbox_keeps_aspect_and_pads_grey() -> None:
    canvas, lb = letterbox(np.zeros((100, 200, 3), np.uint8), (64, 64))
    assert canvas.shape == (64, 64, 3) and lb.scale == 0.32 and lb.pad_y_px == 16
    assert canvas[0, 0, 0] == 114 and canvas[32, 32, 0] == 0


def test_models_that_are_not_yolo_detectors_are_refused_by_name(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(BadModel, match="junk.onnx: not a loadable ONNX model"):
        OnnxYoloDetector(junk)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        OnnxYoloDetector(tmp_path / "missing.onnx")
    det = OnnxYoloDetector(build_model(tmp_path / "m.onnx", "v8", None),
                           class_names=["a", "b", "c", "d", "e"])
    with pytest.raises(BadModel, match=r"output \[1, 6, 4\] fits neither YOLOv5"):
        det.detect(np.full((64, 64, 3), 255, np.uint8), Modality.RGB)
