"""lib/ui without pages: downloads, uploads, the server's settings."""
