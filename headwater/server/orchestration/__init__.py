"""Flow-run state transition rules: each a small class; a policy is an ordered list."""
