"""Scale-out and durability tests: several gateway processes sharing one database and cache."""
