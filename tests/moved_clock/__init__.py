"""The clock a test moved, reaching the Python processes it starts: see sitecustomize.py."""
