from domain.errors import AppError

app = {"errors": [AppError]}
