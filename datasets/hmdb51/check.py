"""Checks a local copy of HMDB51 against the layout in README.md beside this script.

    python datasets/hmdb51/check.py ~/data/hmdb51 [--fold 1]

Prints every listed video that is missing or does not decode, then one summary
line (videos per split, missing, broken). Exit code 0 when nothing is missing
or broken, 1 otherwise, 2 when the folder does not hold HMDB51's files.
Downloads nothing.
"""

import sys

from zoo.data.formats import check_main

if __name__ == "__main__":
    sys.exit(check_main("hmdb51"))
