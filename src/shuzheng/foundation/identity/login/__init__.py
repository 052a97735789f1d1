"""identity.login — 等保 2.0 level-3 身份鉴别 controls around Django's login.

Password policy and history, lockout, idle-session timeout, the mandatory TOTP second
factor for staff and 三员, security headers and per-IP rate limits. The password step stays
Django's own (``LoginView``, ``authenticate``); everything after it is enforced by middleware
so no page can forget it.
"""
