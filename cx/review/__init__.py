"""The weekly review: what changed, what is real, what to discuss; and its export."""
