"""CI adapters: GitHub Actions, GitLab CI, Jenkins."""
