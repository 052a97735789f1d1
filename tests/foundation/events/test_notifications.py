"""Notifications: rendering in the recipient's language, channels by preference, email and
SMS as background jobs with retries, the SLA handler and its resolvers, and no mobile
number in any log line."""

import datetime as dt
import logging
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from shuzheng.foundation import access, events
from shuzheng.foundation.events import jobs
from shuzheng.foundation.events.notifications import registry, services, sms
from shuzheng.foundation.events.notifications.events import notify_for_event
from shuzheng.foundation.events.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    Preference,
)
from shuzheng.foundation.events.outbox import Event
from shuzheng.foundation.identity.models import NaturalPerson, User
from shuzheng.foundation.trust.models import AuditRecord

MOBILE = "+8613912345678"
OVERDUE = "workflow.case.overdue"
PAYLOAD = {
    "instance": 7,
    "subject_id": "ZH2026-0042",
    "due_at": "2026-03-02T09:30:00+08:00",
    "state": "accepted",
}


class FailingSmsBackend(sms.BaseSmsBackend):
    """A provider that always refuses — and, carelessly, echoes the number in its error."""

    calls = 0

    def send(self, phone_e164, text):
        FailingSmsBackend.calls += 1
        raise sms.SmsError(f"gateway refused {phone_e164} (code 42)")


def make_user(username, *, language="", email=None, mobile=None, active=True):
    user = User.objects.create_user(
        username=username,
        password="Zhuhai@2026x",
        email=f"{username}@example.org" if email is None else email,
        preferred_language=language,
        is_active=active,
    )
    if mobile is not None:
        NaturalPerson.objects.create(
            user=user, name=username, id_type="111", id_number=f"ID-{username}", mobile=mobile
        )
    return user


def overdue_context():
    return registry.template_for(OVERDUE).context(PAYLOAD)


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "shuzheng.foundation.events.notifications.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def resolver():
    """resolver(users) → the SLA events of "workflow.case" name these users."""
    names = []

    def register(users, *, link=None):
        name = f"tests.case_handlers_{len(names)}"
        registry.register_recipients(
            "workflow.case.*", lambda event_type, payload: users, name=name, link=link
        )
        names.append(name)

    yield register
    for name in names:
        registry.unregister_recipients(name)


def drain_retries():
    """Run every scheduled retry now (what the embedded scheduler does when they fall due)."""
    far = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    ran = 0
    while True:
        due = jobs.huey.read_schedule(far)
        if not due:
            return ran
        for task in due:
            jobs.huey.execute(task, far)  # as if its time had come
            ran += 1


# --- rendering ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_recipient_reads_the_message_in_their_own_language():
    users = {
        lang: make_user(f"u_{lang.replace('-', '_')}", language=lang)
        for lang in ["zh-hans", "zh-hant", "pt", "en"]
    }
    services.notify(access.SYSTEM, users.values(), OVERDUE, overdue_context())
    got = {m.recipient.preferred_language: m for m in Message.objects.select_related("recipient")}

    assert got["zh-hans"].title == "办理已超期"
    assert got["zh-hans"].body == (
        "业务 ZH2026-0042 已超过办理时限 2026-03-02 09:30，当前状态：accepted。请尽快处理。"
    )
    hant = got["zh-hant"]
    assert hant.title != got["zh-hans"].title and hant.title == "辦理已超期"
    assert "業務" in hant.body and "時限" in hant.body and "业务" not in hant.body
    assert got["en"].title == "Processing overdue"
    assert "ZH2026-0042" in got["en"].body and "2026-03-02 09:30" in got["en"].body
    assert got["pt"].title == "Prazo de tratamento ultrapassado"
    assert "ZH2026-0042" in got["pt"].body
    assert {m.language for m in got.values()} == {"zh-hans", "zh-hant", "pt", "en"}


@pytest.mark.django_db
def test_without_a_language_we_serve_the_message_is_in_the_installation_language(settings):
    blank, odd = make_user("blank"), make_user("odd", language="fr")
    services.notify(access.SYSTEM, [blank, odd], OVERDUE, overdue_context())
    assert set(Message.objects.values_list("title", "language")) == {
        ("办理已超期", settings.LANGUAGE_CODE)
    }


@pytest.mark.django_db
def test_the_approaching_warning_has_its_own_text():
    user = make_user("clerk", language="en")
    ctx = registry.template_for("workflow.case.approaching").context(PAYLOAD)
    (message,) = services.notify(access.SYSTEM, [user], "workflow.case.approaching", ctx)
    assert message.title == "Processing deadline approaching"


