"""The suggestion pipeline: spot → candidates → features → rank → policy (see pipeline.py)."""
