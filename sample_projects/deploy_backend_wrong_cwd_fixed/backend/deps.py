def get_db():
    return {"connected": True}
