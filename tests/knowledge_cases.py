"""Knowledge folders with one thing wrong, shared by the loader's tests and the /reload tests:
each maker breaks the folder and returns the path the error must name."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from helpers import write_folder

BIG = 50 * 1024 * 1024


def big_file(path: Path, size: int = BIG) -> Path:
    """A large file made in no time: sparse, so nothing is written (or read back) but its size."""
    with path.open("wb") as out:
        out.truncate(size)
    return path


def dangling_link(folder: Path) -> Path:
    target = write_folder(folder / "drafts", {"gone.txt": "Gone\n\nSoon removed."}) / "gone.txt"
    os.symlink(target, folder / "gone.txt")
    target.unlink()
    return folder / "gone.txt"


def looping_link(folder: Path) -> Path:
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    return folder / "loop.txt"


def linked_outside(folder: Path, *, directory: bool) -> Path:
    outside = write_folder(folder.parent / "elsewhere", {"secret.txt": "Secret\n\nNot for you."})
    link = folder / ("linked" if directory else "linked.txt")
    os.symlink(outside if directory else outside / "secret.txt", link,
               target_is_directory=directory)
    return link


def deep_front_matter(folder: Path) -> Path:
    path = folder / "deep.md"
    path.write_text("---\ntitle: " + "[" * 600 + "\n---\n\nBody text.\n")
    return path


def name_not_utf8(folder: Path) -> Path:
    """A file whose name is Latin-1 bytes, as an old system or a zip archive may leave it."""
    path = Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9.txt"))
    path.write_text("Cafe\n\nA paragraph about coffee.\n")
    return path


# Trees too deep for pytest's own clean-up of old temporary folders (which recurses): each test
# that makes one removes it with `remove_deep_folders` (its module's autouse fixture).
_DEEP: list[Path] = []


def nested_folders(folder: Path, depth: int = 1000) -> Path:
    """`depth` folders one inside the other (`rglob` used to die of recursion at 1,000), with
    an article at the bottom; returns the first folder too deep to be read."""
    _DEEP.append(folder / "d")
    deepest = os.fsencode(folder)
    for _ in range(depth):  # one level at a time: mkdir(parents=True) recurses too
        deepest += b"/d"
        os.mkdir(deepest)
    Path(os.fsdecode(deepest + b"/deep.txt")).write_text("Deep\n\nA paragraph far down.\n")
    return folder.joinpath(*["d"] * 33)


def write(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(content)
        return folder / name
    return make


# Each makes one thing wrong in the knowledge folder and returns the path the error must name,
# with words the error must hold.
BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty": (write("empty.txt", b""), "is empty"),
    "blank": (write("blank.md", b"  \n\n\t\n"), "is empty"),
    "binary": (write("scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary file"),
    "latin-1": (write("cafe.txt", "Café\n\nCrème brûlée à la carte.".encode("latin-1")),
                "not valid UTF-8"),
    "50-MB": (lambda folder: big_file(folder / "dump.txt"), "larger than the 10 MB limit"),
    "unclosed-front-matter": (write("open.md", b"---\ntitle: Open\n\nBody text.\n"),
                              "never ends"),
    "broken-front-matter": (write("bad.md", b"---\ntitle: [unclosed\n---\n\nBody text.\n"),
                            "broken front matter at line 2"),
    "front-matter-list": (write("list.md", b"---\n- a\n- b\n---\n\nBody text.\n"),
                          "front matter must be"),
    "deep-front-matter": (deep_front_matter, "nested too deeply"),
    "title-only": (write("title.txt", b"Only a title\n"), "no paragraphs"),
    "link-to-a-file-outside": (lambda f: linked_outside(f, directory=False), "outside"),
    "link-to-a-folder-outside": (lambda f: linked_outside(f, directory=True), "outside"),
    "dangling-link": (dangling_link, "does not exist"),
    "looping-link": (looping_link, "leads back to itself"),
    "name-not-utf-8": (name_not_utf8, "name is not valid UTF-8"),
    "folders-1000-deep": (nested_folders, "nested more than 32 deep"),
}


def remove_tree(top: Path) -> None:
    """Remove `top` and everything in it, however deep (`shutil.rmtree` recurses, and pytest's
    clean-up of old temporary folders with it)."""
    folders: list[bytes] = []
    pending = [os.fsencode(top)]
    while pending:
        folder = pending.pop()
        folders.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


def remove_deep_folders() -> None:
    while _DEEP:
        top = _DEEP.pop()
        if top.exists():
            remove_tree(top)
