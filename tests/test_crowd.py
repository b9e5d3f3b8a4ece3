"""crowd/: presets, temperaments, key simplification (pure Python)."""
import os

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
    assert 0.1 <= a.delay_s <= 0.6 and 0.6 <= a.intensity <= 1.0 and all(0.6 <= g <= 1.4 for g in a.emotion_gain)


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
                         ({"happy": {}}, "names no shape key"), ({"happy": {"  ": 0.5}}, "not blank"),
                         ({"happy": {"\u200b": 0.5}}, "not blank"),
                         # faces' names are matched without case: these would land on one shape key
                         ({"happy": {"mouthSmileLeft": 0.9, "mouthsmileleft": 0.2}}, "differ only in case"),
                         ({"happy": {"mouthSmileLeft": 0.9}, "sad": {"mouthSmileLeft ": 0.1}}, "spell them the same")]:
        with pytest.raises(ValueError, match=message):
            save_preset(path, bad)
        assert load_preset(path) == {e: dict(ARKIT[e]) for e in EMOTIONS}  # the preset there is kept whole
    assert os.listdir(tmp_path) == ["mine.json"]  # no temporary file left behind
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an Audience Reactions expression preset"):
        load_preset(str(tmp_path / "other.json"))
    (tmp_path / "big.json").write_text(" " * (1 << 20) + "{}")
    with pytest.raises(ValueError, match="larger than 1 MB"):
        load_preset(str(tmp_path / "big.json"))
    # A hand-edited file naming an emotion or a shape key twice: JSON would keep the last one only.
    for twice, name in [('"happy": {"smileBig": 0.9}, "happy": {"smileBig": 0.2}', '"happy"'),
                        ('"sad": {"pout": 0.7, "pout": 0.0}', '"pout"')]:
        (tmp_path / "twice.json").write_text(f'{{"format": "audience-reactions-expressions", "version": 1, '
                                             f'"expressions": {{{twice}}}}}')
        with pytest.raises(ValueError, match=f"{name} is given twice"):
            load_preset(str(tmp_path / "twice.json"))


def _probs(rows):
    return np.array(rows, dtype=float)


def test_mood_is_what_stands_out_from_chance():
    """Flat, calibrated probabilities: the likeliest emotion at 0.3 still shows; chance shows nothing; neutral rests."""
    from crowd.members import crowd_mood

    flat = np.full((10, 8), 1 / 8)
    assert not crowd_mood(flat, 0.5).any()
    happy = np.full((10, 8), 0.1)
    happy[:, EMOTIONS.index("happy")] = 0.3
    mood = crowd_mood(happy, 0.5, hold_s=0)
    assert mood[:, EMOTIONS.index("happy")].min() > 0.9
    assert mood[:, EMOTIONS.index("neutral")].max() == 0 and mood.max() <= 1
    silence = np.zeros((10, 8))
    silence[:, 0] = 1.0
    assert not crowd_mood(silence, 0.5).any()
    assert crowd_mood(np.zeros((0, 8)), 0.5).shape == (0, 8)


def test_contrast_makes_the_likeliest_emotion_stand_out():
    from crowd.members import crowd_mood

    probs = np.tile([0.1, 0.1, 0.16, 0.1, 0.14, 0.1, 0.1, 0.1], (4, 1))  # happy a little ahead of angry
    happy = EMOTIONS.index("happy")
    moods = [crowd_mood(probs, 0.5, contrast=c, hold_s=0)[-1] for c in (0.5, 1.0, 2.0, 4.0)]
    assert all(a[happy] < b[happy] for a, b in zip(moods, moods[1:]))  # a small lead shows more clearly
    assert moods[-1][happy] == 1.0 and moods[0][happy] < 0.25
    assert not any(m[[0, 1, 3, 5, 6, 7]].any() for m in moods)  # the emotions at chance never show


def test_hold_keeps_the_crowd_calm_between_changes():
    """A new emotion leads only once its evidence, averaged over the hold, is ahead: no flicker on blips."""
    from crowd.members import crowd_mood

    happy, angry = EMOTIONS.index("happy"), EMOTIONS.index("angry")
    rows = []
    for i in range(80):  # happy for 20 s with a 0.5 s blip of anger every 2 s, then angry for 20 s
        p = np.full(8, 0.09)
        lead = angry if (i >= 40 or i % 4 == 3) else happy
        p[lead] = 1 - 0.09 * 7
        rows.append(p)
    probs = _probs(rows)
    calm = crowd_mood(probs, 0.5, hold_s=2.0)
    jumpy = crowd_mood(probs, 0.5, hold_s=0.0)
    leads = calm[:, [happy, angry]].argmax(axis=1)
    assert np.count_nonzero(np.diff(leads)) == 1  # one change, when the speech changes
    assert 40 <= int(np.argmax(leads)) <= 48      # within 4 s of it
    assert np.count_nonzero(np.diff(jumpy[:, [happy, angry]].argmax(axis=1))) > 10
    before = probs.copy()
    before[60:] = 1 / 8  # what comes later never changes what the crowd showed before
    np.testing.assert_array_equal(crowd_mood(before, 0.5)[:60], calm[:60])


def test_members_differ_in_what_moves_them():
    names, table = expression_table("ARKIT")
    times = np.arange(0, 10.01, 0.5)
    mood = np.zeros((len(times), 8))
    mood[:, EMOTIONS.index("happy")] = 1
    values = np.stack([react(times, mood, table, temperament(f"Face.{i:03d}", 0, len(names)), jitter=0)[:, -1]
                       for i in range(1, 13)])
    smile = values[:, names.index("mouthSmileLeft")]
    assert smile.max() - smile.min() > 0.25  # one member beams, another barely smiles


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


def test_names_a_rig_may_really_have_side_by_side_pass():
    """Hostile round 23: MMD's mouth shapes are symbols (plain() makes them all ""), and a Character Creator rig may
    carry its own names beside ARKit's: the faces match these exactly, so a table naming them is fine."""
    from crowd.presets import check_table

    table = {"happy": {"▲": 0.4, "にやり": 0.6, "Eye_Blink_L": 0.2}, "surprised": {"□": 0.8},
             "sad": {"∧": 0.5, "eyeBlinkLeft": 0.3, "Key 1": 0.1, "Key_1": 0.1}}
    assert check_table(table)["surprised"] == {"□": 0.8}


def test_the_shipped_presets_pass_their_own_check():
    from crowd.presets import PRESETS, check_table

    for name, table in PRESETS.items():
        assert check_table(table) == {e: dict(table.get(e, {})) for e in EMOTIONS}, name


def test_deeply_nested_preset_is_refused(tmp_path):
    """F8: a preset file nested thousands deep is a clear ValueError, not a RecursionError traceback."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError, match="nested too deeply"):
        load_preset(str(path))
