"""The response generator (endpoints.yml `nlg:`): knowledge_nlg."""
