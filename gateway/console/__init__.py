"""The agent console, served by the gateway (server-rendered pages)."""
