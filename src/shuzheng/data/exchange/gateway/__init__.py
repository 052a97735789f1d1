"""The exchange gateway (X-Road semantics): ``core.handle`` is the whole call; ``wsgi`` serves
it without Django's URL resolver and middleware, ``urls`` through Django (test client,
runserver). Importing this package loads no models, so ``wsgi`` can set Django up first."""
