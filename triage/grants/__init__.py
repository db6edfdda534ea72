"""A browser's access to a ticket, held on the server so that it can be revoked."""
