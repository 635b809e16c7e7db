"""YOLO-format folders (images/, labels/, data.yaml, optional ignore.json) as labelled images.

One loader serves `skywatch eval`, the benchmark, the tests and the training script, so all of
them score exactly the same boxes and ignore regions.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from perception.detection import BadImage, Box, Modality, check_image
from perception.evaluate import LabelledImage, parse_yolo_labels

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


class BadDataset(ValueError):
    """The folder is not a usable YOLO-format set; the message names the file and the reason."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelledFile:
    image_path: Path
    truth: LabelledImage


@dataclass(frozen=True, kw_only=True, slots=True)
class YoloSet:
    root: Path
    names: dict[int, str]
    items: tuple[LabelledFile, ...]


def read_image(path: Path, modality: Modality) -> np.ndarray:
    """Thermal as HxW (8 or 16 bit as stored), RGB as HxWx3 (RGB order); `BadImage` if not."""
    return as_modality(decode_image(path), modality, path)


def read_frame(path: Path, modality: Modality | None = None) -> tuple[np.ndarray, Modality]:
    """Like `read_image`; without a modality, grey files are thermal and colour files RGB."""
    raw = decode_image(path)
    if modality is None:
        modality = Modality.THERMAL if raw.ndim == 2 or _grey(raw) else Modality.RGB
    return as_modality(raw, modality, path), modality


def decode_image(path: Path) -> np.ndarray:
    """The file's pixels as OpenCV decodes them (BGR order, bit depth kept).

    OpenCV decodes a truncated JPEG partially with only a warning, so the end-of-image marker
    is checked first: a half-transferred frame must not be scored as if it were whole.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadImage(f"{path}: cannot read ({e.strerror})") from e
    if not data:
        raise BadImage(f"{path}: file is empty")
    if data[:2] == b"\xff\xd8" and data.rstrip(b"\0")[-2:] != b"\xff\xd9":
        raise BadImage(f"{path}: truncated JPEG (no end-of-image marker)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BadImage(f"{path}: not a readable image")
    return image


def as_modality(image: np.ndarray, modality: Modality, path: Path | str = "image") -> np.ndarray:
    if modality is Modality.THERMAL:
        if image.ndim == 3:
            image = image[:, :, 0] if image.shape[2] in (3, 4) else image.max(axis=2)
    else:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        else:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if image.dtype != np.uint8:
            image = (image // 257).astype(np.uint8)
    try:
        check_image(image, modality)
    except BadImage as e:
        raise BadImage(f"{path}: {e}") from None
    return image


def _grey(image: np.ndarray) -> bool:
    sample = image[::8, ::8]
    return image.shape[2] >= 3 and bool(
        np.array_equal(sample[:, :, 0], sample[:, :, 1])
        and np.array_equal(sample[:, :, 1], sample[:, :, 2]))


def load_yolo_set(root: Path, image_size_px: dict[str, tuple[int, int]] | None = None) -> YoloSet:
    """Read `data.yaml` names, every image's label file and `ignore.json` regions.

    Image sizes come from `manifest.json` when present (no decoding needed), else from the
    image header; `image_size_px` overrides both (for tests).
    """
    root = Path(root)
    yaml_path = root / "data.yaml"
    if not yaml_path.is_file():
        raise BadDataset(f"{yaml_path}: missing (a YOLO set needs data.yaml with names)")
    meta = yaml.safe_load(yaml_path.read_text()) or {}
    raw_names = meta.get("names")
    if isinstance(raw_names, list):
        names = dict(enumerate(str(n) for n in raw_names))
    elif isinstance(raw_names, dict):
        names = {int(k): str(v) for k, v in raw_names.items()}
    else:
        raise BadDataset(f"{yaml_path}: 'names' must be a list or a mapping, got {raw_names!r}")
    images_dir = root / "images"
    if not images_dir.is_dir():
        raise BadDataset(f"{images_dir}: missing")
    sizes = dict(image_size_px or {})
    manifest = root / "manifest.json"
    if not sizes and manifest.is_file():
        sizes = _manifest_sizes(json.loads(manifest.read_text()))
    ignore_path = root / "ignore.json"
    ignore = json.loads(ignore_path.read_text()) if ignore_path.is_file() else {}
    items = []
    for image_path in sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        label_path = root / "labels" / f"{image_path.stem}.txt"
        if not label_path.is_file():
            raise BadDataset(f"{label_path}: missing label file for {image_path.name}")
        w, h = sizes.get(image_path.name) or _header_size(image_path)
        try:
            boxes = parse_yolo_labels(label_path.read_text(), names, w, h)
        except ValueError as e:
            raise BadDataset(f"{label_path}: {e}") from e
        regions = tuple(
            Box(x1=r[0], y1=r[1], x2=r[2], y2=r[3]) for r in ignore.get(image_path.name, [])
        )
        items.append(LabelledFile(
            image_path=image_path, truth=LabelledImage(boxes=boxes, ignore=regions)
        ))
    if not items:
        raise BadDataset(f"{images_dir}: no images")
    return YoloSet(root=root, names=names, items=tuple(items))


def _manifest_sizes(manifest: object) -> dict[str, tuple[int, int]]:
    """`{"images": {name: {"width": w, "height": h, ...}}}` as the fixture manifests have it."""
    images = manifest.get("images") if isinstance(manifest, dict) else None
    out: dict[str, tuple[int, int]] = {}
    if isinstance(images, dict):
        for name, f in images.items():
            if isinstance(f, dict) and {"width", "height"} <= f.keys():
                out[Path(name).name] = (int(f["width"]), int(f["height"]))
    return out


def _header_size(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BadDataset(f"{path}: not a readable image")
    return image.shape[1], image.shape[0]


def source_of(image_name: str) -> str:
    """The source video of a Roboflow-exported frame (`<video>_mp4-<n>_jpg.rf.<hash>.jpg`);
    a still is its own source. Frames of one video are near-duplicates, so sets are split by
    source, never by frame."""
    return image_name.split("_mp4-")[0] if "_mp4-" in image_name else f"still:{image_name}"


def held_out_source(image_name: str) -> bool:
    """A fixed third of the sources (by CRC32 of the source name), for validation."""
    return zlib.crc32(source_of(image_name).encode()) % 3 == 0
