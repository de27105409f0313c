"""Logging filters for a logging config file (bot/logging.yml): log_redaction (personal data and
secrets masked), action_server_log (one line for an unreachable action server)."""
