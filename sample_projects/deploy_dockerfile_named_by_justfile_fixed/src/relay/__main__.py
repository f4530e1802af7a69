from starlette.applications import Starlette

app = Starlette()

if __name__ == "__main__":
    print("relay ready", app)
