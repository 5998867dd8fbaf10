"""Discord: the port the services call, and (later) its REST adapter on hikari."""
