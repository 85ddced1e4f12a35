"""Project-wide pytest set-up."""

import os

# Tests run with DEBUG off (as in production) but need a key: never used outside tests.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
