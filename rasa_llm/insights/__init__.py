"""Conversation insights: what the bot's conversations look like and what it could not handle.

`python -m rasa_llm.insights` reads the tracker store of an endpoints file for a time window
(`store`), accumulates the figures one conversation at a time (`figures`, `unhandled`), groups the
unhandled messages by meaning (`grouping`), and writes an HTML page with inline plots plus JSON/CSV
figures (`report`, `page`, `plots`), with personal data masked (rasa_llm.shared.privacy).
"""
