"""A region's directory: its agencies and their contacts, and its phone numbers."""