@pytest.mark.django_db
def test_an_event_type_without_a_template_and_an_outside_link_are_refused():
    user = make_user("clerk")
    with pytest.raises(LookupError):
        services.notify(access.SYSTEM, [user], "services.case.unknown", {})
    with pytest.raises(ValidationError):
        services.notify(
            access.SYSTEM, [user], OVERDUE, overdue_context(), link="https://evil.example/"
        )
    assert not Message.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_inactive_accounts_get_nothing():
    gone = make_user("gone", active=False)
    assert services.notify(access.SYSTEM, [gone], OVERDUE, overdue_context()) == []
    assert not Message.objects.exists()


# --- channels ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_by_default_email_is_sent_after_commit_and_sms_is_not(
    sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_BASE_URL = "https://zwfw.example.gov"
    user = make_user("citizen", mobile=MOBILE)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context(), link="/me/cases/42/")
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    (email,) = mail.outbox
    assert email.to == ["citizen@example.org"] and email.subject == "办理已超期"
    assert email.from_email == settings.NOTIFICATIONS_FROM_EMAIL
    assert "https://zwfw.example.gov/me/cases/42/" in email.body
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)
    assert delivery.destination == "c***@example.org"
    assert sms_outbox == []


@pytest.mark.django_db
def test_a_rolled_back_notification_sends_nothing(django_capture_on_commit_callbacks):
    user = make_user("citizen")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context())
        raise RuntimeError
    assert mail.outbox == [] and not Message.objects.exists()


@pytest.mark.django_db
def test_preferences_choose_the_channels_most_specific_first(
    sms_outbox, django_capture_on_commit_callbacks
):
    quiet = make_user("quiet", mobile="+85366123456")
    texter = make_user("texter", mobile=MOBILE)
    Preference.objects.create(user=quiet, event_type="*", email=False, sms=False)
    Preference.objects.create(user=texter, event_type="*", email=False, sms=False)
    Preference.objects.create(user=texter, event_type="workflow.*.overdue", email=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(access.SYSTEM, [quiet, texter], OVERDUE, overdue_context())
        ctx = registry.template_for("workflow.case.approaching").context(PAYLOAD)
        services.notify(access.SYSTEM, [quiet, texter], "workflow.case.approaching", ctx)

    assert Message.objects.count() == 4  # the inbox always receives them
    assert mail.outbox == []
    assert [(phone, text.split("：")[0]) for phone, text, _id in sms_outbox] == [
        (MOBILE, "办理已超期")
    ]
    delivery = Delivery.objects.get()
    assert delivery.channel == Channel.SMS and delivery.status == DeliveryStatus.SENT
    assert delivery.destination == "139****5678" and delivery.provider_id == "locmem-1"


@pytest.mark.django_db
def test_sms_is_skipped_without_a_mobile_number_and_email_without_an_address(
    sms_outbox, django_capture_on_commit_callbacks
):
    user = make_user("nocontact", email="")
    Preference.objects.create(user=user, event_type="*", email=True, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context())
    assert Message.objects.count() == 1 and not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_failing_provider_is_retried_then_the_delivery_fails_with_the_error(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.SMS_BACKEND = f"{__name__}.FailingSmsBackend"
    FailingSmsBackend.calls = 0
    user = make_user("texter", email="", mobile=MOBILE)
    Preference.objects.create(user=user, event_type="*", email=False, sms=True)
    caplog.set_level(logging.DEBUG)
    drain_retries()  # nothing left over from other tests
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context())

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)  # retry scheduled
    assert drain_retries() == settings.NOTIFICATIONS_SEND_RETRIES
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == FailingSmsBackend.calls == settings.NOTIFICATIONS_SEND_RETRIES + 1
    assert "SmsError" in delivery.last_error and "code 42" in delivery.last_error
    assert MOBILE not in delivery.last_error and "13912345678" not in delivery.last_error
    assert "failed after" in caplog.text  # the failure is logged …
    assert "13912345678" not in caplog.text  # … without the number


