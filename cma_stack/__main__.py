"""`python -m cma_stack run` (`make run`) or `python -m cma_stack shell` (`make shell`); see cma_stack/serve.py."""

from __future__ import annotations

import argparse
import sys

from cma_stack.serve import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m cma_stack", description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=["run", "shell"], default="run")
    sys.exit(main(parser.parse_args().mode))
