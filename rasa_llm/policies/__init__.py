"""Dialogue policies (config.yml `policies:`): action_failure_policy."""
