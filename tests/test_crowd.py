"""crowd/: presets, temperaments, key simplification (pure Python)."""
import numpy as np
import pytest

from crowd.members import react, temperament
from crowd.presets import EMOTIONS, expression_table, load_preset
from crowd.simplify import keep_indices


def test_simplified_curve_stays_within_tolerance():
    x = np.arange(0, 361) * 12.0
    y = np.clip(0.5 + 0.4 * np.sin(x / 90.0) + 0.02 * np.random.default_rng(0).standard_normal(len(x)), 0, 1)
    for tol in (0.01, 0.05, 0.1):
        kept = keep_indices(x, y, tol)
        assert kept[0] == 0 and kept[-1] == len(x) - 1
        assert np.max(np.abs(np.interp(x, x[kept], y[kept]) - y)) <= tol + 1e-9
    assert len(keep_indices(x, y, 0.05)) < len(x) / 3
    assert len(keep_indices(x, y, 0.0)) == len(x)


def test_flat_curve_needs_two_keys():
    assert list(keep_indices(np.arange(50.0), np.zeros(50), 0.01)) == [0, 49]


@pytest.mark.parametrize("preset", ["ARKIT", "FACESHIFT"])
@pytest.mark.parametrize("mode", ["MIRROR", "REACT"])
def test_tables_are_weights(preset, mode):
    names, table = expression_table(preset, mode)
    assert table.shape == (len(EMOTIONS), len(names))
    assert np.all(table >= 0) and np.all(table <= 1) and not table[0].any()  # neutral is rest


def test_react_mode_turns_anger_into_shock():
    names, mirror = expression_table("ARKIT", "MIRROR")
    _names, react_table = expression_table("ARKIT", "REACT")
    angry, wide = EMOTIONS.index("angry"), names.index("eyeWideLeft")
    assert mirror[angry, wide] == 0 and react_table[angry, wide] > 0.3


def test_temperament_is_seeded_per_member():
    a = temperament("Face.001", 0, 5)
    assert a == temperament("Face.001", 0, 5)
    assert a != temperament("Face.002", 0, 5) and a != temperament("Face.001", 1, 5)
    assert 0.1 <= a.delay_s <= 0.6 and 0.6 <= a.intensity <= 1.0


def test_member_never_reacts_before_hearing():
    times = np.arange(0, 10.01, 0.5)
    probs = np.zeros((len(times), 8))
    probs[:, 0] = 1
    probs[times >= 5, 0], probs[times >= 5, 2] = 0, 1  # happy from 5 s on
    names, table = expression_table("ARKIT")
    values = react(times, probs, table, temperament("x", 0, len(names)))
    assert np.all(values[:, times <= 5.0] == 0) and values[:, -1].max() > 0.3


def test_preset_file_round_trip_and_errors(tmp_path):
    from crowd.presets import ARKIT, load_preset, save_preset

    path = str(tmp_path / "mine.json")
    save_preset(path, {"happy": {"smileBig": 1.0}, "sad": {"pout": 0.4}})
    table = load_preset(path)
    assert table["happy"] == {"smileBig": 1.0} and table["neutral"] == {}
    names, matrix = expression_table("CUSTOM", "MIRROR", table)
    assert names == ["pout", "smileBig"] and matrix[EMOTIONS.index("happy"), 1] == 1.0
    save_preset(path, ARKIT)
    assert load_preset(path) == {e: dict(ARKIT[e]) for e in EMOTIONS}
    for bad, message in [({"joy": {"a": 1}}, "unknown emotion"), ({"happy": {"a": 2}}, "from 0 to 1"),
                         ({"happy": {}}, "names no shape key")]:
        with pytest.raises(ValueError, match=message):
            save_preset(path, bad)
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an Audience Reactions expression preset"):
        load_preset(str(tmp_path / "other.json"))


def test_contrast_and_minimum_hold():
    from crowd.members import shape_mood

    probs = np.tile([0.5, 0.3, 0.2, 0, 0, 0, 0, 0], (8, 1)).astype(float)
    probs[3] = [0.1, 0.8, 0.1, 0, 0, 0, 0, 0]       # a 0.5 s blip of calm
    probs[5:] = [0.1, 0.1, 0.8, 0, 0, 0, 0, 0]      # happy from 2.5 s on
    sharp = shape_mood(probs, 0.5, contrast=3.0)
    assert sharp[0, 0] > 0.75 and np.allclose(sharp.sum(1), 1)
    held = shape_mood(probs, 0.5, hold_s=1.0)
    np.testing.assert_array_equal(held[3], probs[2])  # the blip is ignored
    np.testing.assert_array_equal(held[5], probs[4])  # happy must last 1 s first...
    np.testing.assert_array_equal(held[6:], probs[6:])  # ...then the crowd follows
    np.testing.assert_array_equal(shape_mood(probs, 0.5), probs)


def test_base_expression_under_every_emotion():
    table = {"happy": {"smile": 0.8}, "base": {"smile": 0.1, "browInnerUp": 0.2}}
    names, matrix = expression_table("CUSTOM", "MIRROR", table)
    assert names == ["browInnerUp", "smile"]
    assert np.allclose(matrix[:, 0], 0.2) and matrix[EMOTIONS.index("happy"), 1] == pytest.approx(0.9)


def test_idle_motion_sways_even_in_silence():
    times = np.arange(0, 30.01, 0.5)
    probs = np.zeros((len(times), 8))
    probs[:, 0] = 1  # silence: neutral throughout
    names, table = expression_table("ARKIT")
    member = temperament("x", 0, len(names))
    assert np.all(react(times, probs, table, member) == 0)
    idle = react(times, probs, table, member, idle=0.05)
    assert np.all(idle <= 0.05 + 1e-9) and np.all(idle.max(axis=1) > 0.03)
    assert not np.allclose(idle, react(times, probs, table, temperament("y", 0, len(names)), idle=0.05))


def test_deeply_nested_preset_is_refused(tmp_path):
    """F8: a preset file nested thousands deep is a clear ValueError, not a RecursionError traceback."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError, match="nested too deeply"):
        load_preset(str(path))
