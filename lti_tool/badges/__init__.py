"""Open Badges: milestone badge definitions, OB 3.0 credentials, status lists, OB 2.0, baking."""
