"""Read audio files piece by piece: mono float32 at the model's rate, in bounded memory.

libsndfile (soundfile) decodes and soxr resamples as a stream, so an hour of speech never sits in
memory whole. Training, the CLI and the Blender add-on all read audio through here, so the model
hears the same samples it was trained on.
"""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

PIECE_S = 30.0  # seconds of audio per piece
MIN_RATE = 4000  # Hz: below this no recording holds speech
# A channel correlated with the loudest below this over a second is in opposite phase (a lossy codec's pair: about
# -0.95); a wide music bed under the speech stays above it unless it drowns the voice.
OPPOSITE = -0.8


class AudioError(Exception):
    """The file cannot be decoded."""


def read_pieces(source, rate: int, start_s: float = 0.0, end_s: float | None = None,
                piece_s: float = PIECE_S) -> Iterator[np.ndarray]:
    """Yield consecutive mono float32 pieces at `rate` of the file's [start_s, end_s) (seconds).

    `source` is a path or a binary file object. Opening errors surface at the first next().
    """
    import soundfile
    import soxr

    if isinstance(source, (str, bytes, os.PathLike)):
        try:
            open(source, "rb").close()  # libsndfile says only "System error." for a missing or unreadable file
        except OSError as e:
            raise AudioError(e.strerror or str(e)) from None
    try:
        f = soundfile.SoundFile(source)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(str(e).splitlines()[0]) from None
    with f:
        if f.frames == 0:
            raise AudioError("no samples")
        if f.samplerate < MIN_RATE:  # a 1 Hz header would make hours of "audio" out of a few bytes
            raise AudioError(f"a sample rate of {f.samplerate} Hz is too low to hold speech (at least {MIN_RATE} Hz)")
        # Decode from the start and cut: seeking compressed files can land off the wanted sample.
        skip = max(int(round(start_s * rate)), 0)
        wanted = None if end_s is None else max(int(round(end_s * rate)) - skip, 0)
        resampler = soxr.ResampleStream(f.samplerate, rate, 1, dtype="float32") if f.samplerate != rate else None
        block = max(int(piece_s * f.samplerate), 1)
        given = 0
        while wanted is None or given < wanted:
            try:
                data = f.read(block, dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError) as e:  # a damaged file past its header
                raise AudioError(str(e).splitlines()[0]) from None
            last = len(data) < block
            mono = downmix(data, f.samplerate)
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            if skip:
                cut = min(skip, len(mono))
                mono, skip = mono[cut:], skip - cut
            if wanted is not None:
                mono = mono[:wanted - given]
            if len(mono):
                given += len(mono)
                yield np.ascontiguousarray(mono)
            if last:
                break


def read_ahead(pieces: Iterator[np.ndarray], depth: int = 2) -> Iterator[np.ndarray]:
    """The same pieces, decoded in a thread of its own up to `depth` pieces ahead: libsndfile and soxr let go of
    the GIL, so decoding runs beside the analysis of the pieces before (5 minutes of speech: 0.47 -> 0.40 s on 2
    cores). An error comes out where the piece would have; when the caller stops early, the decoder is stopped
    and its file closed before this returns. Progress and cancelling stay with the caller: only `pieces` runs in
    the thread, so it must not touch Blender's data."""
    import queue
    import threading

    ready, stop = queue.Queue(maxsize=max(depth, 1)), threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def decode():
        try:
            for piece in pieces:
                if not hand_over((piece, None)):
                    return
            hand_over((None, None))
        except BaseException as e:  # noqa: BLE001 - handed to the caller, raised there
            hand_over((None, e))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # the decoder's file, now, from the thread that ran it

    worker = threading.Thread(target=decode, name="audience decode", daemon=True)
    worker.start()
    try:
        while True:
            piece, error = ready.get()
            if error is not None:
                raise error
            if piece is None:
                return
            yield piece
    finally:
        stop.set()
        worker.join()


def downmix(data: np.ndarray, rate: int) -> np.ndarray:
    """Mono from (samples, channels) at `rate`: the channels' mean, but a channel wired the other way round (in
    opposite phase to the loudest channel over a second) is turned back first: in the plain mean the two would
    cancel and the speech would be all but silent. Lossy codecs leave such pairs about 16 dB apart, not silent."""
    if data.shape[1] == 1:
        return data[:, 0]
    channels = np.ascontiguousarray(data.T)  # a row per channel: the sums below run over contiguous memory
    n = channels.shape[1]
    whole = n // rate * rate
    power, cross, total = (np.zeros((len(channels), -(-n // rate))) for _ in range(3))
    ref = int(np.argmax(np.einsum("cn,cn->c", channels, channels, dtype=np.float64)))
    for part, at in ((channels[:, :whole].reshape(len(channels), -1, rate), slice(0, whole // rate)),
                     (channels[:, None, whole:], slice(whole // rate, None))):  # one second at a time
        if part.size:
            power[:, at] = np.einsum("cbr,cbr->cb", part, part, dtype=np.float64)
            cross[:, at] = np.einsum("cbr,br->cb", part, part[ref], dtype=np.float64)
            total[:, at] = part.sum(axis=2, dtype=np.float64)
    # Correlation about each second's mean: a DC offset (the high-pass comes later) would hide the opposite phase.
    count = np.minimum(rate, n - rate * np.arange(power.shape[1]))
    power -= total**2 / count
    cross -= total * total[ref] / count
    flip = cross < OPPOSITE * np.sqrt(np.maximum(power * power[ref], 0.0))
    if flip.any():
        channels *= np.repeat(np.where(flip, np.float32(-1.0), np.float32(1.0)), rate, axis=1)[:, :n]
    return channels.mean(axis=0, dtype=np.float32)


def load(path: str, rate: int) -> np.ndarray:
    """The whole file, mono float32 at `rate` (for short clips: training and tests)."""
    pieces = list(read_pieces(path, rate))
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
