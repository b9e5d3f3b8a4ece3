"""Animate audience / Remove audience keys: thin operators over blender.job."""
import threading
import time

import bpy

from ..blender import job
from ..blender.errors import AudienceError
from ..ml.settings import limits
from ..properties import MODE_ITEMS, SETTINGS_PRESET_ITEMS, custom_table


# Settings the operator and the Audience tab share, with the same names.
SHARED = ("preset", "mode", "seed", "strength", "smoothing", "tolerance", "contrast", "hold", "blink", "idle", "stagger")


def _settings(op, context) -> job.Settings:
    """Properties set on the operator (from a script) win; the others come from the Audience tab."""
    panel = context.scene.audience
    shared = {name: getattr(op if op.properties.is_property_set(name) else panel, name) for name in SHARED}
    try:  # the table's rows matter only when it is used
        custom = custom_table(panel) if shared["preset"] == "CUSTOM" else {}
    except ValueError as e:
        raise AudienceError(str(e)) from None
    return job.Settings(
        strip=op.strip or panel.strip,
        faces=op.faces or (panel.faces.name if panel.faces else ""),
        speaker=op.speaker or (panel.speaker.name if panel.speaker else ""),
        model=op.model,
        custom=custom,
        **shared,
    )


class AUDIENCE_OT_animate(bpy.types.Operator):
    """Predict the speaker's emotion from the sound strip and key the faces' shape keys"""
    bl_idname = "audience.animate"
    bl_label = "Animate Audience"
    bl_options = {"REGISTER", "UNDO"}

    strip: bpy.props.StringProperty(name="Speech", description="Sound strip name (empty: the Audience tab's)")
    faces: bpy.props.StringProperty(name="Faces", description="Collection name (empty: the Audience tab's)")
    preset: bpy.props.EnumProperty(name="Shape keys", items=SETTINGS_PRESET_ITEMS)
    mode: bpy.props.EnumProperty(name="Reaction", items=MODE_ITEMS)
    seed: bpy.props.IntProperty(name="Seed", **limits("seed", clamp=False))
    strength: bpy.props.FloatProperty(name="Strength", **limits("strength", clamp=False))
    smoothing: bpy.props.FloatProperty(name="Smoothing", **limits("smoothing", clamp=False))
    tolerance: bpy.props.FloatProperty(name="Key Tolerance", **limits("tolerance", clamp=False))
    contrast: bpy.props.FloatProperty(name="Contrast", **limits("contrast", clamp=False))
    hold: bpy.props.FloatProperty(name="Minimum Hold", **limits("hold", clamp=False))
    blink: bpy.props.BoolProperty(name="Blinks", default=True)
    idle: bpy.props.FloatProperty(name="Idle Motion", **limits("idle", clamp=False))
    speaker: bpy.props.StringProperty(name="Speaker", description="Object name (empty: the Audience tab's)")
    stagger: bpy.props.FloatProperty(name="Stagger", **limits("stagger", clamp=False))
    model: bpy.props.StringProperty(name="Model", description="Model folder (empty: the shipped model)",
                                    subtype="FILE_PATH", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return context.scene is not None

    def execute(self, context):
        """Scripts and batch: all in one go."""
        wm = context.window_manager
        wm.progress_begin(0, 100)
        try:
            result = job.animate(context.scene, _settings(self, context),
                                 progress=lambda f, _msg: wm.progress_update(int(100 * f)))
        except AudienceError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        return self._finish(result)

    def invoke(self, context, event):
        """The button: analyse in a thread so Blender stays responsive; Esc cancels before anything is written.
        Then the keys, a few faces per timer tick, so the progress bar and the status bar keep moving."""
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._job = job.prepare(context.scene, _settings(self, context))
        except AudienceError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        self._cancel = threading.Event()
        self._progress = (0.0, "starting")
        self._outcome = None
        self._writing = None  # job.write_steps once the analysis is done
        self._thread = threading.Thread(target=self._analyse, daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.05, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _analyse(self):
        try:
            self._outcome = job.analyse(self._job, lambda f, m: setattr(self, "_progress", (f, m)),
                                        self._cancel.is_set)
        except Exception as e:  # handed to the main thread, which reports it
            self._outcome = e

    def modal(self, context, event):
        if self._writing is not None:
            # Keys: nothing else may touch the scene until they are all written (no undo, no edits), so every
            # event but the timer is held back; the status bar says what is happening.
            return self._write_some(context) if event.type == "TIMER" else {"RUNNING_MODAL"}
        if event.type == "ESC":
            self._cancel.set()
            self._stop(context)
            self.report({"WARNING"}, "Animate Audience cancelled: nothing was written")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}  # Blender stays usable while the speech is analysed
        if self._thread.is_alive():
            self._show(context, *self._progress)
            return {"PASS_THROUGH"}
        if isinstance(self._outcome, Exception):
            self._stop(context)
            message = str(self._outcome) if isinstance(self._outcome, AudienceError) else \
                f"Animate Audience failed: {type(self._outcome).__name__}: {self._outcome}"
            self.report({"ERROR"}, message)
            return {"CANCELLED"}
        self._writing = job.write_steps(self._job, self._outcome, recheck=True)  # the artist may have worked meanwhile
        return self._write_some(context)

    def _write_some(self, context):
        """Write keys for up to a tenth of a second, then let Blender redraw."""
        until = time.perf_counter() + 0.1
        try:
            while time.perf_counter() < until:
                self._progress = next(self._writing)
        except StopIteration as done:
            self._stop(context)
            return self._finish(done.value)
        except AudienceError as e:  # the scene changed while the speech was analysed: nothing was written
            self._stop(context)
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        except Exception as e:  # a bug: say so, leave no timer or status text behind
            self._stop(context)
            self.report({"ERROR"}, f"Animate Audience failed while writing keys: {type(e).__name__}: {e}")
            return {"CANCELLED"}
        self._show(context, *self._progress)
        return {"RUNNING_MODAL"}

    def _show(self, context, fraction, message):
        context.window_manager.progress_update(int(100 * fraction))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Animate Audience: {message} ({int(100 * fraction)} %)"
                                              + ("" if self._writing else "; Esc cancels"))

    def _stop(self, context):
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def _finish(self, result):
        for note in result.notes:
            self.report({"WARNING"}, note)
        self.report({"INFO"}, result.summary())
        return {"FINISHED"}


class AUDIENCE_OT_clear(bpy.types.Operator):
    """Remove the keys Animate Audience wrote on the faces (keys you made yourself stay)"""
    bl_idname = "audience.clear"
    bl_label = "Remove Audience Keys"
    bl_options = {"REGISTER", "UNDO"}

    faces: bpy.props.StringProperty(name="Faces", description="Collection name (empty: the Audience tab's)")

    def execute(self, context):
        panel = context.scene.audience
        try:
            n, notes = job.clear(context.scene, self.faces or (panel.faces.name if panel.faces else ""))
        except AudienceError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        for note in notes:
            self.report({"WARNING"}, note)
        self.report({"INFO"}, f"Removed audience keys from {job._faces(n, None)}")
        return {"FINISHED"}
