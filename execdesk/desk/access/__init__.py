"""Who may do what: the roles, their Django groups, and what happens around a login."""
