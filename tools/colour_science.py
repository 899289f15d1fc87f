"""Colour science used to choose and check the palette: CVD simulation, CIELAB and CIEDE2000.

Why this exists: the product promises "14 distinct, colour-blind-safe colours". That is a
measurable claim, so the palette is chosen and tested by computation rather than by eye:
every colour is simulated as a dichromat would see it and the CIEDE2000 difference between
every pair is measured in each view. Pure Python (no numpy, no QGIS) so that it imports
anywhere; :func:`derive_palette` alone uses numpy, lazily, because it searches thousands of
candidates and is only ever run by hand to re-derive the hard-coded palette.

Sources:
- sRGB transfer function and the sRGB -> XYZ (D65) matrix: IEC 61966-2-1:1999.
- CIELAB: CIE 15:2004, D65 reference white.
- CVD simulation: G. M. Machado, M. M. Oliveira and L. A. F. Fernandes, "A Physiologically-based
  Model for Simulation of Color Vision Deficiency", IEEE TVCG 15(6), 2009, 1291-1298. The
  severity 1.0 matrices published with the paper
  (https://www.inf.ufrgs.br/~oliveira/pubs_files/CVD_Simulation/CVD_Simulation.html), applied to
  linear sRGB and clamped to [0, 1], as Chrome and Firefox developer tools do. Machado's model
  is weaker for tritanopia than for the red-green deficiencies; it is still the usual reference.
- CIEDE2000: G. Sharma, W. Wu and E. N. Dalal, "The CIEDE2000 color-difference formula:
  implementation notes, supplementary test data, and mathematical observations", Color Research
  and Application 30(1), 2005, 21-30 (its test pairs are used in tests/test_palette.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import combinations

RGB = tuple[float, float, float]
Lab = tuple[float, float, float]

# Machado et al. (2009), severity 1.0, rows map linear (R, G, B) -> simulated linear R, G, B.
MACHADO_2009: dict[str, tuple[RGB, RGB, RGB]] = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}

#: The views a palette is checked in: normal vision first, then the three dichromacies.
VIEWS: tuple[str | None, ...] = (None, "deuteranopia", "protanopia", "tritanopia")

# sRGB (linear) -> CIE XYZ, D65 (IEC 61966-2-1).
_RGB_TO_XYZ = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)
# D65 white as the sum of each matrix row, so that linear (1, 1, 1) is exactly L* = 100.
_WHITE = tuple(sum(row) for row in _RGB_TO_XYZ)


def hex_to_rgb(colour: str) -> RGB:
    """'#rrggbb' -> gamma-encoded sRGB in [0, 1]."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return (int(text[0:2], 16) / 255.0, int(text[2:4], 16) / 255.0, int(text[4:6], 16) / 255.0)


def rgb_to_hex(rgb: Sequence[float]) -> str:
    """Gamma-encoded sRGB in [0, 1] -> '#rrggbb' (clamped, rounded)."""
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in rgb)


