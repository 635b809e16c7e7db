"""Render a camera's frame from a scene, with the ground truth of every visible object.

Plain NumPy ray casting, one ray per pixel centre: the ground (flat, or a height grid refined
by a few fixed-point steps), building roofs, then each object inside its own projected box
only, so the cost is the ground's plus a few small windows. A depth buffer decides what is in
front; the truth box of an object is the box of the pixels it actually won, so an object
hidden under a roof or outside the view is not in the truth.

Thermal frames are 16-bit counts in centi-kelvin (305 K reads 30500), clipped at 65535
(655.35 K) as a radiometric core saturates on flames; a fire's truth carries its real
temperature. They are blurred by the optics ([1, 2, 1] in both directions) and carry 0.06 K
of sensor noise. By day grass and roofs are a few kelvin above the air, asphalt well above
body temperature at noon, water cooler than the land; at night the land cools below water.
RGB frames are 8-bit RGB: surface colours with texture, figures in clothing colours, fire
yellow to orange, smoke as grey puffs drifting downwind (smoke is truth in RGB only: long-wave
infrared sees through it).
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.camera import CameraPose, Intrinsics, camera_rays, enu_from_camera, project_enu
from sim.ground_map import (
    BUILDING,
    GRASS,
    SKY,
    SURFACE_COUNT,
    TEXTURE_LEVELS,
    GroundMap,
    points_in_polygon,
    shading_table,
)
from sim.scene import Fire, FlatGround, Scene, Solid

Modality = Literal["rgb", "thermal"]

MAX_RANGE_M = 5000.0
GRID_REFINE_STEPS = 3
NOISE_K = 0.06
COUNTS_PER_K = 100.0
FIRE_EDGE_FRACTION = 0.45  #: the flame edge is this much cooler than the core
HALO_WIDTH = 0.6  #: ground within (1 + this) radii of a fire is heated ...
HALO_K = 40.0  #: ... by up to this much
SMOKE_PUFFS = 6

#: Surface temperatures in kelvin (by day, at night) and texture spread, indexed by surface.
_DAY_K = np.array([240.0, 301.0, 294.0, 316.0, 309.0], dtype=np.float32)
_NIGHT_K = np.array([235.0, 287.0, 292.0, 290.0, 289.0], dtype=np.float32)
_TEXTURE_K = np.array([0.0, 1.5, 0.3, 0.8, 1.0], dtype=np.float32)
_RGB = np.array([[170, 200, 235], [78, 112, 58], [46, 78, 104], [92, 92, 96],
                 [150, 140, 128]], dtype=np.float32)
_RGB_TEXTURE = np.array([0.0, 0.12, 0.04, 0.05, 0.06], dtype=np.float32)
_CLOTHES = np.array([[200, 40, 40], [40, 70, 180], [230, 200, 40], [240, 240, 240],
                     [30, 140, 60]], dtype=np.float32)
_SOLID_RGB = {"car": (180, 30, 30), "boat": (235, 235, 230), "debris": (110, 80, 50)}
_SMOKE_RGB = np.array([175, 175, 170], dtype=np.float32)
assert len(_DAY_K) == SURFACE_COUNT and SKY == 0 and GRASS == 1


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthObject:
    """An object the frame shows: its pixel box (x1 <= x < x2) and where it really is."""

    object_id: str  #: stable across frames: "fire-0", "person-3", "smoke-0"
    label: str  #: fire, smoke, person, car, boat, debris
    box: tuple[int, int, int, int]
    pixels: int
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float  #: the ground under the object
    range_m: float  #: from the camera
    temp_k: float | None = None


@dataclass(frozen=True, kw_only=True)
class Frame:
    modality: Modality
    image: np.ndarray  #: RGB: HxWx3 uint8; thermal: HxW uint16 centi-kelvin
    intrinsics: Intrinsics
    pose: CameraPose
    t_s: float  #: sim time
    truth: tuple[TruthObject, ...]


#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_FREED_BYTES = 128 << 20
MMAP_ABOVE_BYTES = 32 << 20


def keep_frame_buffers() -> None:
    """Ask the C allocator to keep freed frame-sized buffers for the next frame.

    A frame allocates about 10 MB of temporaries, most above glibc's threshold for giving
    memory back to the kernel, so every frame faulted 2,500 fresh pages in: half of a thermal
    frame's CPU (29 ms against 13 ms). Process-wide and idempotent; without glibc, nothing.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, MMAP_ABOVE_BYTES)
        mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_BYTES)


