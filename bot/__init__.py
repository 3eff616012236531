"""salescoach: a Telegram bot that coaches B2B sales people."""

__version__ = "0.1.0"
