import os

# The process tests need a real PostgreSQL and Redis; CI=true makes them mandatory.
collect_ignore = []
if not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("REDIS_URL")):
    collect_ignore.append("test_processes.py")
