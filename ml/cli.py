"""What the command-line tools (batch.py, ml.predict) promise: on any failure exit code 1 and one line
`error: ...` on stderr, no partial outputs, and never an output written onto an input.

Outputs go to temporary files beside their final paths (same folder, so a .blend's relative paths stay
right) and are renamed into place only when the whole run succeeded.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback


class Failure(Exception):
    """The run cannot go on; the message is the one `error:` line."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad option is a Failure (exit 1, one line), not usage text and exit 2."""

    def error(self, message):
        raise Failure(f"{message} (see {self.prog} --help)")

    def parse_known_args(self, args=None, namespace=None):
        # argparse takes "-inf" or "-1e3" after an option for another option ("expected one argument"): joined to
        # its option, the value reaches the settings' own check, which says what is wrong with it.
        args, joined = list(sys.argv[1:] if args is None else args), []
        while args and args[0] != "--":  # after "--" every word is a name, a file's say
            arg = args.pop(0)
            action = self._option_string_actions.get(joined[-1]) if joined else None
            if action is not None and action.nargs is None and arg.startswith("-") and _is_number(arg):
                joined[-1] = f"{joined[-1]}={arg}"  # an option that takes one value, and this is its value
            else:
                joined.append(arg)
        return super().parse_known_args(joined + args, namespace)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def one_line(text: str) -> str:
    """A message on one line: a file name may hold a newline or a tab, a script reads the line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def run(main, argv) -> int:
    """main(argv) -> exit code, with every failure turned into exit code 1 and one `error:` line."""
    _quiet_threads_once_stopped()
    try:
        return main(argv) or 0
    except Failure as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl-C: the user stopped it (what was not finished is not written), no traceback
        print("error: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except SystemExit as e:  # --help, or a library's exit
        if not isinstance(e.code, str):
            return e.code or 0
        print(one_line(e.code if e.code.startswith("error:") else f"error: {e.code}"), file=sys.stderr)
    except Exception as e:  # unforeseen: the traceback for a bug report on stdout, still one line on stderr
        traceback.print_exc(file=sys.stdout)
        print(f"error: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
    return 1


_stopped = []  # the signal, once Ctrl-C came


def _quiet_threads_once_stopped() -> None:
    """After Ctrl-C, exceptions in other threads (joblib's workers' manager, as it is torn down) are not printed:
    the one line says it was stopped. Installed once a process, and only over Python's own Ctrl-C handler."""
    import signal
    import threading

    def on_interrupt(signum, frame):
        _stopped.append(signum)
        raise KeyboardInterrupt

    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # ignored, taken, or ours already
            return
        signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: no signal handler can be set, Ctrl-C goes on as before
        return
    default = threading.excepthook
    threading.excepthook = lambda args: None if _stopped else default(args)


def _same(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links, case-insensitive file systems
    except OSError:
        return False


def check_outputs(outputs: dict, inputs: list) -> None:
    """Refuse (Failure) outputs that would land on an input or on each other, or cannot be written.

    outputs: {option: path}; inputs: [(what, path)].
    """
    seen = []
    for option, path in outputs.items():
        if not path:
            continue
        if os.path.isdir(path):
            raise Failure(f"{option} {path} is a folder; give a file name")
        if os.path.exists(path) and not os.path.isfile(path):  # /dev/stdout, a pipe: cannot be replaced safely
            raise Failure(f"{option} {path} is not a regular file; give a file name")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise Failure(f"{option}: folder does not exist: {folder} (outputs go into folders that exist: make it "
                          "first)")
        if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
            raise Failure(f"cannot write {option} {path}: permission denied")
        name_max = os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        if len(os.fsencode(os.path.basename(path))) > name_max:
            raise Failure(f"{option}: file name too long (at most {name_max} bytes): {os.path.basename(path)}")
        for what, source in inputs:
            if source and _same(path, source):
                raise Failure(f"{option} {path} is {what}: an input is never overwritten; choose another file")
        for other, earlier in seen:
            if _same(path, earlier):
                raise Failure(f"{option} and {other} are the same file ({path}); give each output its own file")
        seen.append((option, path))


class Outputs:
    """Write outputs atomically: `with Outputs({...}, inputs) as out:` write to out.path(option), then out.commit().

    Without commit() (an error anywhere), the temporary files are removed and nothing is left behind.
    """

    def __init__(self, outputs: dict, inputs: list = ()):
        check_outputs(outputs, list(inputs))
        self.final = {option: os.path.abspath(path) for option, path in outputs.items() if path}
        self.temporary = {}

    def __enter__(self):
        for option, path in self.final.items():
            folder, name = os.path.split(path)
            try:
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".audience-", suffix=os.path.splitext(name)[1])
            except OSError as e:
                self._discard()
                raise Failure(f"cannot write {option} {path}: {e.strerror}") from None
            os.close(fd)
            os.unlink(tmp)  # a unique name, not a file: Blender would keep a .blend1 "backup" of an existing one
            self.temporary[option] = tmp
        return self

    def path(self, option: str) -> str:
        """Where to write this output for now."""
        return self.temporary[option]

    def commit(self) -> None:
        """Rename every output into place (all were written)."""
        for option, tmp in self.temporary.items():
            if not os.path.isfile(tmp):
                raise Failure(f"{option} {self.final[option]} was not written")
        for option in list(self.temporary):
            try:
                os.replace(self.temporary[option], self.final[option])
            except OSError as e:
                raise Failure(f"cannot write {option} {self.final[option]}: {e.strerror}") from None
            del self.temporary[option]

    def _discard(self):
        for tmp in self.temporary.values():
            for leftover in (tmp, tmp + "@"):  # Blender saves through "<name>@"
                try:
                    os.unlink(leftover)
                except OSError:
                    pass
        self.temporary = {}

    def __exit__(self, *exc):
        self._discard()
        return False
