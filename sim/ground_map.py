"""The ground as the cameras see it: which surface is where, its texture, and its height.

Rendering asks "what surface is under this pixel" a million times a frame; testing each pixel
against every polygon would cost far too much, so water, roads and building footprints are
rasterised once into a grid of surface codes covering the features (cells of at least 0.5 m,
coarser if the features span a large area), and a pixel becomes one array lookup. Outside the
grid is grass. A small periodic noise tile gives surfaces texture, so that neither the
detectors nor the eye see perfectly uniform ground.
"""

from __future__ import annotations

import math

import numpy as np

from sim.scene import FlatGround, GridGround, Scene

SKY, GRASS, WATER, ROAD, BUILDING = 0, 1, 2, 3, 4
SURFACE_COUNT = 5
MIN_CELL_M = 0.5
MAX_CELLS = 16_000_000
MARGIN_M = 10.0
TEXTURE_CELLS = 256
TEXTURE_SHIFT = 8  #: log2(TEXTURE_CELLS)
TEXTURE_LEVELS = 64
TEXTURE_SPAN = 2.5  #: levels cover this many standard deviations either side
TEXTURE_CELL_M = 0.5


class GroundMap:
    def __init__(self, scene: Scene, seed: int = 7) -> None:
        self.ground = scene.ground
        self._texture_level = _texture_levels(np.random.default_rng(seed))
        points = [p for w in scene.water for p in w.polygon_en_m]
        points += [p for r in scene.roads for p in r.line_en_m]
        points += [p for b in scene.buildings for p in b.polygon_en_m]
        self.surface: np.ndarray | None = None
        self.e0_m = self.n0_m = 0.0
        self.cell_m = MIN_CELL_M
        if not points:
            return
        pts = np.array(points)
        pad = MARGIN_M + max((r.width_m for r in scene.roads), default=0.0)
        self.e0_m, self.n0_m = float(pts[:, 0].min() - pad), float(pts[:, 1].min() - pad)
        span_e = float(pts[:, 0].max() + pad) - self.e0_m
        span_n = float(pts[:, 1].max() + pad) - self.n0_m
        self.cell_m = max(MIN_CELL_M, math.sqrt(span_e * span_n / MAX_CELLS))
        cols, rows = math.ceil(span_e / self.cell_m), math.ceil(span_n / self.cell_m)
        self.surface = np.full((rows + 2, cols + 2), GRASS, dtype=np.uint8)  # grass border
        self.e0_m -= self.cell_m
        self.n0_m -= self.cell_m
        for w in scene.water:
            self._fill_polygon(w.polygon_en_m, WATER)
        for r in scene.roads:
            for a, b in zip(r.line_en_m, r.line_en_m[1:], strict=False):
                self._fill_segment(a, b, r.width_m / 2, ROAD)
        for bld in scene.buildings:
            self._fill_polygon(bld.polygon_en_m, BUILDING)

    def surface_at(self, east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
        """Surface code under each point (GRASS off the map: its border cells are grass, and
        points beyond it read the nearest border cell)."""
        if self.surface is None:
            return np.full(east_m.shape, GRASS, dtype=np.uint8)
        rows_n, cols_n = self.surface.shape
        c = np.clip((east_m - self.e0_m) * (1.0 / self.cell_m), 0, cols_n - 1).astype(np.int32)
        r = np.clip((north_m - self.n0_m) * (1.0 / self.cell_m), 0, rows_n - 1).astype(np.int32)
        r *= cols_n
        r += c
        return np.take(self.surface, r)

    def surface_key_at(self, east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
        """surface * TEXTURE_LEVELS + texture level per point: one index into a shading table
        per pixel (`shading_table`), instead of a surface lookup and a texture product."""
        key = self.surface_at(east_m, north_m).astype(np.intp)
        key *= TEXTURE_LEVELS
        c = (east_m * (1.0 / TEXTURE_CELL_M)).astype(np.intp)
        r = (north_m * (1.0 / TEXTURE_CELL_M)).astype(np.intp)
        c &= TEXTURE_CELLS - 1
        r &= TEXTURE_CELLS - 1
        r <<= TEXTURE_SHIFT
        r |= c
        key += np.take(self._texture_level, r)
        return key

    def height_amsl_m(self, east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
        g = self.ground
        if isinstance(g, FlatGround):
            return np.full(np.shape(east_m), g.ground_amsl_m, dtype=np.float32)
        return grid_height_amsl_m(g, east_m, north_m)

    def _cell_centres(self, lo_e: float, lo_n: float, hi_e: float,
                      hi_n: float) -> tuple[slice, slice, np.ndarray, np.ndarray]:
        assert self.surface is not None
        c0 = max(0, int((lo_e - self.e0_m) / self.cell_m))
        c1 = min(self.surface.shape[1], int((hi_e - self.e0_m) / self.cell_m) + 2)
        r0 = max(0, int((lo_n - self.n0_m) / self.cell_m))
        r1 = min(self.surface.shape[0], int((hi_n - self.n0_m) / self.cell_m) + 2)
        e = self.e0_m + (np.arange(c0, c1) + 0.5) * self.cell_m
        n = self.n0_m + (np.arange(r0, r1) + 0.5) * self.cell_m
        ee, nn = np.meshgrid(e, n)
        return slice(r0, r1), slice(c0, c1), ee, nn

    def _fill_polygon(self, polygon: tuple[tuple[float, float], ...], code: int) -> None:
        assert self.surface is not None
        p = np.array(polygon)
        rows, cols, ee, nn = self._cell_centres(p[:, 0].min(), p[:, 1].min(), p[:, 0].max(),
                                                p[:, 1].max())
        inside = points_in_polygon(ee, nn, polygon)
        self.surface[rows, cols][inside] = code

    def _fill_segment(self, a: tuple[float, float], b: tuple[float, float], half_width_m: float,
                      code: int) -> None:
        assert self.surface is not None
        rows, cols, ee, nn = self._cell_centres(
            min(a[0], b[0]) - half_width_m, min(a[1], b[1]) - half_width_m,
            max(a[0], b[0]) + half_width_m, max(a[1], b[1]) + half_width_m)
        de, dn = b[0] - a[0], b[1] - a[1]
        length2 = de * de + dn * dn or 1e-9
        s = np.clip(((ee - a[0]) * de + (nn - a[1]) * dn) / length2, 0.0, 1.0)
        near = np.hypot(ee - (a[0] + s * de), nn - (a[1] + s * dn)) <= half_width_m
        self.surface[rows, cols][near] = code


def points_in_polygon(east_m: np.ndarray, north_m: np.ndarray,
                      polygon: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Even-odd rule, vectorised over the points."""
    inside = np.zeros(east_m.shape, dtype=bool)
    n = len(polygon)
    for i in range(n):
        (xa, ya), (xb, yb) = polygon[i], polygon[(i + 1) % n]
        if ya == yb:
            continue
        crosses = (ya > north_m) != (yb > north_m)
        x_at = xa + (north_m - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (east_m < x_at)
    return inside


def grid_height_amsl_m(g: GridGround, east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
    """Bilinear between grid posts; the edge posts' heights beyond the grid."""
    h = np.asarray(g.heights_amsl_m, dtype=np.float32)
    r = np.clip((np.asarray(north_m) - g.north0_m) / g.spacing_m, 0, h.shape[0] - 1.000001)
    c = np.clip((np.asarray(east_m) - g.east0_m) / g.spacing_m, 0, h.shape[1] - 1.000001)
    r0, c0 = r.astype(np.int32), c.astype(np.int32)
    fr, fc = r - r0, c - c0
    return ((1 - fr) * (1 - fc) * h[r0, c0] + (1 - fr) * fc * h[r0, c0 + 1]
            + fr * (1 - fc) * h[r0 + 1, c0] + fr * fc * h[r0 + 1, c0 + 1])


def texture_level_values() -> np.ndarray:
    """The noise value (in standard deviations) each texture level stands for."""
    return np.linspace(-TEXTURE_SPAN, TEXTURE_SPAN, TEXTURE_LEVELS, dtype=np.float32)


def shading_table(per_surface: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Rows indexed by `surface_key_at`: a surface's value plus spread x its texture level.
    `per_surface` is (SURFACE_COUNT,) or (SURFACE_COUNT, channels)."""
    levels = texture_level_values()
    base = np.asarray(per_surface, dtype=np.float32)
    if base.ndim == 1:
        return (base[:, None] + spread[:, None] * levels[None, :]).reshape(-1)
    scale = 1.0 + spread[:, None] * levels[None, :]  # RGB: brightness varies
    return (base[:, None, :] * scale[:, :, None]).reshape(-1, base.shape[1])


def _texture_levels(rng: np.random.Generator) -> np.ndarray:
    """Periodic smooth noise, quantised to TEXTURE_LEVELS: white noise box-blurred a few
    times, plus a little fine grain, scaled to unit spread."""
    t = rng.standard_normal((TEXTURE_CELLS, TEXTURE_CELLS))
    for _ in range(4):
        for axis in (0, 1):
            t = (np.roll(t, -2, axis) + np.roll(t, -1, axis) + t + np.roll(t, 1, axis)
                 + np.roll(t, 2, axis)) / 5.0
    fine = rng.standard_normal((TEXTURE_CELLS, TEXTURE_CELLS)) * 0.3
    t = t / t.std() + fine
    t = t / t.std()
    q = np.round((t + TEXTURE_SPAN) / (2 * TEXTURE_SPAN) * (TEXTURE_LEVELS - 1))
    return np.clip(q, 0, TEXTURE_LEVELS - 1).astype(np.intp).ravel()
