"""Rasa channel connectors for the reference bot: Rasa's own, adjusted where its defaults fall short.

Referenced from credentials.yml by module path (`bot.channels.slack.SlackInput`); Rasa puts the
working directory on `sys.path`, so run Rasa from the repository root.
"""
