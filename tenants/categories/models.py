from siaga112.platform.db import Base  # noqa: F401  (tables come with this context's issue)