class Renderer:
    """One camera's renderer: pixel rays and noise are prepared once, frames are cheap."""

    def __init__(self, scene: Scene, ground_map: GroundMap, k: Intrinsics, modality: Modality,
                 *, seed: int = 0, wind_east_mps: float = 0.0, wind_north_mps: float = 0.0
                 ) -> None:
        self.scene = scene
        self.ground_map = ground_map
        self.k = k
        self.modality = modality
        keep_frame_buffers()
        self._rays = camera_rays(k)
        self._rng = np.random.default_rng(seed)
        n = k.width_px * k.height_px
        self._noise = self._rng.standard_normal(2 * n).astype(np.float32)
        if modality == "thermal":
            day = _DAY_K if scene.ambient.daytime else _NIGHT_K
            self._table = shading_table(day + np.float32(scene.ambient.air_temp_k - 298.0),
                                        _TEXTURE_K)
        else:
            light = 1.0 if scene.ambient.daytime else 0.25
            self._table = shading_table(_RGB * np.float32(light), _RGB_TEXTURE)
        speed = math.hypot(wind_east_mps, wind_north_mps)
        self._downwind = ((wind_east_mps / speed, wind_north_mps / speed) if speed > 0.1
                          else (0.0, 0.0))

    def render(self, pose: CameraPose, t_s: float) -> Frame:
        k = self.k
        h, w = k.height_px, k.width_px
        d = _rotate_rays(enu_from_camera(pose), self._rays)  # (3, N): east, north, up
        cam = np.array([pose.east_m, pose.north_m, pose.alt_amsl_m], dtype=np.float32)
        t_ground, ge, gn = self._ground(d, cam)
        key = self.ground_map.surface_key_at(ge, gn)
        key[np.isinf(t_ground)] = SKY * TEXTURE_LEVELS + TEXTURE_LEVELS // 2
        depth = t_ground.copy()
        label = np.zeros(h * w, dtype=np.int16)
        geo = _Geometry(d=d, cam=cam, depth=depth, label=label, key=key,
                        t_ground=t_ground, ge=ge, gn=gn, w=w, h=h)
        for b in self.scene.buildings:
            self._roof(geo, pose, b.polygon_en_m, b.height_m)
        fires = self.scene.fires_at(t_s)
        solids = self.scene.solids_at(t_s)
        fire_px: list[tuple[np.ndarray, np.ndarray]] = []
        halo_px: list[tuple[np.ndarray, np.ndarray]] = []
        for i, f in enumerate(fires):
            fire_px.append(self._fire(geo, pose, f, t_s, 1 + i, halo_px))
        solid_px = [self._solid(geo, pose, s, 1 + len(fires) + i) for i, s in enumerate(solids)]
        # Later objects may have covered earlier ones: keep only the pixels each still owns.
        fire_px = [(idx[keep], dist[keep]) for oid, (idx, dist) in enumerate(fire_px, 1)
                   for keep in [geo.label[idx] == oid]]
        halo_px = [(idx[keep], wt[keep]) for idx, wt in halo_px for keep in [geo.label[idx] == 0]]
        solid_px = [idx[geo.label[idx] == 1 + len(fires) + i] for i, idx in enumerate(solid_px)]
        truth = self._truth(geo, pose, fires, solids, [idx for idx, _ in fire_px], solid_px)
        if self.modality == "thermal":
            image = self._thermal(geo, fires, solids, fire_px, halo_px, solid_px)
        else:
            image, smoke = self._rgb(geo, pose, fires, solids, fire_px, solid_px, t_s)
            truth += smoke
        return Frame(modality=self.modality, image=image, intrinsics=k, pose=pose, t_s=t_s,
                     truth=tuple(truth))

    def _noise_slice(self, size: int) -> np.ndarray:
        """Unit Gaussian noise from a random place in a pre-drawn buffer: fresh enough per
        frame at a fraction of the cost of drawing it."""
        start = int(self._rng.integers(0, self._noise.size - size + 1))
        return self._noise[start: start + size]

    # --- geometry -------------------------------------------------------------------------

    def _ground(self, d: np.ndarray, cam: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Depth to the ground per pixel (inf for sky) and the east/north of that point.

        Float32 throughout with Python-float scalars: NumPy would promote a float64 scalar
        and double the cost of every pass over the million pixels.
        """
        down = np.maximum(-d[2], np.float32(1e-6))
        g = self.ground_map.ground
        ground_h = (g.ground_amsl_m if isinstance(g, FlatGround)
                    else float(np.mean(g.heights_amsl_m)))
        e0, n0, up0 = float(cam[0]), float(cam[1]), float(cam[2])
        t = (up0 - ground_h) / down
        steps = 0 if isinstance(g, FlatGround) else GRID_REFINE_STEPS
        for _ in range(steps):
            hh = self.ground_map.height_amsl_m(e0 + t * d[0], n0 + t * d[1])
            t = (up0 - hh) / down
        sky = (down <= 1e-6) | (t <= 0) | (t >= MAX_RANGE_M)
        near = np.minimum(t, np.float32(MAX_RANGE_M))
        ge = e0 + near * d[0]
        gn = n0 + near * d[1]
        t[sky] = np.inf
        return t, ge, gn

    def _window(self, pose: CameraPose, points: np.ndarray) -> tuple[slice, slice] | None:
        """Image rows/cols a 3-D point set can cover; None when out of view."""
        u, v, z = project_enu(points, pose, self.k)
        if np.all(z <= 0.05):
            return None
        if np.any(z <= 0.05):
            return slice(0, self.k.height_px), slice(0, self.k.width_px)
        c0, c1 = max(0, int(math.floor(u.min())) - 1), min(self.k.width_px,
                                                           int(math.ceil(u.max())) + 1)
        r0, r1 = max(0, int(math.floor(v.min())) - 1), min(self.k.height_px,
                                                           int(math.ceil(v.max())) + 1)
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)

    def _roof(self, geo: _Geometry, pose: CameraPose, polygon: tuple[tuple[float, float], ...],
              height_m: float) -> None:
        p = np.array(polygon)
        base = float(self.ground_map.height_amsl_m(p[:, 0].mean(keepdims=True),
                                                   p[:, 1].mean(keepdims=True))[0])
        top = base + height_m
        pts = np.concatenate([np.column_stack([p, np.full(len(p), z)]) for z in (base, top)])
        win = self._window(pose, pts)
        if win is None:
            return
        idx = geo.index(win)
        down = -geo.d[2][idx]
        ok = down > 1e-6
        t = np.where(ok, (geo.cam[2] - top) / np.where(ok, down, 1.0), np.inf)
        e = geo.cam[0] + t * geo.d[0][idx]
        n = geo.cam[1] + t * geo.d[1][idx]
        hit = ok & (t > 0) & (t < geo.depth[idx]) & points_in_polygon(e, n, polygon)
        geo.depth[idx[hit]] = t[hit]
        geo.key[idx[hit]] = BUILDING * TEXTURE_LEVELS + TEXTURE_LEVELS // 2
        geo.label[idx[hit]] = 0

    def _fire(self, geo: _Geometry, pose: CameraPose, f: Fire, t_s: float, oid: int,
              halo_px: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        r = f.radius_at_m(t_s)
        reach = r * (1 + HALO_WIDTH)
        g = float(self.ground_map.height_amsl_m(np.array([f.east_m]), np.array([f.north_m]))[0])
        pts = np.array([[f.east_m + dx, f.north_m + dy, g] for dx in (-reach, reach)
                        for dy in (-reach, reach)])
        win = self._window(pose, pts)
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if win is None:
            return empty
        idx = geo.index(win)
        on_ground = (geo.label[idx] == 0) & (geo.depth[idx] >= geo.t_ground[idx] * 0.9999) \
            & np.isfinite(geo.t_ground[idx])
        dist = np.hypot(geo.ge[idx] - f.east_m, geo.gn[idx] - f.north_m) / r
        flame = on_ground & (dist < 1.0)
        geo.label[idx[flame]] = oid
        halo = on_ground & (dist >= 1.0) & (dist < 1 + HALO_WIDTH)
        halo_px.append((idx[halo], (1 - (dist[halo] - 1) / HALO_WIDTH).astype(np.float32)))
        return idx[flame], dist[flame].astype(np.float32)

    def _solid(self, geo: _Geometry, pose: CameraPose, s: Solid, oid: int) -> np.ndarray:
        length, width, height = s.size_m
        g = float(self.ground_map.height_amsl_m(np.array([s.east_m]), np.array([s.north_m]))[0])
        hd = math.radians(s.heading_deg)
        axes = np.array([[math.sin(hd), math.cos(hd), 0.0], [math.cos(hd), -math.sin(hd), 0.0],
                         [0.0, 0.0, 1.0]])
        half = np.array([length / 2, width / 2, height / 2])
        centre = np.array([s.east_m, s.north_m, g + height / 2])
        corners = np.array([centre + (sx * half[0]) * axes[0] + (sy * half[1]) * axes[1]
                            + (sz * half[2]) * axes[2]
                            for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        win = self._window(pose, corners)
        if win is None:
            return np.zeros(0, dtype=np.int64)
        idx = geo.index(win)
        rel = geo.cam - centre
        t_near = np.full(idx.size, -np.inf, dtype=np.float32)
        t_far = np.full(idx.size, np.inf, dtype=np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            for a, hl in zip(axes, half, strict=True):
                o = float(rel @ a)
                dl = a[0] * geo.d[0][idx] + a[1] * geo.d[1][idx] + a[2] * geo.d[2][idx]
                t1, t2 = (-hl - o) / dl, (hl - o) / dl
                t_near = np.maximum(t_near, np.minimum(t1, t2))
                t_far = np.minimum(t_far, np.maximum(t1, t2))
        hit = (t_far >= t_near) & (t_near > 0) & (t_near < geo.depth[idx])
        geo.depth[idx[hit]] = t_near[hit]
        geo.label[idx[hit]] = oid
        return idx[hit]

    # --- truth ----------------------------------------------------------------------------

    def _truth(self, geo: _Geometry, pose: CameraPose, fires: tuple[Fire, ...],
               solids: tuple[Solid, ...], fire_px: list[np.ndarray],
               solid_px: list[np.ndarray]) -> list[TruthObject]:
        """One entry per object that still owns pixels, boxed around exactly those pixels."""
        out = []
        for f, idx in zip(fires, fire_px, strict=True):
            if idx.size:
                out.append(self._truth_object(
                    pose, f"fire-{self.scene.fires.index(f)}", "fire", f.east_m, f.north_m,
                    f.temp_k, idx // geo.w, idx % geo.w))
        for s, idx in zip(solids, solid_px, strict=True):
            if idx.size:
                out.append(self._truth_object(
                    pose, f"{s.kind}-{self._kind_index(s)}", s.label, s.east_m, s.north_m,
                    s.temp_k, idx // geo.w, idx % geo.w))
        return out

    def _kind_index(self, s: Solid) -> int:
        return [x for x in self.scene.solids if x.kind == s.kind].index(s)

    def _truth_object(self, pose: CameraPose, object_id: str, label: str, east_m: float,
                      north_m: float, temp_k: float | None, rows: np.ndarray,
                      cols: np.ndarray) -> TruthObject:
        g = float(self.ground_map.height_amsl_m(np.array([east_m]), np.array([north_m]))[0])
        lat, lon = self.scene.lat_lon_deg(east_m, north_m)
        rng = math.dist((pose.east_m, pose.north_m, pose.alt_amsl_m), (east_m, north_m, g))
        return TruthObject(object_id=object_id, label=label,
                           box=(int(cols.min()), int(rows.min()), int(cols.max()) + 1,
                                int(rows.max()) + 1),
                           pixels=int(rows.size), lat_deg=lat, lon_deg=lon, alt_amsl_m=g,
                           range_m=rng, temp_k=temp_k)

    # --- shading --------------------------------------------------------------------------

    def _thermal(self, geo: _Geometry, fires: tuple[Fire, ...], solids: tuple[Solid, ...],
                 fire_px: list[tuple[np.ndarray, np.ndarray]],
                 halo_px: list[tuple[np.ndarray, np.ndarray]],
                 solid_px: list[np.ndarray]) -> np.ndarray:
        temp = np.take(self._table, geo.key)
        for idx, weight in halo_px:
            temp[idx] += HALO_K * weight
        for s, idx in zip(solids, solid_px, strict=True):
            temp[idx] = s.temp_k
        for f, (idx, dist) in zip(fires, fire_px, strict=True):
            flicker = self._noise_slice(idx.size) * (0.05 * f.temp_k)
            temp[idx] = f.temp_k * (1 - FIRE_EDGE_FRACTION * dist * dist) + flicker
        img = temp.reshape(geo.h, geo.w)
        img = _blur121(img)
        noise = self._noise_slice(img.size).reshape(img.shape)
        counts = (img + noise * NOISE_K) * COUNTS_PER_K
        return np.clip(counts, 0, 65535).astype(np.uint16)

    def _rgb(self, geo: _Geometry, pose: CameraPose, fires: tuple[Fire, ...],
             solids: tuple[Solid, ...], fire_px: list[tuple[np.ndarray, np.ndarray]],
             solid_px: list[np.ndarray], t_s: float) -> tuple[np.ndarray, list[TruthObject]]:
        img = np.take(self._table, geo.key, axis=0)
        for s, mask in zip(solids, solid_px, strict=True):
            if s.kind == "person":
                colour = _CLOTHES[self._kind_index(s) % len(_CLOTHES)]
            else:
                colour = np.array(_SOLID_RGB[s.kind], dtype=np.float32)
            img[mask] = colour
        for idx, dist in fire_px:
            mix = np.clip(dist + self._noise_slice(idx.size) * 0.15, 0, 1)[:, None]
            img[idx] = np.array([255, 235, 130]) * (1 - mix) + np.array([235, 95, 20]) * mix
        img = img.reshape(geo.h, geo.w, 3)
        smoke = [self._smoke(img, pose, f, t_s) for f in fires if f.smoke]
        img += self._noise_slice(geo.h * geo.w).reshape(geo.h, geo.w, 1) * 2.0
        return np.clip(img, 0, 255).astype(np.uint8), [s for s in smoke if s is not None]

    def _smoke(self, img: np.ndarray, pose: CameraPose, f: Fire,
               t_s: float) -> TruthObject | None:
        """Grey puffs rising and drifting downwind; blended in image space, no occlusion."""
        r = f.radius_at_m(t_s)
        g = float(self.ground_map.height_amsl_m(np.array([f.east_m]), np.array([f.north_m]))[0])
        de, dn = self._downwind
        steps = np.arange(SMOKE_PUFFS, dtype=float)
        centres = np.column_stack([f.east_m + de * steps * 1.5 * r,
                                   f.north_m + dn * steps * 1.5 * r,
                                   g + 2.0 + (1.0 + steps) * 1.2 * r])
        u, v, z = project_enu(centres, pose, self.k)
        box = [math.inf, math.inf, -math.inf, -math.inf]
        count = 0
        for j in range(SMOKE_PUFFS):
            if z[j] <= 0.5:
                continue
            rad = self.k.fx_px * r * (0.8 + 0.4 * j) / z[j]
            c0, c1 = max(0, int(u[j] - rad)), min(self.k.width_px, int(u[j] + rad) + 1)
            r0, r1 = max(0, int(v[j] - rad)), min(self.k.height_px, int(v[j] + rad) + 1)
            if c0 >= c1 or r0 >= r1:
                continue
            yy, xx = np.mgrid[r0:r1, c0:c1]
            q = ((xx + 0.5 - u[j]) ** 2 + (yy + 0.5 - v[j]) ** 2) / (rad * rad)
            alpha = (0.5 * (1 - j / (SMOKE_PUFFS + 1)) * np.clip(1 - q, 0, 1))[..., None]
            patch = img[r0:r1, c0:c1]
            img[r0:r1, c0:c1] = patch * (1 - alpha) + _SMOKE_RGB * alpha
            seen = alpha[..., 0] > 0.1
            if seen.any():
                rows, cols = np.nonzero(seen)
                box = [min(box[0], c0 + cols.min()), min(box[1], r0 + rows.min()),
                       max(box[2], c0 + cols.max() + 1), max(box[3], r0 + rows.max() + 1)]
                count += int(seen.sum())
        if count == 0:
            return None
        lat, lon = self.scene.lat_lon_deg(f.east_m, f.north_m)
        return TruthObject(object_id=f"smoke-{self.scene.fires.index(f)}", label="smoke",
                           box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])),
                           pixels=count, lat_deg=lat, lon_deg=lon, alt_amsl_m=g,
                           range_m=math.dist((pose.east_m, pose.north_m, pose.alt_amsl_m),
                                             (f.east_m, f.north_m, g)))


@dataclass(kw_only=True, slots=True)
class _Geometry:
    """Per-frame buffers, flat in row-major pixel order."""

    d: np.ndarray
    cam: np.ndarray
    depth: np.ndarray
    label: np.ndarray
    key: np.ndarray  #: surface * TEXTURE_LEVELS + texture level (`GroundMap.surface_key_at`)
    t_ground: np.ndarray
    ge: np.ndarray
    gn: np.ndarray
    w: int
    h: int

    def index(self, win: tuple[slice, slice]) -> np.ndarray:
        rows, cols = win
        r = np.arange(rows.start, rows.stop)
        c = np.arange(cols.start, cols.stop)
        return (r[:, None] * self.w + c[None, :]).ravel()


def _rotate_rays(rot: np.ndarray, rays: np.ndarray) -> np.ndarray:
    """rot @ rays for camera rays with z = 1, written out: a 3x3 by 3xN matmul goes through
    BLAS at a tenth of the speed of these six passes."""
    x, y = rays[0], rays[1]
    out = np.empty_like(rays)
    for i in range(3):
        np.multiply(x, np.float32(rot[i, 0]), out=out[i])
        out[i] += y * np.float32(rot[i, 1])
        out[i] += np.float32(rot[i, 2])
    return out


def _blur121(img: np.ndarray) -> np.ndarray:
    out = img * 0.5
    out[:, 1:] += img[:, :-1] * 0.25
    out[:, :-1] += img[:, 1:] * 0.25
    out[:, 0] += img[:, 0] * 0.25
    out[:, -1] += img[:, -1] * 0.25
    res = out * 0.5
    res[1:] += out[:-1] * 0.25
    res[:-1] += out[1:] * 0.25
    res[0] += out[0] * 0.25
    res[-1] += out[-1] * 0.25
    return res

