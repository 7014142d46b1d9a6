"""The site as gunicorn serves it, plus a bare Flask hello-world at /hello in the same workers, so that
bench/http.py measures both in one run on one server and prints their ratio (the noise of a shared
machine cancels out of the ratio).

    gunicorn bench.hello_site:app     (bench/http.py starts it so; never used by the product)
"""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import wsgi

hello = Flask("hello")


@hello.get("/")
def hello_world():
    return "Hello, World!"


app = DispatcherMiddleware(wsgi.app, {"/hello": hello})
