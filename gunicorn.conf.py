"""gunicorn settings, read from the project folder by every `gunicorn wsgi:app` run here (make run, the
browser tests, the benchmarks). The app, and with it jieba's dictionary (about 90 MB), is loaded once in
the master and shared by the workers; each worker then opens its own database connections and search
index files."""
import gc

preload_app = True


def when_ready(server):
    import wsgi
    wsgi.before_forking(wsgi.app)
    gc.freeze()  # objects loaded so far stay out of the collector's way, so the workers' pages stay shared


def post_fork(server, worker):
    import wsgi
    wsgi.after_forking(wsgi.app)


def worker_exit(server, worker):
    import wsgi
    wsgi.before_exiting(wsgi.app)
