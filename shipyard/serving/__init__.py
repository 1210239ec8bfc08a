"""Serving: the three modes (online, batch, stream) and the prediction log they share."""
