"""Training sets: grouped, stratified splits with lineage, great-expectations gates, DVC versions."""
