"""`python -m didmeta.server` is `didmeta serve`."""

from didmeta.cli.main import main

main(["serve", *__import__("sys").argv[1:]])
