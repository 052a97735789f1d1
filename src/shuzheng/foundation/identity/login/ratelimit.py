"""Per-address request counting in fixed one-minute windows, in Django's cache.

The embedded installation's local-memory cache is per process, which is right for one
process; several web processes need a shared cache (Redis) or each counts on its own."""

import math
import time

from django.core.cache import caches

from shuzheng.foundation.identity.login.policy import setting

WINDOW_SECONDS = 60


def hit(bucket: str, ident: str | None, limit: int) -> int | None:
    """Count one request from ``ident``; the seconds to wait when over ``limit``, else None."""
    if limit <= 0 or not ident:
        return None
    cache = caches[setting("RATE_LIMIT_CACHE", "default")]
    now = time.time()
    start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    key = f"shuzheng:ratelimit:{bucket}:{ident}:{start}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil(start + WINDOW_SECONDS - now))
    return None
