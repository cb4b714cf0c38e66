"""Turn what was seen into findings: checks, explain, the requirements and code audits."""
