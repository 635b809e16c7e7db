"""Plan formats: each module turns text or bytes into a `Plan` and back, with no file I/O."""
