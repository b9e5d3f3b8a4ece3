"""The Blender side: reading strips and faces, writing keys. The only package (with operators/ and panels/) that imports bpy."""
