"""Every call to an outside service lives here and nowhere else; unit tests mock only this."""
