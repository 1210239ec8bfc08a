"""``shipyard ci``: one call for a CI job — checks, tests, data validation, the pipeline,
gates against production, package checks, an integration test on an ephemeral server, and the
``tested`` mark — with a report for the pull request (Markdown, JUnit XML, JSON) and the
GitHub Actions / GitLab CI definitions that run it."""
