"""Types of the optional C search loop (bot/_scoring.c)."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

VERSION: int

def search(
    indptr: npt.NDArray[np.int32],
    indices: npt.NDArray[np.int32],
    data: npt.NDArray[np.float64],
    text_bits: npt.NDArray[np.uint8],
    fact_bits: npt.NDArray[np.uint8],
    rows: Sequence[int],
    weights: Sequence[float],
    tokens: Sequence[str],
    k: int,
    scratch: npt.NDArray[np.float64],
) -> list[tuple[int, float, frozenset[str], frozenset[str], int]]: ...
