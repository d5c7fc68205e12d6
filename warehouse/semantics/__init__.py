"""What the flow means: the workflow map from raw statuses to canonical states, and the flow
rules (active, done, open at an instant, inside a period) written once as SQL fragments."""
