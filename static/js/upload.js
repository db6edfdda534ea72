// Upload forms work as plain multipart posts; issue 5 enhances them in place.
