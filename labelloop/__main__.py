"""`python -m labelloop` runs the command line."""

from labelloop.cli import main

main()
