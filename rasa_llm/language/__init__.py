"""Telling an English message from one in another language, on the short texts of a chat (no Rasa imports)."""