@pytest.mark.django_db
def test_mobile_numbers_never_reach_the_logs_or_the_demo_backends(
    settings, django_capture_on_commit_callbacks, caplog, capsys, tmp_path
):
    caplog.set_level(logging.DEBUG)
    user = make_user("texter", mobile=MOBILE)
    Preference.objects.create(user=user, event_type="*", email=True, sms=True)
    settings.SMS_BACKEND = "shuzheng.foundation.events.notifications.sms.ConsoleSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context())
    printed = capsys.readouterr().out
    assert "139****5678" in printed and "办理已超期" in printed

    settings.SMS_BACKEND = "shuzheng.foundation.events.notifications.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(access.SYSTEM, [user], OVERDUE, overdue_context())
    written = (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    assert '"to": "139****5678"' in written

    assert Delivery.objects.filter(channel="sms", status="sent").count() == 2
    for text in (printed, written, caplog.text):
        assert "13912345678" not in text
    assert not Delivery.objects.filter(destination__contains="13912345678").exists()


@pytest.mark.django_db
def test_the_sms_interface_refuses_a_backend_that_returns_no_id(settings):
    settings.SMS_BACKEND = f"{__name__}.SilentSmsBackend"
    with pytest.raises(sms.SmsError):
        sms.send_sms(MOBILE, "x")


class SilentSmsBackend(sms.BaseSmsBackend):
    def send(self, phone_e164, text):
        return ""


# --- audit -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_mass_sends_are_on_the_audit_record(settings):
    settings.NOTIFICATIONS_AUDIT_MIN_RECIPIENTS = 3
    users = [make_user(f"user{n}") for n in range(3)]
    before = AuditRecord.objects.filter(action="notifications.broadcast").count()
    services.notify(access.SYSTEM, users[:1], OVERDUE, overdue_context())
    assert AuditRecord.objects.filter(action="notifications.broadcast").count() == before
    services.notify(access.SYSTEM, users, OVERDUE, overdue_context())
    record = AuditRecord.objects.filter(action="notifications.broadcast").latest("seq")
    assert record.details == {"event_type": OVERDUE, "recipients": 3}


# --- the SLA handler ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_sla_event_notifies_whom_the_domain_resolver_names(
    resolver, django_capture_on_commit_callbacks
):
    handler, bystander = make_user("handler", language="en"), make_user("bystander")
    resolver([handler], link=lambda payload: f"/workbench/cases/{payload['subject_id']}/")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(OVERDUE, PAYLOAD)
    (message,) = Message.objects.all()
    assert message.recipient == handler and message.title == "Processing overdue"
    assert message.link == "/workbench/cases/ZH2026-0042/"
    assert message.event_id is not None
    assert not Message.objects.filter(recipient=bystander).exists()


@pytest.mark.django_db
def test_without_a_resolver_an_sla_event_notifies_nobody(django_capture_on_commit_callbacks):
    make_user("handler")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(OVERDUE, PAYLOAD)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_other_workflow_events_are_ignored(resolver):
    resolver([make_user("handler")])
    event = Event(uuid.uuid4(), "workflow.case.accept", {"instance": 1})
    from shuzheng.foundation.events.notifications.events import on_workflow_event

    on_workflow_event(event)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_handler_is_idempotent_by_event_id(resolver, django_capture_on_commit_callbacks):
    handler = make_user("handler")
    resolver([handler])
    event = Event(uuid.uuid4(), OVERDUE, PAYLOAD)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_for_event(event) == 1
        assert notify_for_event(event) == 0  # delivered again (at least once): no duplicate
    assert Message.objects.filter(recipient=handler).count() == 1
    assert len(mail.outbox) == 1


def test_patterns_match_segments_and_the_most_specific_wins():
    assert registry.matches("workflow.*.overdue", "workflow.case.overdue")
    # workflow codes contain dots: * covers one or more segments
    assert registry.matches("workflow.*.overdue", "workflow.services.case.overdue")
    assert not registry.matches("workflow.*.overdue", "workflow.overdue")
    assert registry.matches("workflow.*", "workflow.case.overdue")
    assert not registry.matches("workflow.*", "workflow")
    assert registry.matches("*", "anything.at.all")
    patterns = ["*", "workflow.*", "workflow.*.overdue", "workflow.case.overdue"]
    assert registry.best_match(patterns, "workflow.case.overdue") == "workflow.case.overdue"
    assert registry.best_match(patterns, "workflow.ticket.overdue") == "workflow.*.overdue"
    assert registry.best_match(patterns, "workflow.ticket.accept") == "workflow.*"
    assert registry.best_match(patterns[1:], "services.case.x") is None
    assert not registry.valid_pattern("Workflow.X") and not registry.valid_pattern("nodot")


@pytest.mark.parametrize("language", ["zh-hant", "pt", "en"])
def test_every_registered_template_reads_in_each_language_we_serve(language):
    """Every event type's message (the foundation's and each package's) has its title and
    body in the four languages: a msgid left untranslated would reach an English or
    Portuguese reader in Simplified Chinese."""
    from django.utils import translation
    from django.utils.translation import trans_real

    catalog = trans_real.translation(language)._catalog  # the compiled .mo, merged
    untranslated = []
    for template in registry.templates():
        for part in ("title", "body"):
            with translation.override("zh-hans"):  # the source language: text == msgid
                msgid = str(getattr(template, part))
            if not catalog.get(msgid):
                untranslated.append(f"{template.pattern} {part}: {msgid}")
    assert registry.templates() and untranslated == []
