"""Made-up articles on other subjects than the seed's (chemistry, sport), for the conversation
tests: the rules of a conversation must hold for whatever an admin loads."""

from __future__ import annotations

from pathlib import Path

from helpers import write_folder

CHEMISTRY = """---
title: "The enzyme that runs the world: how catalysts shape industry and every living cell -
  Science Weekly"
source: Science Weekly
published: 2024-03-05
url: https://example.test/catalysts
---

# Catalysts

Catalysts speed up chemical reactions without being used up themselves.

Enzymes are the catalysts of living cells; each one fits its substrate like a key in a lock.

## The Haber process

The Haber process makes ammonia from nitrogen and hydrogen over an iron catalyst at about
450 degrees Celsius.

Fritz Haber won the Nobel Prize in Chemistry in 1918 for the synthesis of ammonia.

Carl Bosch scaled the process up at BASF, and the first plant opened in Oppau in 1913.

Today the process feeds about half of the world's population through fertiliser.

It also consumes about one percent of the world's energy supply every year.

Engineers are testing electrolysers that could make the hydrogen without natural gas.

## Catalytic converters

Platinum in a car's catalytic converter turns carbon monoxide into carbon dioxide.

Palladium and rhodium reduce nitrogen oxides in the same converter.

Thieves steal catalytic converters for the precious metals inside them.
"""

SPORT = """---
title: The Harbour Cup
short_title: Harbour Cup report
source: Northport Gazette
published: 2024-05-13
---

# The final

Northport beat Eastvale 3-1 in the final of the Harbour Cup on 12 May 2024.

The winning goal was scored by Lena Okafor in the 88th minute.

She said the team had trained for this moment all season.

The final was played at Riverside Park because the old stadium was closed for repairs.

Eastvale's coach, Marco Diaz, blamed the wet pitch for his team's errors.

About 18,000 fans watched the match in heavy rain.

# The season

Northport lost only two games all season, both away from home.
"""


def chemistry_folder(root: Path) -> Path:
    return write_folder(root / "chemistry", {"catalysts.md": CHEMISTRY})


def sport_folder(root: Path) -> Path:
    return write_folder(root / "sport", {"harbour-cup.md": SPORT})
