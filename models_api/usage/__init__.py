"""Usage of the model calls: token counts, their recording, cost and the admin's daily view."""
