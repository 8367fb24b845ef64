"""A report folder that never loses data: validated first, written atomically, stale files tracked.

Every command that writes files (``verify``, ``polar``, ...) goes through
:class:`OutputFolder`:

* **validated before the work starts.**  :meth:`OutputFolder.prepare` refuses an
  empty path, a path that is an existing file, a sub-folder that is a file, and a
  folder it cannot write into (it creates and removes a probe file), so a bad
  ``--out`` fails in the first second instead of after minutes of claims;
* **atomic writes.**  Each file is written to a temporary file in the same
  folder and moved into place with :func:`os.replace`, so a crash leaves the
  previous file or the new one, never half of either;
* **no writing through links.**  ``os.replace`` replaces a symbolic link itself
  rather than its target, and a sub-folder whose real path leaves the report
  folder is refused;
* **one set of files per run.**  The folder keeps a manifest
  (:data:`MANIFEST`) of the files the project wrote there.  On a re-run the
  files of the earlier run that this run did not write again (stale figures of
  claims that no longer exist, say) are removed; nothing that the project did
  not write is ever touched.  :meth:`OutputFolder.finish` returns a sentence
  saying what was replaced and removed.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

__all__ = ["MANIFEST", "OutputError", "OutputFolder", "output_dir_arg", "prepare_output_file",
           "write_file_atomically"]

#: file in the report folder listing the relative paths the project wrote there
MANIFEST = ".gluon-ref-files.json"


class OutputError(ValueError):
    """The output folder cannot be used; the message says why and which path."""


def output_dir_arg(text: str) -> Path:
    """argparse ``type=`` for ``--out``: refuses the empty string (it would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the output folder must not be empty (an empty path would write into the current "
            "folder); give a folder name, e.g. --out gluon-ref-report")
    return Path(text)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


class OutputFolder:
    """A validated folder that receives one command's output files (see the module docstring)."""

    def __init__(self, root: Path, command: str, previous: list[str], had_manifest: bool):
        self.root = root
        self.command = command
        self._previous = previous
        self._had_manifest = had_manifest
        self.written: list[str] = []
        self.overwritten: list[str] = []

    # -- set-up -----------------------------------------------------------------
    @classmethod
    def prepare(cls, path: str | os.PathLike, *, command: str,
                subdirs: Iterable[str] = ()) -> "OutputFolder":
        """Check and create ``path`` (and ``subdirs``) before any work is done.

        Raises :class:`OutputError` naming the path when it is empty, is an
        existing non-folder, has a sub-folder that is a file or leaves the
        folder through a link, or cannot be written.
        """
        if path is None or not str(path).strip():
            raise OutputError("the output folder must not be empty")
        given = Path(path)
        if given.exists() and not given.is_dir():
            raise OutputError(f"output folder {str(given)!r} exists and is not a folder")
        try:
            given.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create output folder {str(given)!r}: {exc.strerror}") from exc
        root = given.resolve()
        for sub in subdirs:
            target = root / sub
            if target.exists() and not target.is_dir():
                raise OutputError(f"{str(given / sub)!r} exists and is not a folder; move it away "
                                  "or choose another --out")
            if target.exists() and not _inside(target.resolve(), root):
                raise OutputError(f"{str(given / sub)!r} links outside the output folder "
                                  f"(to {str(target.resolve())!r}); refusing to write through it")
            try:
                target.mkdir(exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create {str(given / sub)!r}: {exc.strerror}") from exc
        _probe_writable(root, f"output folder {str(given)!r}")
        previous, had = cls._read_manifest(root)
        return cls(root, command, previous, had)

    @staticmethod
    def _read_manifest(root: Path) -> tuple[list[str], bool]:
        m = root / MANIFEST
        if not m.is_file() or m.is_symlink():
            return [], False
        try:
            data = json.loads(m.read_text())
            files = [str(f) for f in data.get("files", [])]
        except (OSError, ValueError, AttributeError):
            return [], False
        return files, True

    # -- writing ----------------------------------------------------------------
    def path(self, relative: str) -> Path:
        """Absolute path of ``relative`` inside the folder; refuses paths that leave it."""
        rel = Path(relative)
        if rel.is_absolute() or ".." in rel.parts:
            raise OutputError(f"output file {relative!r} must be a relative path inside the folder")
        target = self.root / rel
        if not _inside(target.parent.resolve(), self.root):
            raise OutputError(f"{relative!r} would be written outside the output folder "
                              f"{str(self.root)!r} (through a link); refusing")
        return target

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Write ``data`` to ``relative`` atomically (temporary file, then rename)."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if (target.exists() or target.is_symlink()) and Path(relative).as_posix() not in self.written:
            self.overwritten.append(Path(relative).as_posix())
        _replace_atomically(target, data)
        self._record(relative)
        return target

    def write_text(self, relative: str, text: str) -> Path:
        return self.write_bytes(relative, text.encode("utf-8"))

    def save_figure(self, fig, relative: str, **kwargs) -> Path:
        """Save a matplotlib figure atomically as ``relative`` (format from the suffix)."""
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format=Path(relative).suffix.lstrip(".") or "png", **kwargs)
        return self.write_bytes(relative, buf.getvalue())

    def _record(self, relative: str) -> None:
        rel = Path(relative).as_posix()
        if rel not in self.written:
            self.written.append(rel)

    # -- closing ----------------------------------------------------------------
    def finish(self) -> str:
        """Remove the earlier run's files not written again, write the manifest, say what happened."""
        replaced = [f for f in self._previous if f in self.written]
        stale = [f for f in self._previous if f not in self.written]
        removed = []
        for rel in stale:
            try:
                target = self.path(rel)
            except OutputError:
                continue
            # only regular files the project wrote; a link or folder put there since is left alone
            if target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(rel)
        manifest = {"command": self.command, "files": sorted(self.written)}
        self.write_text(MANIFEST, json.dumps(manifest, indent=1) + "\n")
        self.written.remove(MANIFEST)
        if not self._had_manifest:
            msg = f"wrote {len(self.written)} files into {self.root}"
            earlier = [f for f in self.overwritten if f != MANIFEST]
            if earlier:
                msg += (f"; {len(earlier)} files of the same names were already there and were "
                        f"replaced ({', '.join(earlier[:5])}{', ...' if len(earlier) > 5 else ''})")
            return msg
        msg = (f"replaced the earlier output in {self.root}: {len(replaced)} files rewritten, "
               f"{len(self.written) - len(replaced)} new")
        if removed:
            msg += f", {len(removed)} stale files of the earlier run removed ({', '.join(removed[:5])}"
            msg += ", ...)" if len(removed) > 5 else ")"
        return msg


def prepare_output_file(path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can receive one output file; return it.

    For commands whose ``--out`` names a single file (``gluon-ref bench``): refuses an
    empty path, an existing folder, and a parent folder that is missing or not writable.
    Write it afterwards with :func:`write_file_atomically`.
    """
    if path is None or not str(path).strip():
        raise OutputError("the output file must not be empty")
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"output file {str(target)!r} is an existing folder")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"the folder of output file {str(target)!r} does not exist")
    _probe_writable(parent, f"the folder {str(parent)!r} of output file {str(target)!r}")
    return target


def write_file_atomically(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (a link is replaced,
    never written through; a crash leaves the old file or the new one)."""
    target = Path(path)
    _replace_atomically(target, text.encode("utf-8"))
    return target


def _replace_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it over ``target``.

    ``os.replace`` replaces a symbolic link itself, never its target; a crash leaves
    the old file or the new one, and no temporary file behind.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _probe_writable(folder: Path, what: str) -> None:
    """Create and remove a probe file in ``folder``; ``OutputError`` naming ``what`` if refused."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise OutputError(f"{what} is not writable: {exc.strerror}") from exc
