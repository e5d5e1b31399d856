"""Database access: tables, connections, and schema migrations."""
