"""The Discord layer: slash commands, the job message, buttons.

Thin: the job service does the work."""
