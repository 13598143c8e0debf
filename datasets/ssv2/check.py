"""Checks a local copy of Something-Something v2 against the layout in README.md beside this script.

    python datasets/ssv2/check.py ~/data/ssv2

Prints every listed video that is missing or does not decode, then one summary
line (videos per split, missing, broken). Exit code 0 when nothing is missing
or broken, 1 otherwise, 2 when the folder does not hold Something-Something v2's files.
Downloads nothing.
"""

import sys

from zoo.data.formats import check_main

if __name__ == "__main__":
    sys.exit(check_main("ssv2"))
