import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzheng.config.settings")
site_application = get_wsgi_application()

# The exchange gateway (/gateway/v1/...) is served by its own lean WSGI application — no URL
# resolver, no middleware — in front of the site on the same port (data/exchange/gateway).
from shuzheng.data.exchange.gateway.wsgi import mount  # noqa: E402

application = mount(site_application)

# Embedded mode has no worker process: each web process runs the scheduler of periodic and
# delayed jobs (outbox sweep, audit anchor sealing, SLA checks) in a daemon thread. The jobs
# are idempotent, so several web processes running it is harmless. Distributed mode: no-op.
from shuzheng.foundation.events import jobs  # noqa: E402

jobs.start_embedded_scheduler()
