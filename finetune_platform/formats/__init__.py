"""Turn curated records into training examples (instruction pairs)."""
