"""The Discord layer's shared pieces: the job message (render, progress, delivery), the
buttons' looks and base class, admin checks, orders from interactions, error answers, the
command tree and its translator. Features live in `bot.exts`; nothing here imports them."""
