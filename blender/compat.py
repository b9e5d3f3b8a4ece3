"""Every difference between Blender 4.2, 4.4+ (slotted actions), 5.0 (no Action.fcurves, strips, image/video media
types) and 5.2 (strip frame names) lives here."""
from __future__ import annotations

import bpy


def sequencer_strips(scene) -> list:
    """All strips of the scene, inside meta strips too ("sequences" before 5.0, "strips" from 5.0)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def top_level_strips(scene):
    """The strip collection that new strips are added to."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


# StringProperty(search=...) crashes Blender 4.2 at exit (seen with the 4.2 bpy module); the panel
# falls back to a search over all strips there.
STRING_SEARCH = bpy.app.version >= (4, 3, 0)


def strips_collection_name(scene) -> str:
    """Name of the scene.sequence_editor collection holding every strip (for prop_search)."""
    editor = scene.sequence_editor
    return "strips_all" if editor is not None and hasattr(editor, "strips_all") else "sequences_all"


# Blender 5.2 renamed the strips' frame properties (the old names are to go in 6.0): 5.2 name -> the name before.
STRIP_FRAMES = {
    "left_handle": "frame_final_start",          # the first frame the strip plays
    "right_handle": "frame_final_end",           # the frame after the last one it plays
    "content_start": "frame_start",              # where its content begins: the sound's 0 s (before any trim)
    "content_duration": "frame_duration",        # the content's length, trims not counted
    "left_handle_offset": "frame_offset_start",  # frames trimmed off the start
    "right_handle_offset": "frame_offset_end",   # frames trimmed off the end
}


def strip_frame(strip, name: str):
    """A strip's frame property by its 5.2 name (a key of STRIP_FRAMES); the old name before 5.2."""
    return getattr(strip, name if hasattr(strip, name) else STRIP_FRAMES[name])


def set_strip_frame(strip, name: str, value) -> None:
    setattr(strip, name if hasattr(strip, name) else STRIP_FRAMES[name], value)


def strip_range(strip) -> tuple:
    """The first frame a strip plays and the frame after its last one."""
    return strip_frame(strip, "left_handle"), strip_frame(strip, "right_handle")


def is_sound_strip(strip) -> bool:
    return strip.type == "SOUND"


def enclosing_metas(strip) -> list:
    """The meta strips a strip is inside, innermost first."""
    metas = []
    meta = strip.parent_meta()
    while meta is not None:
        metas.append(meta)
        meta = meta.parent_meta()
    return metas


def channel_muted(scene, strip) -> bool:
    """The strip's channel (in its meta, or the sequencer) is muted."""
    metas = enclosing_metas(strip)
    owner = metas[0] if metas else scene.sequence_editor
    channels = getattr(owner, "channels", None)
    return bool(channels is not None and 0 <= strip.channel < len(channels) and channels[strip.channel].mute)


def has_slots(action) -> bool:
    """Blender 4.4+ (slotted actions)."""
    return hasattr(action, "slots")


def assign_action(anim_data, action) -> None:
    """Make `action` the active action of `anim_data`, with a slot on 4.4+."""
    anim_data.action = action
    if has_slots(action) and anim_data.action_slot is None:
        anim_data.action_slot = _slot_for(action, anim_data.id_data)


def _slot_for(action, datablock):
    id_type = datablock.id_type if hasattr(datablock, "id_type") else type(datablock).__name__.upper()
    for slot in action.slots:
        if slot.target_id_type == id_type:
            return slot
    return action.slots.new(id_type=id_type, name=datablock.name)


def _channelbag(action, datablock):
    """The channelbag of `datablock`'s slot, made with its layer and strip if needed (4.4+)."""
    layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
    strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
    return strip.channelbag(_slot_for(action, datablock), ensure=True)


def new_fcurves(action, datablock, data_paths: list, group: str) -> list:
    """New F-curves in `action` for `datablock`, in channel group `group` (the slot looked up once)."""
    if not has_slots(action):
        return [action.fcurves.new(path, index=0, action_group=group) for path in data_paths]
    bag = _channelbag(action, datablock)
    channel_group = bag.groups.get(group) or bag.groups.new(group)
    fcurves = []
    for path in data_paths:
        fcurve = bag.fcurves.new(path, index=0)  # 4.5 takes no group here, 5.0 does: set it after
        fcurve.group = channel_group
        fcurves.append(fcurve)
    return fcurves


def existing_fcurves(action):
    """All F-curves of an action, in any slot, without creating anything."""
    if not has_slots(action):
        return list(action.fcurves)
    return [fc for layer in action.layers for strip in layer.strips for bag in strip.channelbags for fc in bag.fcurves]


def remove_fcurve(action, fcurve) -> None:
    if not has_slots(action):
        action.fcurves.remove(fcurve)
        return
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                if any(fc == fcurve for fc in bag.fcurves):
                    bag.fcurves.remove(fcurve)
                    return


def new_nla_strip(track, name: str, start: int, action, datablock):
    strip = track.strips.new(name, int(start), action)
    set_strip_action(strip, action, datablock)
    return strip


def set_strip_action(strip, action, datablock) -> None:
    """Let an NLA strip play `action` (with `datablock`'s slot on 4.4+)."""
    if strip.action != action:
        strip.action = action
    if has_slots(action):
        strip.action_slot = _slot_for(action, datablock)


def shader_nodes(material):
    """The material's shader node tree: 5.0 gives every material one (use_nodes is deprecated there); 4.x makes it
    when use_nodes is switched on."""
    if material.node_tree is None:
        material.use_nodes = True
    return material.node_tree


def play_in_sync_with_sound(scene) -> None:
    """Playback keeps to the sound (dropping frames if it must) and scrubbing the timeline plays it."""
    scene.sync_mode = "AUDIO_SYNC"
    scene.use_audio_scrub = True


def use_image_output(scene, file_format: str = "PNG") -> None:
    """Still images out; 5.0 has a media type (image or video) to pick first."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "IMAGE"
    settings.file_format = file_format


def use_movie_output(scene) -> None:
    """An MP4: H.264 video and AAC sound (5.0 lists FFmpeg only once the media type is video)."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    ffmpeg = scene.render.ffmpeg
    ffmpeg.format, ffmpeg.codec, ffmpeg.constant_rate_factor = "MPEG4", "H264", "MEDIUM"
    ffmpeg.audio_codec, ffmpeg.audio_bitrate, ffmpeg.audio_channels = "AAC", 128, "MONO"


def frames_per_second(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def is_background() -> bool:
    return bpy.app.background
