"""The foundation's own searchable models: organisations (public) and staff (by org).

They live here until identity declares them itself; domain packages call
``search.register`` from their own ``AppConfig.ready()``."""

from shuzheng.foundation.search.registry import register


def register_all() -> None:
    from shuzheng.foundation.identity.models import Organisation, StaffProfile, User

    register(
        Organisation,
        perm="identity.view_organisation",
        title="name",
        keywords=lambda o: [o.short_name, *(o.alt_names or []), o.division_code],
        body=lambda o: " ".join(filter(None, [o.get_kind_display(), o.category, o.note])),
        public=True,
        org_path="path",
        queryset=lambda: Organisation.objects.filter(is_active=True),
    )
    register(
        StaffProfile,
        perm="identity.view_staff",
        title=lambda s: s.user.display_name or s.user.username,
        keywords=lambda s: [s.user.username, s.employee_no, s.position],
        body=lambda s: f"{s.position} {s.organisation.name}",
        org_path="organisation.path",
        queryset=lambda: StaffProfile.objects.filter(is_active=True).select_related(
            "user", "organisation"
        ),
        depends_on=[
            (User, lambda u: StaffProfile.objects.filter(user=u).values_list("pk", flat=True)),
            (
                Organisation,
                lambda o: StaffProfile.objects.filter(organisation=o).values_list("pk", flat=True),
            ),
        ],
    )
