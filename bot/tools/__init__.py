"""Tooling beside the product: benchmarks, evals and the fake Bot API the face tests and `bench bot` drive.

Nothing in the domain (`bot/kb`, `bot/coach`, `bot/store`) imports from here; this package may import anything
(rich, telegram, the domain) because only the command line and the tests use it."""
