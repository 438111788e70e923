"""The directory: branches, departments, users with access levels, permissions and queues."""
