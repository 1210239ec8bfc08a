"""Progressive delivery: smoke tests, rollouts judged on live traffic, automatic rollback."""
