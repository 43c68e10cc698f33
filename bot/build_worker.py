"""The separate process a large reload builds its index in, so that the serving process only
reads the result back: `python -m bot.build_worker FOLDER CACHE_DIR K1 B [MAX_FILE_BYTES
MAX_TOTAL_BYTES]` loads FOLDER within those limits, writes the index's cache entry into CACHE_DIR
and prints the entry's path.

Exit status 3 means the knowledge folder could not be loaded (the reason is on stderr).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path

from bot.index import Index
from bot.index_cache import IndexCache
from bot.knowledge import KnowledgeError, Limits, load_folder

KNOWLEDGE_ERROR = 3


def main(argv: list[str]) -> int:
    folder, cache_dir, k1, b = argv[:4]
    limits = Limits(*map(int, argv[4:6])) if len(argv) >= 6 else Limits()
    with contextlib.suppress(OSError):
        os.nice(10)  # on a small machine, the serving process's threads go first
    gc.disable()  # a process that ends in seconds gains nothing from collecting its garbage
    try:
        knowledge = load_folder(folder, limits)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return KNOWLEDGE_ERROR
    entry = IndexCache(Path(cache_dir)).save(Index(knowledge, k1=float(k1), b=float(b)))
    if entry is None:
        print(f"could not write the index to {cache_dir}", file=sys.stderr)
        return 1
    print(entry)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
