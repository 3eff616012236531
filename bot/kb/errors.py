"""Errors the knowledge base raises; the CLI and the bot translate them into friendly messages (bot/errors.py)."""

from bot.errors import SalescoachError


class KnowledgeBaseError(SalescoachError):
    """Base class for knowledge-base errors that a user can act on."""


class UnreadableDocument(KnowledgeBaseError):
    """A file could not be read or parsed, is empty, too large or of an unsupported type."""


class IndexMissing(KnowledgeBaseError):
    """No index exists yet at the requested location."""
