"""The knowledge base: load, clean, chunk, embed, index, retrieve, answer. Never imports telegram."""
