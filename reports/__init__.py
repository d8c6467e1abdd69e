"""Report building from what a run wrote under reports/out/."""
