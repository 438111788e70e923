"""Operating Caredesk: the components and the `caredesk` command that runs them."""
