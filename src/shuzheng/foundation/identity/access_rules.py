"""How identity rows are reached by the access policy."""

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import (
    Enterprise,
    EnterpriseAgent,
    NaturalPerson,
    Organisation,
    StaffProfile,
    User,
)

access.rule(Organisation, org="self")
access.rule(StaffProfile, org="organisation", owner="user")
access.rule(User, org="staff__organisation", owner="pk")
access.rule(NaturalPerson, org=None, owner="user")
access.rule(Enterprise, org=None, enterprise="self")
access.rule(EnterpriseAgent, org=None, owner="person__user", enterprise="enterprise")
