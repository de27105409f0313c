"""Stores (endpoints.yml `lock_store:`): redis_lock_store."""
