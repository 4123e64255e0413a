"""Saved results are not shown in the admin: their answers are personal data that only the
person holding the link may read. Nothing is registered here on purpose."""
