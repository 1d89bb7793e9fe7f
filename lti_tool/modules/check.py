"""`python -m lti_tool.modules.check PATH`: the content check without an app (handy for authors)."""

from __future__ import annotations

import argparse
import sys
import time

from .cli import check_content, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lti_tool.modules.check",
                                     description="Validate the learning content in PATH.")
    parser.add_argument("path", help="content folder, the one holding modules/")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    library, problems = check_content(args.path)
    code = report(library, problems, print)
    print(f"Loaded in {time.perf_counter() - started:.2f} s.")
    return code


if __name__ == "__main__":
    sys.exit(main())
