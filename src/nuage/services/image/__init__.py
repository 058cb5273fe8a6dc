"""Images (Glance v2): records, data, members."""
