class Config:
    service_name = "health"
