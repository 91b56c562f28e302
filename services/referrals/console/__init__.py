"""The console: French pages for auditors, partners, administrators and operators, rendered by the server."""
