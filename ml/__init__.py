"""Emotion from speech: features, model, timeline. Pure Python: never imports bpy."""
