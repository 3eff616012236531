"""The Telegram face: python-telegram-bot glue only; all behaviour lives in the domain services."""
