"""The settings the panel, the operator, batch.py and ml.predict share: their ranges and the one check.

Pure Python, so ml.predict can use it without Blender; properties.py takes its min/max from here, so the
panel, scripts and batch runs allow exactly the same values.
"""
from __future__ import annotations

import math
import numbers

# name: (label as in the panel, minimum, maximum, the panel slider's soft maximum)
RANGES = {
    "strength": ("Strength", 0.0, 5.0, 1.5),
    "smoothing": ("Smoothing", 0.0, 60.0, 5.0),
    "contrast": ("Contrast", 0.1, 10.0, 4.0),
    "hold": ("Minimum Hold", 0.0, 60.0, 5.0),
    "tolerance": ("Key Tolerance", 0.0, 1.0, 0.1),
    "idle": ("Idle Motion", 0.0, 1.0, 0.2),
    "stagger": ("Stagger", 0.0, 10.0, 0.5),
    "seed": ("Seed", 0, 2**31 - 1, 2**31 - 1),
}


# Animate Audience's defaults, the same in the tab, the operator, batch.py and blender.job.Settings.
DEFAULTS = {"strength": 1.0, "smoothing": 1.0, "contrast": 4.0, "hold": 2.0, "tolerance": 0.0, "idle": 0.0,
            "stagger": 0.05, "seed": 0}


FLOAT_MAX = 3.4028234663852886e38  # a Blender float property's largest value: what it makes of inf


class SettingError(ValueError):
    """A setting out of its range; the message names it and says what is allowed."""


def check(name: str, value):
    """`value` if it is allowed for setting `name`, else SettingError (NaN, inf, negatives and huge values too)."""
    label, low, high, _soft = RANGES[name]
    whole = isinstance(low, int)
    ok = isinstance(value, numbers.Integral if whole else numbers.Real) and not isinstance(value, bool) \
        and math.isfinite(value) and low <= value <= high
    if not ok:
        kind, shown = ("a whole number", str) if whole else ("a number", "{:g}".format)
        # Short: Blender hands 1e30 over as 1.0000000150474662e+30, and inf as its largest float
        got = (str(value) if isinstance(value, numbers.Integral) else f"{value:g}") \
            if isinstance(value, numbers.Real) and not isinstance(value, bool) else repr(value)
        if isinstance(value, float) and abs(value) >= FLOAT_MAX:
            got = "inf" if value > 0 else "-inf"
        raise SettingError(f"{label} must be {kind} from {shown(low)} to {shown(high)} (got {got})")
    return value


def check_all(values: dict) -> None:
    """Check every ranged setting in `values` (others are left to their own checks)."""
    for name in RANGES:
        if name in values:
            check(name, values[name])


def limits(name: str, clamp: bool = True) -> dict:
    """default/min/max/soft_max for a Blender property of this setting. clamp=False (the operator's, set from
    scripts) gives soft limits only: Blender would clamp an out-of-range value silently, check() refuses it."""
    _label, low, high, soft = RANGES[name]
    if not clamp:
        return {"default": DEFAULTS[name], "soft_min": low, "soft_max": soft}
    return {"default": DEFAULTS[name], "min": low, "max": high, "soft_max": soft}


def parse(name: str):
    """An argparse `type=` for a setting: the number, checked (argparse turns the error into its message)."""
    import argparse

    whole = isinstance(RANGES[name][1], int)

    def convert(text: str):
        try:
            if not text.strip().isascii() or "_" in text:  # Python reads "1_000" and "١٢" too: a typo would pass
                raise ValueError
            value = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise argparse.ArgumentTypeError(f"{RANGES[name][0]} must be {kind}, not {text!r}") from None
        try:
            return check(name, value)
        except SettingError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return convert