def srgb_to_linear(c: float) -> float:
    """Undo the sRGB transfer curve (one channel)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c: float) -> float:
    """Apply the sRGB transfer curve (one channel), clamping to the gamut first."""
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def simulate_linear(rgb_linear: Sequence[float], deficiency: str | None) -> RGB:
    """Linear sRGB as seen with `deficiency` (None = normal vision), clamped to [0, 1]."""
    if deficiency is None:
        r, g, b = rgb_linear
        return (r, g, b)
    m = MACHADO_2009[deficiency]
    return tuple(  # type: ignore[return-value]
        min(
            1.0,
            max(0.0, m[i][0] * rgb_linear[0] + m[i][1] * rgb_linear[1] + m[i][2] * rgb_linear[2]),
        )
        for i in range(3)
    )


def simulate_hex(colour: str, deficiency: str | None) -> str:
    """A '#rrggbb' colour as a dichromat would see it (for previews and documentation)."""
    lin = [srgb_to_linear(c) for c in hex_to_rgb(colour)]
    return rgb_to_hex([linear_to_srgb(c) for c in simulate_linear(lin, deficiency)])


def linear_rgb_to_lab(rgb_linear: Sequence[float]) -> Lab:
    """Linear sRGB -> CIELAB (D65)."""
    xyz = [sum(_RGB_TO_XYZ[i][j] * rgb_linear[j] for j in range(3)) / _WHITE[i] for i in range(3)]

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(t) for t in xyz)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def hex_to_lab(colour: str, deficiency: str | None = None) -> Lab:
    """CIELAB of a '#rrggbb' colour, optionally as seen with a colour-vision deficiency."""
    lin = [srgb_to_linear(c) for c in hex_to_rgb(colour)]
    return linear_rgb_to_lab(simulate_linear(lin, deficiency))


def ciede2000(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), following Sharma et al. (2005)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0

    dLp = L2 - L1
    dCp = c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180:
            dhp -= 360
        elif dhp < -180:
            dhp += 360
    dHp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))

    Lp_bar = (L1 + L2) / 2
    Cp_bar = (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hp_bar = (h1p + h2p + 360) / 2
    else:
        hp_bar = (h1p + h2p - 360) / 2

    t = (
        1
        - 0.17 * math.cos(math.radians(hp_bar - 30))
        + 0.24 * math.cos(math.radians(2 * hp_bar))
        + 0.32 * math.cos(math.radians(3 * hp_bar + 6))
        - 0.20 * math.cos(math.radians(4 * hp_bar - 63))
    )
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(Cp_bar**7 / (Cp_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (Lp_bar - 50) ** 2 / math.sqrt(20 + (Lp_bar - 50) ** 2)
    s_c = 1 + 0.045 * Cp_bar
    s_h = 1 + 0.015 * Cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dLp / s_l) ** 2 + (dCp / s_c) ** 2 + (dHp / s_h) ** 2 + r_t * (dCp / s_c) * (dHp / s_h)
    )


def delta_e(colour1: str, colour2: str, deficiency: str | None = None) -> float:
    """CIEDE2000 between two '#rrggbb' colours, in normal vision or a simulated deficiency."""
    return ciede2000(hex_to_lab(colour1, deficiency), hex_to_lab(colour2, deficiency))


def min_pairwise_delta_e(
    colours: Iterable[str], deficiency: str | None = None
) -> tuple[float, tuple[str, str]]:
    """The smallest CIEDE2000 between any two colours, and which pair it is."""
    labs = {c: hex_to_lab(c, deficiency) for c in colours}
    best = (math.inf, ("", ""))
    for c1, c2 in combinations(labs, 2):
        d = ciede2000(labs[c1], labs[c2])
        if d < best[0]:
            best = (d, (c1, c2))
    return best


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a '#rrggbb' colour."""
    r, g, b = (srgb_to_linear(c) for c in hex_to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(colour1: str, colour2: str) -> float:
    """WCAG 2.x contrast ratio (1..21) between two colours."""
    l1, l2 = sorted((relative_luminance(colour1), relative_luminance(colour2)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


# --- one-off derivation (numpy, run by hand) -------------------------------------------------


def derive_palette(
    n: int,
    *,
    fixed: Sequence[str] = (),
    avoid: Sequence[str] = (),
    step: int = 15,
    l_range: tuple[float, float] = (30.0, 78.0),
    cvd_weight: float = 2.0,
    passes: int = 6,
) -> list[str]:
    """Search an sRGB grid for `n` colours maximising the worst pairwise CIEDE2000.

    The score of a set is min over VIEWS of (min pairwise dE00 in that view), where the CVD
    views are multiplied by `cvd_weight` (so normal vision is asked for about twice the
    separation a dichromat gets: 14 colours cannot be equally far apart on a dichromat's
    2-D colour plane). `fixed` colours are kept and count as neighbours; `avoid` colours
    (basemap backgrounds, the no-data grey) count as neighbours but are not returned.
    Candidates are restricted to CIELAB lightness `l_range` so points stay visible on a light
    basemap and are not black. Greedy max-min start, then repeated single-swap hill climbing.
    Deterministic. Needs numpy; only for re-deriving the hard-coded palette.
    """
    import numpy as np

    levels = np.arange(0, 256, step)
    grid = np.array(np.meshgrid(levels, levels, levels, indexing="ij")).reshape(3, -1).T
    hexes = np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in grid])
    lab_normal = np.array([hex_to_lab(h) for h in hexes])
    keep = (lab_normal[:, 0] >= l_range[0]) & (lab_normal[:, 0] <= l_range[1])
    hexes = hexes[keep]
    extra = list(fixed) + list(avoid)
    all_hex = list(extra) + list(hexes)
    labs = np.array([[hex_to_lab(h, v) for h in all_hex] for v in VIEWS])  # (4, N, 3)
    weights = np.array([1.0] + [cvd_weight] * (len(VIEWS) - 1))

    def de00(lab_a: np.ndarray, lab_b: np.ndarray) -> np.ndarray:
        """Vectorised CIEDE2000 (broadcasting), same formulas as ciede2000()."""
        L1, a1, b1 = lab_a[..., 0], lab_a[..., 1], lab_a[..., 2]
        L2, a2, b2 = lab_b[..., 0], lab_b[..., 1], lab_b[..., 2]
        cb = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
        g = 0.5 * (1 - np.sqrt(cb**7 / (cb**7 + 25.0**7)))
        a1p, a2p = (1 + g) * a1, (1 + g) * a2
        c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
        h1p = np.where(c1p == 0, 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
        h2p = np.where(c2p == 0, 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)
        zero = c1p * c2p == 0
        dh = h2p - h1p
        dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
        dh = np.where(zero, 0.0, dh)
        dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
        Lb, Cb = (L1 + L2) / 2, (c1p + c2p) / 2
        hs = h1p + h2p
        hb = np.where(
            zero,
            hs,
            np.where(
                np.abs(h1p - h2p) <= 180, hs / 2, np.where(hs < 360, (hs + 360) / 2, (hs - 360) / 2)
            ),
        )
        t = (
            1
            - 0.17 * np.cos(np.radians(hb - 30))
            + 0.24 * np.cos(np.radians(2 * hb))
            + 0.32 * np.cos(np.radians(3 * hb + 6))
            - 0.20 * np.cos(np.radians(4 * hb - 63))
        )
        rt = (
            -np.sin(np.radians(60 * np.exp(-(((hb - 275) / 25) ** 2))))
            * 2
            * np.sqrt(Cb**7 / (Cb**7 + 25.0**7))
        )
        sl = 1 + 0.015 * (Lb - 50) ** 2 / np.sqrt(20 + (Lb - 50) ** 2)
        sc, sh = 1 + 0.045 * Cb, 1 + 0.015 * Cb * t
        dL, dC = (L2 - L1) / sl, (c2p - c1p) / sc
        dHs = dH / sh
        return np.sqrt(dL**2 + dC**2 + dHs**2 + rt * dC * dHs)

    def dist_to(idx: int) -> np.ndarray:
        """Weighted worst-view distance from candidate idx to every candidate."""
        d = de00(labs[:, idx : idx + 1, :], labs) * weights[:, None]
        return d.min(axis=0)

    n_extra = len(extra)
    cache: dict[int, np.ndarray] = {}

    def row(idx: int) -> np.ndarray:
        if idx not in cache:
            cache[idx] = dist_to(idx)
        return cache[idx]

    chosen = list(range(len(fixed)))  # indices into all_hex; fixed colours come first
    anchors = list(range(n_extra))  # fixed + avoid: every chosen colour keeps away from them
    # greedy: start from the most chromatic candidate, then farthest-point insertion
    nearest = np.full(len(all_hex), np.inf)
    for a in anchors:
        nearest = np.minimum(nearest, row(a))
    nearest[:n_extra] = -1
    if not anchors:
        chroma = np.hypot(labs[0, :, 1], labs[0, :, 2])
        first = int(np.argmax(chroma))
        chosen.append(first)
        nearest = np.minimum(nearest, row(first))
    while len(chosen) < len(fixed) + n:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, row(pick))
        nearest[pick] = -1

    # hill climbing: replace one free colour at a time by the candidate that best improves it
    free = list(range(len(fixed), len(chosen)))
    for _ in range(passes):
        improved = False
        for pos in free:
            rest = [c for j, c in enumerate(chosen) if j != pos] + [
                a for a in anchors if a not in chosen
            ]
            rest_min = np.inf
            sel_rest = [c for j, c in enumerate(chosen) if j != pos]
            for i, a in enumerate(sel_rest):
                for b in sel_rest[i + 1 :] + [x for x in anchors if x not in chosen]:
                    rest_min = min(rest_min, float(row(a)[b]))
            cand = np.min(np.stack([row(c) for c in rest]), axis=0)
            cand[:n_extra] = -1
            cand[chosen] = -1
            best_idx = int(np.argmax(np.minimum(cand, rest_min)))
            current = min(float(np.min([row(chosen[pos])[c] for c in rest])), rest_min)
            if min(float(cand[best_idx]), rest_min) > current + 1e-9:
                chosen[pos] = best_idx
                improved = True
        if not improved:
            break
    return [all_hex[i] for i in chosen[len(fixed) :]]


#: Settings that produced the hard-coded colours in palette.py (see its comments).
DERIVATION = {"step": 12, "cvd_weight": 2.0, "l_range": (30.0, 78.0), "passes": 20}
#: Colours the categories must keep away from: white, a typical light basemap land colour
#: (OpenStreetMap's #f2efe9) and the no-data grey.
BACKGROUNDS = ("#ffffff", "#f2efe9", "#bdbdbd")


def derive_all() -> dict[str, list[str]]:
    """Re-derive the three colour sets of palette.py: 14 current categories first, then the
    2 legacy categories added around them, then 6 outcome-group colours kept away from all
    category colours (so a chart colour never repeats a map colour)."""
    current = derive_palette(14, avoid=BACKGROUNDS, **DERIVATION)  # type: ignore[arg-type]
    legacy = derive_palette(2, fixed=current, avoid=BACKGROUNDS, **DERIVATION)  # type: ignore[arg-type]
    outcomes = derive_palette(  # type: ignore[arg-type]
        6, avoid=BACKGROUNDS + tuple(current) + tuple(legacy), **DERIVATION
    )
    return {"current": current, "legacy": legacy, "outcome_groups": outcomes}


if __name__ == "__main__":  # pragma: no cover - manual derivation aid
    for key, colours in derive_all().items():
        print(key, colours)
        for view in VIEWS:
            print("   ", view or "normal", round(min_pairwise_delta_e(colours, view)[0], 2))
