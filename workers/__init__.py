"""Department workers: fetch external tasks, call the department's adapter, complete or fail."""
