"""Knowledge folders built to be slow or large, loaded by this checkout's loader and (with
`--baseline PATH`) by another checkout's in the same run: seconds, peak memory of the loading
process, and the outcome. Each load runs in a fresh process with a time limit.

    python benchmarks/hostile_knowledge.py [--baseline /path/to/other/checkout] [--timeout 120]
        [--fifty]   # also fifty 9.9 MB text files (about 500 MB on disk, minutes for a baseline)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

_PROBE = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from bot.knowledge import KnowledgeError, load_folder
started = time.perf_counter()
try:
    kb = load_folder(sys.argv[2])
    outcome = f"{len(kb.passages)} passages"
except KnowledgeError as exc:
    outcome = "refused: " + str(exc).split(": ", 1)[-1]
except Exception as exc:
    outcome = f"crashed: {type(exc).__name__}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.perf_counter() - started:.2f}\\t{peak:.0f}\\t{outcome[:80]}")
"""


def courtesy_spaces(folder: Path, n: int) -> None:
    (folder / "a.txt").write_text("Title\n\nA paragraph.\n\nCourtesy: a" + " " * n + "x\n")


def heading_hashes(folder: Path, n: int) -> None:
    (folder / "a.md").write_text("# T\n\nA paragraph.\n\n# " + "#" * n + "x\n\nMore.\n")


def deep_folders(folder: Path, depth: int) -> None:
    path = bytes(folder)
    for _ in range(depth):
        path += b"/d"
        Path(path.decode()).mkdir()
    (Path(path.decode()) / "deep.txt").write_text("Deep\n\nA paragraph.\n")


def fifty_files(folder: Path, _: int) -> None:
    paragraph = ("The harbour master counted the fishing boats in the bay at dawn, as the "
                 "council had asked, and wrote the number in the ledger by the door.\n\n")
    body = "Harbour Ledger\n\n" + paragraph * int(9.9 * MB / len(paragraph))
    for number in range(50):
        (folder / f"ledger-{number:02}.txt").write_text(body)


CASES: list[tuple[str, Callable[[Path, int], None], int]] = [
    ('"Courtesy:" line, 3,000 spaces', courtesy_spaces, 3000),
    ('"Courtesy:" line, 20,000 spaces', courtesy_spaces, 20_000),
    ("heading of 20,000 #", heading_hashes, 20_000),
    ("heading of 100,000 #", heading_hashes, 100_000),
    ("folders 1,000 deep", deep_folders, 1000),
]


def load(checkout: Path, folder: Path, timeout: float) -> str:
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(checkout), str(folder)],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f}\t-\tstill loading when stopped"
    return done.stdout.strip() or f"-\t-\tfailed: {done.stderr.strip()[-80:]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--fifty", action="store_true")
    args = parser.parse_args()
    cases = CASES + ([("fifty 9.9 MB text files", fifty_files, 0)] if args.fifty else [])
    checkouts = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    print("| folder | loader | seconds | peak MB | outcome |")
    print("|---|---|---|---|---|")
    for name, make, size in cases:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / "knowledge"
            folder.mkdir()
            make(folder, size)
            for who, checkout in checkouts:
                seconds, peak, outcome = load(checkout, folder, args.timeout).split("\t")
                print(f"| {name} | {who} | {seconds} | {peak} | {outcome} |", flush=True)
            subprocess.run(["rm", "-rf", str(folder)], check=True)  # rmtree recurses


if __name__ == "__main__":
    main()
