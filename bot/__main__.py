"""`python -m bot` is the same as the `atlas-video-bot` command."""

from bot.cli import main

raise SystemExit(main())
