"""Pure presentation: domain models in, Rich `Text` and plain strings out. No Textual here.

Widgets own layout and interaction; everything that decides what a status *says* lives here, so
it is tested headless and reads the same in the TUI, in 16 colours and with `NO_COLOR` (every
status carries a glyph and a word, colour only repeats what the words already say).
"""
