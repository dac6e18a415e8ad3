"""Procedurally generated "plates of food": a 5-class image dataset that needs no files.

Every image shows one plate (or bowl) of pizza, donut, sushi, salad or fries on a
textured table, drawn with random position, scale, rotation, colours, lighting and
clutter. The classes differ mostly by shape and texture (a disc with a crust ring and
round toppings, a ring with a hole, small rolls with a dark band, many irregular leaves,
many thin sticks); their colours overlap so that colour alone does not separate them.

Everything is drawn with numpy in a normalised coordinate system (the shorter image side
spans ``[-1, 1]``), so the same scene can be rendered at any size from 32x32 upwards,
square or not. Image ``i`` only depends on ``(seed, i)``: it is the same whether 10 or
1,000 images are generated, and :func:`synthetic_image` renders it alone.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable, Sequence

import numpy as np

from foodvision.base.checks import check_int

SYNTHETIC_CLASS_NAMES: tuple[str, ...] = ("pizza", "donut", "sushi", "salad", "fries")
"""Class names of the generated dataset; label ``k`` is ``SYNTHETIC_CLASS_NAMES[k]``."""

MIN_IMAGE_SIDE = 32
"""Smallest supported image height or width, in pixels."""

_NUM_CLASSES = len(SYNTHETIC_CLASS_NAMES)
_F = np.float32


# --------------------------------------------------------------------------- arguments


def _check_image_size(image_size: object) -> tuple[int, int]:
    if isinstance(image_size, np.ndarray):
        image_size = image_size.tolist() if image_size.ndim == 1 else image_size
    if isinstance(image_size, (str, bytes)) or not isinstance(image_size, Sequence):
        raise ValueError(f"image_size must be a (height, width) pair, got {image_size!r}")
    if len(image_size) != 2:
        raise ValueError(f"image_size must be a (height, width) pair, got {image_size!r}")
    height, width = image_size
    for value in (height, width):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"image_size must hold two integers, got {image_size!r}")
    if height < MIN_IMAGE_SIDE or width < MIN_IMAGE_SIDE:
        raise ValueError(
            f"image_size must be at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} pixels, "
            f"got {height}x{width}"
        )
    return int(height), int(width)


# ------------------------------------------------------------------------------ colour


def _hsv(hue: float, sat: float, val: float) -> np.ndarray:
    """RGB in ``[0, 1]`` from hue in degrees, saturation and value in ``[0, 1]``."""
    rgb = colorsys.hsv_to_rgb((hue % 360.0) / 360.0, min(max(sat, 0.0), 1.0), min(val, 1.0))
    return np.asarray(rgb, dtype=_F)


def _rand_hsv(rng: np.random.Generator, hue, sat, val) -> np.ndarray:
    """A colour with hue, saturation and value drawn uniformly from the given ranges."""
    return _hsv(rng.uniform(*hue), rng.uniform(*sat), rng.uniform(*val))


def _any_colour(rng: np.random.Generator, sat=(0.0, 1.0), val=(0.15, 1.0)) -> np.ndarray:
    return _rand_hsv(rng, (0.0, 360.0), sat, val)


def _jitter(rng: np.random.Generator, colour: np.ndarray, amount: float) -> np.ndarray:
    return np.clip(colour * (1.0 + rng.normal(0.0, amount, 3)), 0.0, 1.0).astype(_F)


# ------------------------------------------------------------------------------ canvas


def _value_noise(rng: np.random.Generator, ys: np.ndarray, xs: np.ndarray, cell: float):
    """Smooth noise (about unit variance) on the grid ``ys x xs`` with lattice step ``cell``."""
    y0, x0 = float(ys[0]), float(xs[0])
    gy = (ys - y0) / cell
    gx = (xs - x0) / cell
    lattice = rng.standard_normal((int(gy[-1]) + 2, int(gx[-1]) + 2)).astype(_F)
    iy, ix = gy.astype(np.intp), gx.astype(np.intp)
    ty, tx = gy - iy, gx - ix
    ty = (ty * ty * (3 - 2 * ty))[:, None]
    tx = (tx * tx * (3 - 2 * tx))[None, :]
    top = lattice[iy][:, ix] * (1 - tx) + lattice[iy][:, ix + 1] * tx
    bottom = lattice[iy + 1][:, ix] * (1 - tx) + lattice[iy + 1][:, ix + 1] * tx
    return ((top * (1 - ty) + bottom * ty) * 1.6).astype(_F)


class _Canvas:
    """An RGB float image with coordinates in which the shorter side spans ``[-1, 1]``."""

    def __init__(self, height: int, width: int, noise_rng: np.random.Generator):
        self.height, self.width = height, width
        self.scale = min(height, width) / 2.0  # pixels per unit
        self.xs = ((np.arange(width) + 0.5 - width / 2) / self.scale).astype(_F)
        self.ys = ((np.arange(height) + 0.5 - height / 2) / self.scale).astype(_F)
        self.half_w = width / 2 / self.scale
        self.half_h = height / 2 / self.scale
        self.image = np.zeros((height, width, 3), dtype=_F)
        self.coarse = _value_noise(noise_rng, self.ys, self.xs, 0.35)
        self.fine = _value_noise(noise_rng, self.ys, self.xs, 0.07)
        self.grain = noise_rng.standard_normal((height, width)).astype(_F)

    def frame(self, cx: float, cy: float, radius: float, theta: float = 0.0):
        """Window around ``(cx, cy)`` and its local coordinates rotated by ``theta``.

        Returns ``None`` when the window is outside the image, else ``(window, u, v)``
        where ``u`` and ``v`` are broadcastable 2D arrays of the window's shape.
        """
        s = self.scale
        c0 = max(math.floor((cx - radius) * s + self.width / 2), 0)
        c1 = min(math.ceil((cx + radius) * s + self.width / 2) + 1, self.width)
        r0 = max(math.floor((cy - radius) * s + self.height / 2), 0)
        r1 = min(math.ceil((cy + radius) * s + self.height / 2) + 1, self.height)
        if c0 >= c1 or r0 >= r1:
            return None
        x = self.xs[None, c0:c1] - _F(cx)
        y = self.ys[r0:r1, None] - _F(cy)
        if theta:
            c, sn = _F(math.cos(theta)), _F(math.sin(theta))
            u, v = x * c + y * sn, y * c - x * sn
        else:
            shape = (r1 - r0, c1 - c0)
            u, v = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
        return (slice(r0, r1), slice(c0, c1)), u, v

    def alpha(self, sdf: np.ndarray, soft: float = 0.0) -> np.ndarray:
        """Coverage of a shape from its signed distance (negative inside), anti-aliased."""
        width = 1.0 / self.scale + soft
        return np.minimum(np.maximum(0.5 - sdf / _F(width), 0.0), 1.0)

    def fill(self, window, sdf, colour, opacity: float = 1.0, soft: float = 0.0) -> None:
        """Composite ``colour`` (RGB or per-pixel RGB) where ``sdf < 0``."""
        a = self.alpha(sdf, soft)
        if opacity != 1.0:
            a = a * _F(opacity)
        region = self.image[window]
        region += a[..., None] * (colour - region)

    def shadow(self, window, sdf, strength: float, soft: float) -> None:
        """Darken softly where ``sdf < 0``."""
        a = self.alpha(sdf, soft) * _F(strength)
        self.image[window] *= (1.0 - a)[..., None]


# ------------------------------------------------------------------------------ shapes


def _sd_ellipse(u, v, a: float, b: float):
    k = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    return (k - 1.0) * min(a, b)


def _sd_box(u, v, half_u: float, half_v: float, corner: float = 0.0):
    qx = np.abs(u) - (half_u - corner)
    qy = np.abs(v) - (half_v - corner)
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0) - corner


def _sd_wedge(u, v, radius: float, half_angle: float):
    """A pizza-slice sector with its tip at the origin, opening along ``+u``."""
    s, c = np.sin(half_angle), np.cos(half_angle)
    edge = np.maximum(v * c - u * s, -v * c - u * s)
    return np.maximum(np.sqrt(u * u + v * v) - radius, edge)


def _wobble(rng: np.random.Generator, theta, amount: float, lo: int = 2, hi: int = 7):
    """Random smooth radial perturbation ``1 + sum a_k cos(k theta + phi_k)``."""
    ks = np.arange(lo, hi + 1, dtype=_F)
    amplitudes = rng.normal(0.0, amount / (1 + 0.3 * (ks - lo))).astype(_F)
    phases = rng.uniform(0, 2 * np.pi, len(ks)).astype(_F)
    waves = np.cos(ks[:, None, None] * theta + phases[:, None, None])
    return 1.0 + np.tensordot(amplitudes, waves, axes=1)


def _blob(canvas, rng, cx, cy, a, b, theta, colour, wobble=0.12, shade=0.25, vein=None):
    """An irregular leaf-like blob with shading, optional lighter central vein."""
    frame = canvas.frame(cx, cy, max(a, b) * (1 + 3 * wobble), theta)
    if frame is None:
        return
    window, u, v = frame
    un, vn = u / a, v / b
    k = np.sqrt(un * un + vn * vn)
    edge = _wobble(rng, np.arctan2(vn, un), wobble)
    sdf = (k - edge) * min(a, b)
    col = colour * (1.0 - shade * np.clip(k, 0, 1) + 0.08 * canvas.fine[window])[..., None]
    if vein is not None:
        line = np.clip(1.0 - np.abs(v) / (0.08 * b), 0, 1) * (np.abs(u) < 0.8 * a)
        col = col + (vein - col) * (0.6 * line)[..., None]
    canvas.shadow(window, sdf - 0.01, 0.25, 0.03)
    canvas.fill(window, sdf, col)


def _disc_points(rng: np.random.Generator, n: int, radius: float):
    """``n`` points uniformly distributed on a disc of the given radius."""
    rho = radius * np.sqrt(rng.uniform(0, 1, n))
    phi = rng.uniform(0, 2 * np.pi, n)
    return rho * np.cos(phi), rho * np.sin(phi)


# ------------------------------------------------------------------------------ foods


def _draw_pizza(canvas: _Canvas, rng: np.random.Generator, cx, cy, radius) -> None:
    crust = _rand_hsv(rng, (20, 40), (0.4, 0.8), (0.5, 0.92))
    cheese = _rand_hsv(rng, (28, 58), (0.3, 0.85), (0.75, 1.0))
    sauce = _rand_hsv(rng, (-8, 18), (0.55, 0.95), (0.5, 0.9))
    sauce_amount = rng.uniform(0.0, 0.9)
    crust_w = rng.uniform(0.09, 0.2)
    topping = rng.choice(["pepperoni", "veg", "margherita", "rucola"], p=[0.45, 0.2, 0.2, 0.15])

    def cheese_colour(window):
        m = np.clip(0.5 + 0.6 * canvas.coarse[window] + 0.3 * canvas.fine[window], 0, 1)
        m = (m * sauce_amount)[..., None]
        mottle = (1.0 + 0.1 * canvas.fine[window] + 0.04 * canvas.grain[window])[..., None]
        return (cheese * (1 - m) + sauce * m) * mottle

    def toppings(points: list[tuple[float, float]], size: float) -> None:
        for px, py in points:
            if topping == "pepperoni":
                r = size * rng.uniform(0.8, 1.2)
                col = _rand_hsv(rng, (-10, 14), (0.55, 0.9), (0.4, 0.8))
                frame = canvas.frame(px, py, r * 1.3)
                if frame is None:
                    continue
                window, u, v = frame
                rr = np.sqrt(u * u + v * v)
                sdf = rr * _wobble(rng, np.arctan2(v, u), 0.04) - r
                shade = 0.8 + 0.25 * np.clip(1 - rr / r, 0, 1) + 0.08 * canvas.fine[window]
                canvas.shadow(window, sdf - 0.008, 0.3, 0.02)
                canvas.fill(window, sdf, col * shade[..., None])
            elif topping == "veg":
                kind = rng.integers(0, 3)
                if kind == 0:  # olive ring
                    frame = canvas.frame(px, py, size)
                    if frame is None:
                        continue
                    window, u, v = frame
                    sdf = np.abs(np.sqrt(u * u + v * v) - 0.55 * size) - 0.22 * size
                    canvas.fill(window, sdf, _rand_hsv(rng, (0, 360), (0, 0.4), (0.05, 0.25)))
                else:
                    col = (
                        _rand_hsv(rng, (80, 140), (0.5, 0.9), (0.35, 0.75))
                        if kind == 1
                        else _rand_hsv(rng, (25, 45), (0.15, 0.4), (0.55, 0.85))
                    )
                    a = size * rng.uniform(0.7, 1.1)
                    _blob(
                        canvas,
                        rng,
                        px,
                        py,
                        a,
                        a * rng.uniform(0.4, 0.8),
                        rng.uniform(0, np.pi),
                        col,
                        wobble=0.1,
                    )
            elif topping == "rucola":
                for _ in range(3):
                    a = size * rng.uniform(0.8, 1.4)
                    col = _rand_hsv(rng, (70, 130), (0.4, 0.9), (0.3, 0.8))
                    _blob(
                        canvas,
                        rng,
                        px + rng.normal(0, size),
                        py + rng.normal(0, size),
                        a,
                        a * rng.uniform(0.35, 0.6),
                        rng.uniform(0, np.pi),
                        col,
                        wobble=0.15,
                    )
            else:
                if rng.uniform() < 0.6:
                    a = size * rng.uniform(1.0, 1.5)
                    col = _rand_hsv(rng, (35, 55), (0.0, 0.18), (0.88, 1.0))
                    _blob(
                        canvas,
                        rng,
                        px,
                        py,
                        a,
                        a * rng.uniform(0.7, 1.0),
                        rng.uniform(0, np.pi),
                        col,
                        wobble=0.12,
                        shade=0.1,
                    )
                else:
                    a = size * rng.uniform(0.9, 1.3)
                    col = _rand_hsv(rng, (95, 135), (0.5, 0.9), (0.3, 0.65))
                    _blob(
                        canvas,
                        rng,
                        px,
                        py,
                        a,
                        a * 0.55,
                        rng.uniform(0, np.pi),
                        col,
                        wobble=0.06,
                        vein=col * 1.4,
                    )

    size = radius * rng.uniform(0.09, 0.15)
    if rng.uniform() < 0.62:  # a whole pizza
        frame = canvas.frame(cx, cy, radius * 1.1)
        if frame is None:
            return
        window, u, v = frame
        rr = np.sqrt(u * u + v * v)
        theta = np.arctan2(v, u)
        outer = rr - radius * _wobble(rng, theta, 0.015)
        canvas.shadow(window, outer - 0.01, 0.35, 0.05)
        ring = np.clip((rr / radius - (1 - crust_w)) / crust_w, 0, 1)
        shade = 1.05 - 0.35 * ring**2 + 0.08 * canvas.fine[window]
        canvas.fill(window, outer, crust * shade[..., None])
        inner_r = radius * (1 - crust_w)
        inner = rr - inner_r * _wobble(rng, theta, 0.025)
        canvas.fill(window, inner, cheese_colour(window))
        for _ in range(rng.choice([0, 0, 2, 3, 4])):  # cut lines through the centre
            phi = rng.uniform(0, np.pi)
            line = np.abs(u * np.sin(phi) - v * np.cos(phi)) - 0.006
            canvas.shadow(window, np.maximum(line, inner), 0.35, 0.0)
        n = rng.integers(4, 15)
        xs, ys = _disc_points(rng, n, inner_r - size)
        toppings(list(zip(cx + xs, cy + ys)), size)
        return
    n_slices = rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25])
    base = rng.uniform(0, 2 * np.pi)
    for i in range(n_slices):
        half = rng.uniform(0.3, 0.55)
        length = radius * rng.uniform(1.0, 1.35) / (1 + 0.15 * (n_slices - 1))
        direction = base + i * 2 * np.pi / n_slices + rng.normal(0, 0.3)
        # put the slice so that its middle is near the centre (or spread for several)
        mid = 0.55 * length if n_slices == 1 else 0.1 * length
        tx = cx - mid * np.cos(direction) + rng.normal(0, 0.05 * radius)
        ty = cy - mid * np.sin(direction) + rng.normal(0, 0.05 * radius)
        frame = canvas.frame(tx, ty, length * 1.1, direction)
        if frame is None:
            continue
        window, u, v = frame
        outer = _sd_wedge(u, v, length, half)
        canvas.shadow(window, outer - 0.01, 0.35, 0.04)
        rr = np.sqrt(u * u + v * v)
        ring = np.clip((rr / length - (1 - crust_w)) / crust_w, 0, 1)
        shade = 1.05 - 0.35 * ring**2 + 0.08 * canvas.fine[window]
        canvas.fill(window, outer, crust * shade[..., None])
        inner = np.maximum(outer + 0.012, rr - length * (1 - crust_w))
        canvas.fill(window, inner, cheese_colour(window))
        n = rng.integers(2, 6)
        rho = length * rng.uniform(0.25, 0.8, n) * (1 - crust_w)
        phi = rng.uniform(-0.7, 0.7, n) * half
        pts = [
            (tx + r * np.cos(direction + p), ty + r * np.sin(direction + p))
            for r, p in zip(rho, phi)
        ]
        toppings(pts, size * 0.9)


_GLAZES = (
    ((330, 355), (0.3, 0.7), (0.85, 1.0)),  # pink
    ((15, 30), (0.5, 0.85), (0.2, 0.45)),  # chocolate
    ((30, 60), (0.0, 0.12), (0.88, 1.0)),  # white
    ((45, 60), (0.5, 0.9), (0.85, 1.0)),  # lemon
    ((180, 220), (0.3, 0.6), (0.75, 1.0)),  # blue
    ((80, 120), (0.3, 0.7), (0.6, 0.9)),  # matcha / mint
    ((0, 12), (0.6, 0.9), (0.7, 0.95)),  # strawberry red
    ((20, 35), (0.6, 0.9), (0.75, 1.0)),  # caramel / orange
)


def _draw_donut(canvas: _Canvas, rng: np.random.Generator, cx, cy, radius) -> None:
    count = rng.choice([1, 2, 3], p=[0.55, 0.27, 0.18])
    dough = _rand_hsv(rng, (18, 40), (0.4, 0.8), (0.5, 0.9))
    if count == 1:
        centres, outers = [(cx, cy)], [radius * rng.uniform(0.8, 1.0)]
    else:
        outers = list(radius * rng.uniform(0.5, 0.62, count))
        phi0 = rng.uniform(0, 2 * np.pi)
        dist = radius * (0.45 if count == 2 else 0.55)
        centres = [
            (
                cx + dist * np.cos(phi0 + 2 * np.pi * i / count),
                cy + dist * np.sin(phi0 + 2 * np.pi * i / count),
            )
            for i in range(count)
        ]
    light = rng.uniform(0, 2 * np.pi)
    lx, ly = np.cos(light), np.sin(light)
    for (dx, dy), outer in zip(centres, outers):
        inner = outer * rng.uniform(0.3, 0.48)
        mid, half = (outer + inner) / 2, (outer - inner) / 2
        frame = canvas.frame(dx, dy, outer * 1.15, rng.uniform(0, 2 * np.pi))
        if frame is None:
            continue
        window, u, v = frame
        rr = np.sqrt(u * u + v * v)
        theta = np.arctan2(v, u)
        rr_w = rr / _wobble(rng, theta, 0.02, 1, 3)
        sdf = np.abs(rr_w - mid) - half
        t = np.clip((rr_w - mid) / half, -1, 1)
        bump = np.sqrt(1 - t * t)
        canvas.shadow(window, sdf - 0.015, 0.35, 0.05)
        side = (u * lx + v * ly) / outer
        shade = 0.55 + 0.4 * bump + 0.12 * side * t + 0.08 * canvas.fine[window]
        col = _jitter(rng, dough, 0.06)
        canvas.fill(window, sdf, col * shade[..., None])
        style = rng.choice(["glaze", "glaze", "glaze", "sugar", "plain"])
        if style == "sugar":
            dots = np.clip(canvas.grain[window] - 1.2, 0, 1) * (sdf < 0)
            canvas.fill(window, 0.5 - dots * 2.0, np.ones(3, _F), opacity=0.8)
            continue
        if style == "plain":
            continue
        g_out = outer * (rng.uniform(0.8, 0.93) + _wobble(rng, theta, 0.025, 3, 9) - 1)
        g_in = inner * (rng.uniform(1.05, 1.25) + _wobble(rng, theta, 0.03, 3, 7) - 1)
        g_sdf = np.maximum(rr - g_out, g_in - rr)
        glaze = _rand_hsv(rng, *_GLAZES[rng.integers(len(_GLAZES))])
        gshade = 0.75 + 0.3 * bump + 0.1 * side * t
        spec = np.clip(1 - np.abs(t + 0.35 * np.sign(side)) / 0.25, 0, 1) * np.clip(side, 0, 1)
        gcol = glaze * gshade[..., None] + (0.35 * spec)[..., None]
        canvas.fill(window, g_sdf, gcol)
        if rng.uniform() < 0.3:  # drizzle lines across
            other = _rand_hsv(rng, *_GLAZES[rng.integers(len(_GLAZES))])
            a = rng.uniform(0, np.pi)
            period = outer * rng.uniform(0.2, 0.35)
            p = (u * np.cos(a) + v * np.sin(a)) % period
            line = np.abs(p - period / 2) - period * 0.12
            canvas.fill(window, np.maximum(line, g_sdf), other)
        if rng.uniform() < 0.75:  # sprinkles
            n = rng.integers(12, 45)
            rho = rng.uniform(inner * 1.25, outer * 0.85, n)
            phi = rng.uniform(0, 2 * np.pi, n)
            length = half * rng.uniform(0.18, 0.3)
            single = rng.uniform() < 0.25
            tint = _any_colour(rng, (0.5, 1.0), (0.6, 1.0))
            for r, p in zip(rho, phi):
                col = tint if single else _any_colour(rng, (0.5, 1.0), (0.6, 1.0))
                f = canvas.frame(
                    dx + r * np.cos(p), dy + r * np.sin(p), length, rng.uniform(0, np.pi)
                )
                if f is None:
                    continue
                w, su, sv = f
                canvas.fill(w, _sd_box(su, sv, length, length * 0.3, length * 0.29), col)


_FILLINGS = (
    ((8, 24), (0.55, 0.85), (0.85, 1.0)),  # salmon
    ((-10, 8), (0.6, 0.9), (0.5, 0.8)),  # tuna
    ((85, 130), (0.4, 0.85), (0.45, 0.85)),  # cucumber
    ((42, 56), (0.6, 0.95), (0.85, 1.0)),  # egg
    ((65, 90), (0.35, 0.65), (0.55, 0.85)),  # avocado
)


def _draw_sushi(canvas: _Canvas, rng: np.random.Generator, cx, cy, radius) -> None:
    count = int(rng.integers(3, 10))
    size = radius * rng.uniform(0.22, 0.3) * (1.2 if count <= 5 else 1.0)
    layout = rng.choice(["row", "grid", "ring"])
    angle = rng.uniform(0, 2 * np.pi)
    ca, sa = np.cos(angle), np.sin(angle)
    if layout == "row":
        rows = 1 if count <= 5 else 2
        per_row = -(-count // rows)
        pts = [
            ((i % per_row - (per_row - 1) / 2) * 2.3, (i // per_row - (rows - 1) / 2) * 2.6)
            for i in range(count)
        ]
    elif layout == "grid":
        cols = int(np.ceil(np.sqrt(count)))
        rows = -(-count // cols)
        pts = [
            ((i % cols - (cols - 1) / 2) * 2.3, (i // cols - (rows - 1) / 2) * 2.3)
            for i in range(count)
        ]
    else:
        ring = max(1.2, count * 2.3 / (2 * np.pi))
        pts = [
            (ring * np.cos(2 * np.pi * i / count), ring * np.sin(2 * np.pi * i / count))
            for i in range(count)
        ]
    rice = _rand_hsv(rng, (25, 55), (0.0, 0.18), (0.82, 1.0))
    nori = _rand_hsv(rng, (80, 170), (0.2, 0.6), (0.05, 0.2))
    mix = rng.uniform()
    corner = rng.uniform(0.35, 1.0)
    light_side = rng.uniform(0, 2 * np.pi)
    for px, py in pts:
        px, py = px + rng.normal(0, 0.15), py + rng.normal(0, 0.15)
        x = cx + size * (px * ca - py * sa)
        y = cy + size * (px * sa + py * ca)
        s = size * rng.uniform(0.9, 1.1)
        theta = angle + rng.normal(0, 0.25)
        filling = _rand_hsv(rng, *_FILLINGS[rng.integers(len(_FILLINGS))])
        if rng.uniform() < mix:  # maki: nori outside, rice ring, coloured centre
            frame = canvas.frame(x, y, s * 1.3, theta)
            if frame is None:
                continue
            window, u, v = frame
            sdf = _sd_box(u, v, s, s, s * corner)
            canvas.shadow(window, sdf - 0.015, 0.4, 0.04)
            side = np.cos(np.arctan2(v, u) - light_side)
            canvas.fill(window, sdf, nori * (1.0 + 0.3 * side)[..., None])
            nori_w = s * rng.uniform(0.1, 0.18)
            rice_sdf = sdf + nori_w
            grain = (0.93 + 0.07 * canvas.grain[window] + 0.04 * canvas.fine[window])[..., None]
            canvas.fill(window, rice_sdf, rice * grain)
            fr = s * rng.uniform(0.3, 0.5)
            rr = np.sqrt(u * u + v * v)
            fill_sdf = rr * _wobble(rng, np.arctan2(v, u), 0.08) - fr
            fshade = 0.85 + 0.2 * np.clip(1 - rr / fr, 0, 1) + 0.06 * canvas.fine[window]
            canvas.fill(window, fill_sdf, filling * fshade[..., None])
        else:  # nigiri: rice block, slab of fish, maybe a nori band
            frame = canvas.frame(x, y, s * 1.5, theta)
            if frame is None:
                continue
            window, u, v = frame
            rice_sdf = _sd_box(u, v, s * 1.05, s * 0.6, s * 0.3)
            canvas.shadow(window, rice_sdf - 0.015, 0.4, 0.04)
            grain = (0.93 + 0.07 * canvas.grain[window])[..., None]
            canvas.fill(window, rice_sdf, rice * grain)
            fish_sdf = _sd_box(u, v + s * 0.05, s * 1.15, s * 0.62, s * 0.35)
            freq = rng.uniform(6, 12) / s
            stripes = np.sin((u * 0.8 + v * 0.6) * _F(freq))
            white = np.clip((stripes - 0.55) * 3, 0, 1)[..., None] * rng.uniform(0, 0.7)
            fcol = filling * (0.9 + 0.15 * np.clip(-v / s, -1, 1))[..., None]
            fcol = fcol + (np.ones(3, _F) - fcol) * white
            canvas.fill(window, fish_sdf, fcol)
            if rng.uniform() < 0.6:
                band = _sd_box(u, v, s * 0.16, s * 0.66, s * 0.03)
                canvas.fill(window, band, nori * (1 + 0.1 * canvas.fine[window])[..., None])
    if rng.uniform() < 0.45:  # wasabi and ginger blobs next to the rolls
        for col in (
            _rand_hsv(rng, (75, 105), (0.45, 0.8), (0.55, 0.85)),
            _rand_hsv(rng, (340, 360), (0.15, 0.45), (0.85, 1.0)),
        ):
            phi = rng.uniform(0, 2 * np.pi)
            a = radius * rng.uniform(0.1, 0.16)
            _blob(
                canvas,
                rng,
                cx + 0.9 * radius * np.cos(phi),
                cy + 0.9 * radius * np.sin(phi),
                a,
                a * rng.uniform(0.6, 0.9),
                phi,
                col,
                wobble=0.15,
            )


_LEAVES = (
    (0.62, ((65, 140), (0.35, 0.95), (0.3, 0.9))),  # greens
    (0.12, ((300, 350), (0.35, 0.8), (0.3, 0.7))),  # radicchio / red cabbage
    (0.1, ((-8, 10), (0.6, 0.95), (0.6, 0.95))),  # tomato
    (0.08, ((40, 60), (0.5, 0.95), (0.8, 1.0))),  # pepper / corn
    (0.04, ((20, 50), (0.0, 0.15), (0.85, 1.0))),  # feta / onion
    (0.04, ((18, 32), (0.6, 0.9), (0.7, 1.0))),  # carrot
)


def _draw_salad(canvas: _Canvas, rng: np.random.Generator, cx, cy, radius) -> None:
    n = int(rng.integers(25, 60))
    probs = np.array([p for p, _ in _LEAVES])
    green_bias = rng.uniform(0.15, 1.5)
    probs[0] *= green_bias
    probs /= probs.sum()
    kinds = rng.choice(len(_LEAVES), size=n, p=probs)
    base_size = radius * rng.uniform(0.15, 0.25)
    xs, ys = _disc_points(rng, n, radius * 0.85)
    # one or two varieties of each ingredient per bowl, each leaf a little different
    palette = [[_rand_hsv(rng, *ranges) for _ in range(2)] for _, ranges in _LEAVES]
    for kind, x, y in zip(kinds, xs, ys):
        col = _jitter(rng, palette[kind][rng.integers(2)], 0.1) * rng.uniform(0.8, 1.1)
        a = base_size * rng.uniform(0.6, 1.3)
        theta = rng.uniform(0, 2 * np.pi)
        if kind in (0, 1):
            _blob(
                canvas,
                rng,
                cx + x,
                cy + y,
                a,
                a * rng.uniform(0.45, 0.85),
                theta,
                col,
                wobble=rng.uniform(0.06, 0.16),
                vein=np.minimum(col * 1.35 + 0.1, 1),
            )
        elif kind == 2:
            _blob(
                canvas, rng, cx + x, cy + y, a * 0.6, a * 0.6, theta, col, wobble=0.03, shade=0.35
            )
        elif kind == 5:  # carrot strip
            f = canvas.frame(cx + x, cy + y, a, theta)
            if f is not None:
                w, u, v = f
                canvas.fill(w, _sd_box(u, v, a * 0.8, a * 0.1, a * 0.05), col)
        else:  # cube / ring
            f = canvas.frame(cx + x, cy + y, a * 0.5, theta)
            if f is not None:
                w, u, v = f
                sdf = _sd_box(u, v, a * 0.3, a * 0.3, a * 0.08)
                canvas.shadow(w, sdf - 0.01, 0.3, 0.02)
                canvas.fill(w, sdf, col * (0.9 + 0.1 * canvas.fine[w])[..., None])


def _draw_fries(canvas: _Canvas, rng: np.random.Generator, cx, cy, radius) -> None:
    if rng.uniform() < 0.25:  # paper box / cone behind the pile
        box = _any_colour(rng, (0.3, 1.0), (0.5, 1.0))
        theta = rng.uniform(0, 2 * np.pi)
        f = canvas.frame(cx, cy, radius * 1.1, theta)
        if f is not None:
            w, u, v = f
            sdf = _sd_box(u, v + 0.25 * radius, radius * 0.55, radius * 0.45, 0.02)
            canvas.shadow(w, sdf - 0.01, 0.35, 0.05)
            canvas.fill(w, sdf, box * (0.85 + 0.15 * canvas.fine[w])[..., None])
    base = (
        _rand_hsv(rng, (18, 30), (0.6, 0.9), (0.75, 1.0))
        if rng.uniform() < 0.15
        else _rand_hsv(rng, (36, 54), (0.45, 0.9), (0.78, 1.0))
    )
    n = int(rng.integers(18, 45))
    aligned = rng.uniform() < 0.45
    main_dir = rng.uniform(0, np.pi)
    length = radius * rng.uniform(0.5, 0.9)
    width = radius * rng.uniform(0.09, 0.14)
    xs, ys = _disc_points(rng, n, radius * 0.65)
    for x, y in zip(xs, ys):
        theta = main_dir + rng.normal(0, 0.35) if aligned else rng.uniform(0, np.pi)
        half_l = length * rng.uniform(0.6, 1.15) / 2
        half_w = width * rng.uniform(0.8, 1.2) / 2
        f = canvas.frame(cx + x, cy + y, half_l + half_w + 0.03, theta)
        if f is None:
            continue
        w, u, v = f
        sdf = _sd_box(u, v, half_l, half_w, half_w * 0.4)
        canvas.shadow(w, sdf - 0.008, 0.35, 0.025)
        across = np.clip(np.abs(v) / half_w, 0, 1)
        ends = np.clip((np.abs(u) - half_l * 0.8) / (half_l * 0.2), 0, 1)
        shade = (1.0 - 0.3 * across**2) * (1.0 - 0.3 * ends * rng.uniform(0, 1))
        col = _jitter(rng, base, 0.07) * (shade + 0.05 * canvas.fine[w])[..., None]
        canvas.fill(w, sdf, col)
    if rng.uniform() < 0.3:  # chopped herbs or salt on top
        herb = _rand_hsv(rng, (70, 130), (0.4, 0.9), (0.3, 0.8))
        if rng.uniform() < 0.3:
            herb = _rand_hsv(rng, (0, 360), (0.0, 0.1), (0.9, 1.0))
        hx, hy = _disc_points(rng, int(rng.integers(8, 30)), radius * 0.7)
        for x, y in zip(hx, hy):
            r = radius * rng.uniform(0.02, 0.045)
            f = canvas.frame(cx + x, cy + y, r * 1.5, rng.uniform(0, np.pi))
            if f is not None:
                w, u, v = f
                canvas.fill(w, _sd_ellipse(u, v, r, r * 0.6), _jitter(rng, herb, 0.1))
    if rng.uniform() < 0.4:  # a blob of ketchup or mayo
        col = (
            _rand_hsv(rng, (-6, 8), (0.7, 0.95), (0.5, 0.85))
            if rng.uniform() < 0.7
            else _rand_hsv(rng, (40, 55), (0.05, 0.3), (0.9, 1.0))
        )
        phi = rng.uniform(0, 2 * np.pi)
        a = radius * rng.uniform(0.12, 0.2)
        _blob(
            canvas,
            rng,
            cx + 0.75 * radius * np.cos(phi),
            cy + 0.75 * radius * np.sin(phi),
            a,
            a * rng.uniform(0.6, 0.9),
            phi,
            col,
            wobble=0.1,
            shade=0.1,
        )


_FOODS: tuple[Callable[..., None], ...] = (
    _draw_pizza,
    _draw_donut,
    _draw_sushi,
    _draw_salad,
    _draw_fries,
)


# ------------------------------------------------------------------------------ scene


def _draw_background(canvas: _Canvas, rng: np.random.Generator) -> None:
    x, y = canvas.xs[None, :], canvas.ys[:, None]
    theta = rng.uniform(0, np.pi)
    c, s = _F(np.cos(theta)), _F(np.sin(theta))
    u, v = x * c + y * s, y * c - x * s
    c1 = _any_colour(rng, (0.0, 0.7), (0.2, 1.0))
    c2 = _any_colour(rng, (0.0, 0.7), (0.2, 1.0))
    kind = rng.choice(["plain", "gingham", "wood", "stripes", "dots", "gradient"])
    if kind == "plain":
        m = np.clip(0.5 + 0.15 * canvas.coarse, 0, 1)
    elif kind == "gingham":
        f = _F(rng.uniform(6, 18))
        a = np.clip(np.sin(u * f) * 4, -1, 1) * 0.5 + 0.5
        b = np.clip(np.sin(v * f) * 4, -1, 1) * 0.5 + 0.5
        m = (a + b) / 2
        c2 = np.ones(3, _F) * rng.uniform(0.85, 1.0)
    elif kind == "wood":
        c1 = _rand_hsv(rng, (15, 40), (0.35, 0.8), (0.25, 0.8))
        c2 = np.clip(c1 * rng.uniform(0.6, 0.85), 0, 1)
        warp = v + 0.1 * canvas.coarse + 0.02 * canvas.fine
        m = 0.5 + 0.5 * np.sin(warp * _F(rng.uniform(20, 45)))
        plank = _F(rng.uniform(0.35, 0.8))
        seam = np.abs((v + plank / 2) % plank - plank / 2)
        m = np.maximum(m, np.clip(1.0 - seam / 0.012, 0, 1))
    elif kind == "stripes":
        f = _F(rng.uniform(5, 20))
        m = np.clip(np.sin(u * f) * 3, -1, 1) * 0.5 + 0.5
    elif kind == "dots":
        period = _F(rng.uniform(0.12, 0.35))
        du = (u % period) - period / 2
        dv = (v % period) - period / 2
        m = np.clip(0.5 - (np.sqrt(du * du + dv * dv) - period * 0.25) * canvas.scale, 0, 1)
    else:
        m = np.clip(0.5 + 0.5 * u / max(canvas.half_w, canvas.half_h), 0, 1)
    m = 0.5 + (np.broadcast_to(m, canvas.image.shape[:2])[..., None] - 0.5) * _F(
        rng.uniform(0.3, 0.8)
    )
    texture = (1.0 + 0.06 * canvas.fine + 0.03 * canvas.grain)[..., None]
    canvas.image[...] = (c1 * (1 - m) + c2 * m) * texture


def _edge_point(canvas: _Canvas, rng: np.random.Generator, inset: float):
    """A random point near one of the image borders (``inset`` units inside it)."""
    side = rng.integers(4)
    if side < 2:
        x = (canvas.half_w - inset) * (1 if side else -1)
        y = rng.uniform(-canvas.half_h, canvas.half_h)
    else:
        x = rng.uniform(-canvas.half_w, canvas.half_w)
        y = (canvas.half_h - inset) * (1 if side == 3 else -1)
    return x, y


def _draw_plate(canvas, rng, cx, cy, a, b, theta, bowl: bool) -> float:
    """Draw a plate or a bowl; return the radius of its usable inner area."""
    if rng.uniform() < 0.6:
        colour = _rand_hsv(rng, (0, 360), (0.0, 0.08), (0.8, 1.0))
    else:
        colour = _any_colour(rng, (0.1, 0.8), (0.3, 1.0))
    frame = canvas.frame(cx, cy, max(a, b) * 1.15, theta)
    if frame is None:
        return 0.6 * min(a, b)
    window, u, v = frame
    k = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    sdf = (k - 1.0) * min(a, b)
    canvas.shadow(window, sdf - 0.02, 0.45, 0.08)
    rim = _jitter(rng, colour, 0.12) * rng.uniform(0.8, 1.05)
    canvas.fill(window, sdf, np.clip(rim, 0, 1) * (1 - 0.1 * k)[..., None])
    inner = rng.uniform(0.62, 0.78) if bowl else rng.uniform(0.72, 0.86)
    if rng.uniform() < 0.3:  # decorative band on the rim
        band = np.abs(k - (1 + inner) / 2) - 0.025
        canvas.fill(window, band * min(a, b), _any_colour(rng, (0.3, 1.0), (0.2, 0.9)))
    inner_sdf = (k - inner) * min(a, b)
    light = rng.uniform(0, 2 * np.pi)
    side = (u * np.cos(light) + v * np.sin(light)) / a
    depth = 0.25 if bowl else 0.08
    shade = 1.0 - depth * (0.6 + 0.4 * side) * np.clip(k / inner, 0, 1) ** 2
    canvas.fill(window, inner_sdf, colour * shade[..., None], soft=0.01)
    return inner * min(a, b)


def _draw_clutter(canvas: _Canvas, rng: np.random.Generator, label: int, plate) -> None:
    """Things on the table: napkins, cutlery, glasses, other plates, random shapes."""
    pcx, pcy, pa = plate
    if rng.uniform() < 0.5:  # cutlery next to the plate
        phi = rng.uniform(0, 2 * np.pi)
        dist = pa * rng.uniform(1.05, 1.3)
        x, y = pcx + dist * np.cos(phi), pcy + dist * np.sin(phi)
        f = canvas.frame(x, y, 0.9, phi + np.pi / 2 + rng.normal(0, 0.2))
        if f is not None:
            w, u, v = f
            metal = _rand_hsv(rng, (0, 360), (0.0, 0.15), (0.55, 0.95))
            sdf = np.minimum(
                _sd_box(u, v, 0.7, 0.025, 0.02),
                _sd_ellipse(u - 0.6, v, 0.16, 0.06 if rng.uniform() < 0.5 else 0.035),
            )
            canvas.shadow(w, sdf - 0.01, 0.4, 0.03)
            canvas.fill(w, sdf, metal * (0.8 + 0.3 * np.clip(v / 0.06, -1, 1))[..., None])
    if rng.uniform() < 0.3:  # glass or cup partly in the frame
        x, y = _edge_point(canvas, rng, rng.uniform(-0.1, 0.2))
        r = rng.uniform(0.25, 0.45)
        f = canvas.frame(x, y, r * 1.1)
        if f is not None:
            w, u, v = f
            rr = np.sqrt(u * u + v * v)
            tint = _any_colour(rng, (0.0, 0.6), (0.4, 1.0))
            opacity = rng.uniform(0.3, 1.0)
            canvas.fill(w, rr - r, tint, opacity=opacity)
            canvas.fill(w, np.abs(rr - r * 0.9) - 0.02, np.ones(3, _F) * 0.95, opacity=0.7)
    if rng.uniform() < 0.06:  # part of another plate with other food at the border
        x, y = _edge_point(canvas, rng, rng.uniform(-0.35, -0.15))
        a = rng.uniform(0.4, 0.6)
        inner = _draw_plate(canvas, rng, x, y, a, a * rng.uniform(0.8, 1), 0.0, False)
        other = (label + rng.integers(1, _NUM_CLASSES)) % _NUM_CLASSES
        _FOODS[other](canvas, rng, x, y, inner * 0.8)
    for _ in range(rng.integers(0, 3)):  # random distractor shapes
        x = rng.uniform(-canvas.half_w, canvas.half_w)
        y = rng.uniform(-canvas.half_h, canvas.half_h)
        size = rng.uniform(0.04, 0.18)
        f = canvas.frame(x, y, size * 1.5, rng.uniform(0, np.pi))
        if f is None:
            continue
        w, u, v = f
        if rng.uniform() < 0.5:
            sdf = _sd_ellipse(u, v, size, size * rng.uniform(0.3, 1.0))
        else:
            sdf = _sd_box(u, v, size, size * rng.uniform(0.2, 1.0), size * 0.1)
        canvas.shadow(w, sdf - 0.01, 0.3, 0.03)
        canvas.fill(w, sdf, _any_colour(rng))


def _draw_crumbs(canvas: _Canvas, rng: np.random.Generator) -> None:
    n = rng.integers(0, 25)
    base = _rand_hsv(rng, (15, 50), (0.2, 0.8), (0.3, 1.0))
    for _ in range(n):
        x = rng.uniform(-canvas.half_w, canvas.half_w)
        y = rng.uniform(-canvas.half_h, canvas.half_h)
        r = rng.uniform(0.008, 0.025)
        f = canvas.frame(x, y, r * 1.5)
        if f is None:
            continue
        w, u, v = f
        canvas.fill(w, np.sqrt(u * u + v * v) - r, _jitter(rng, base, 0.2))


def _finish(canvas: _Canvas, rng: np.random.Generator, noise_rng: np.random.Generator):
    """Lighting, colour cast, blur, sensor noise; returns the uint8 image."""
    x, y = canvas.xs[None, :], canvas.ys[:, None]
    phi = rng.uniform(0, 2 * np.pi)
    gradient = _F(rng.uniform(0.0, 0.35)) * (x * _F(np.cos(phi)) + y * _F(np.sin(phi)))
    vignette = _F(rng.uniform(0.0, 0.25)) * (x * x + y * y) / 2
    gain = _F(rng.uniform(0.75, 1.15)) * (1.0 + gradient - vignette)
    cast = np.clip(1.0 + rng.normal(0, 0.07, 3), 0.7, 1.3)
    # colour cast, hue rotation about the grey axis and saturation change: one matrix
    hue = np.deg2rad(rng.uniform(-8.0, 8.0))
    k = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=np.float64) / np.sqrt(3)
    rotation = np.cos(hue) * np.eye(3) + (1 - np.cos(hue)) / 3 + np.sin(hue) * k
    sat = rng.uniform(0.7, 1.2)
    saturation = sat * np.eye(3) + (1 - sat) / 3
    matrix = (np.diag(cast) @ rotation.T @ saturation).astype(_F)
    img = ((canvas.image * gain[..., None]).reshape(-1, 3) @ matrix).reshape(canvas.image.shape)
    contrast = rng.uniform(0.8, 1.15)
    mean = img.mean(axis=(0, 1))
    img = (img - mean) * _F(contrast) + mean
    if rng.uniform() < 0.25:  # slight defocus, the same in normalised units at any size
        for _ in range(int(canvas.scale / 48 + 0.5)):
            img = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
            img = (img[:-2] + img[1:-1] + img[2:]) / 3
            img = (img[:, :-2] + img[:, 1:-1] + img[:, 2:]) / 3
    sigma = rng.uniform(0.0, 0.04)
    img = img + noise_rng.standard_normal(img.shape, dtype=_F) * _F(sigma)
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _render(index: int, height: int, width: int, seed: int) -> tuple[np.ndarray, int]:
    label = index % _NUM_CLASSES
    rng = np.random.default_rng([seed, index])
    scene_rng, noise_rng = rng.spawn(2)
    canvas = _Canvas(height, width, noise_rng)
    _draw_background(canvas, scene_rng)
    if scene_rng.uniform() < 0.3:  # napkin / placemat under the plate
        f = canvas.frame(
            scene_rng.normal(0, 0.3), scene_rng.normal(0, 0.3), 1.6, scene_rng.uniform(0, np.pi)
        )
        if f is not None:
            w, u, v = f
            sdf = _sd_box(u, v, scene_rng.uniform(0.6, 1.1), scene_rng.uniform(0.5, 1.0), 0.02)
            canvas.shadow(w, sdf - 0.01, 0.25, 0.03)
            canvas.fill(w, sdf, _any_colour(scene_rng) * (1 + 0.05 * canvas.fine[w])[..., None])
    a = scene_rng.uniform(0.7, 1.0)
    b = a * scene_rng.uniform(0.82, 1.0)
    cx = scene_rng.uniform(-0.2, 0.2) * canvas.half_w
    cy = scene_rng.uniform(-0.2, 0.2) * canvas.half_h
    plate = (cx, cy, a)
    _draw_clutter(canvas, scene_rng, label, plate)
    bowl = scene_rng.uniform() < (0.7 if label == 3 else 0.2)
    inner = _draw_plate(canvas, scene_rng, cx, cy, a, b, scene_rng.uniform(0, np.pi), bowl)
    radius = inner * scene_rng.uniform(0.85, 1.05)
    fx = cx + scene_rng.normal(0, 0.05)
    fy = cy + scene_rng.normal(0, 0.05)
    _FOODS[label](canvas, scene_rng, fx, fy, radius)
    _draw_crumbs(canvas, scene_rng)
    return _finish(canvas, scene_rng, noise_rng), label


# ------------------------------------------------------------------------------ public


def synthetic_image(
    index: int, image_size: tuple[int, int] = (96, 96), seed: int = 0
) -> tuple[np.ndarray, int]:
    """Render image number ``index`` of the generated dataset on its own.

    Image ``index`` has label ``index % 5`` and only depends on ``(seed, index)``, so it
    equals ``generate_synthetic_images(n, image_size, seed)[0][index]`` for any large
    enough ``n``.

    Args:
        index: Position of the image in the dataset, ``>= 0``.
        image_size: ``(height, width)`` in pixels, each at least 32.
        seed: Non-negative integer seed.

    Returns:
        ``(image, label)``: a ``uint8`` array of shape ``(height, width, 3)`` and its
        integer label.

    Raises:
        ValueError: If an argument has the wrong type or is out of range.

    Example:
        >>> image, label = synthetic_image(7, (64, 80), seed=1)
        >>> image.shape, image.dtype.name, SYNTHETIC_CLASS_NAMES[label]
        ((64, 80, 3), 'uint8', 'sushi')
    """
    index = check_int("index", index, 0)
    height, width = _check_image_size(image_size)
    seed = check_int("seed", seed, 0)
    return _render(index, height, width, seed)


def generate_synthetic_images(
    num_per_class: int, image_size: tuple[int, int] = (96, 96), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a balanced set of plates of pizza, donut, sushi, salad and fries.

    Classes are interleaved: image ``i`` has label ``i % 5`` (see
    :data:`SYNTHETIC_CLASS_NAMES`). Image ``i`` only depends on ``(seed, i)``, so a call
    with more images per class extends a call with fewer (the first images are the
    same), and :func:`synthetic_image` renders any single one. Different seeds give
    different images; use different seeds for the train, validation and test splits.

    Args:
        num_per_class: Images per class, at least 1; ``N = 5 * num_per_class`` in all.
        image_size: ``(height, width)`` in pixels, each at least 32 (not necessarily
            square; 32x32 up to 256x256 are the intended range).
        seed: Non-negative integer seed.

    Returns:
        ``(images, labels)``: ``uint8`` array of shape ``(N, height, width, 3)`` and
        ``int32`` array of shape ``(N,)`` with values in ``0..4``.

    Raises:
        ValueError: If an argument has the wrong type or is out of range.

    Example:
        >>> images, labels = generate_synthetic_images(2, (48, 64), seed=3)
        >>> images.shape, images.dtype.name, labels.tolist()
        ((10, 48, 64, 3), 'uint8', [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    """
    num_per_class = check_int("num_per_class", num_per_class, 1)
    height, width = _check_image_size(image_size)
    seed = check_int("seed", seed, 0)
    total = num_per_class * _NUM_CLASSES
    images = np.empty((total, height, width, 3), dtype=np.uint8)
    labels = np.empty(total, dtype=np.int32)
    for index in range(total):
        images[index], labels[index] = _render(index, height, width, seed)
    return images, labels
