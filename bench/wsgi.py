"""What ``make bench`` serves: the app, and a bare Flask "hello" at ``/hello`` in the
same gunicorn workers, so every page is measured next to the cheapest possible answer."""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from inclusion import create_app

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    return "hello"


app = DispatcherMiddleware(create_app(commands=False), {"/hello": hello})
