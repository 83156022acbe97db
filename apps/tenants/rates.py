"""The rate-limit format, "<requests>/<period>": one definition for the settings, the SCIM
throttles and the single sign-on throttles.

Plain Python with no Django import, so that settings.py can refuse a malformed value at
start-up with the same definition the throttles use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """ "3000/m", "50/s", "600/10s" -> Rate; a malformed rate is a configuration error."""
    match = RATE_PATTERN.match(text or "")
    if not match or int(match[1]) < 1:
        raise ValueError(f'A rate limit looks like "3000/m" or "600/10s", not {text!r}.')
    multiplier = int(match[2]) if match[2] else 1
    return Rate(requests=int(match[1]), seconds=multiplier * UNIT_SECONDS[match[3].lower()])
