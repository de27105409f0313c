"""Runnable pieces around Rasa: the shop API service, the web chat page and the stack launcher."""
