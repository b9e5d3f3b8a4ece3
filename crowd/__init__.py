"""How the audience reacts: expression presets and per-member variation. Pure Python (numpy), no bpy."""
