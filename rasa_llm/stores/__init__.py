"""Stores (endpoints.yml `lock_store:` and `tracker_store:`): redis_lock_store, sql_tracker_store (whose
trackers are tracker_states' StateCachingTracker)."""
