"""Dialogue policies (config.yml `policies:`): action_failure_policy, and the check of action-server
responses it installs (action_response_check)."""
