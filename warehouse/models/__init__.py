"""One module per warehouse table; each declares `MODELS = (Model(...),)`."""
