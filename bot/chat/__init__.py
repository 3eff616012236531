"""The conversation both faces share (terminal and Telegram); for now its text catalogue (issue 15)."""
