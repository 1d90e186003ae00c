# The sign-in email moves from a plaintext column (and allauth's EmailAddress table) to an
# encrypted column found by its blind index. Existing addresses are encrypted in place; an
# address allauth had verified counts as verified; allauth's copies are then deleted.

import tutela.crypto.blind_index
import tutela.crypto.fields
from django.db import migrations, models
from django.utils import timezone


def encrypt_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = set(EmailAddress.objects.filter(verified=True).values_list("user_id", flat=True))
    now = timezone.now()
    for user in User.objects.order_by("pk").iterator():
        user.email = user.email_plaintext.strip().lower()
        if user.pk in verified:
            user.email_verified_at = now
        user.save(update_fields=["email", "email_bidx", "email_verified_at"])
    EmailAddress.objects.all().delete()


def decrypt_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user in User.objects.order_by("pk").iterator():
        user.email_plaintext = user.email
        user.save(update_fields=["email_plaintext"])
        EmailAddress.objects.create(
            user_id=user.pk,
            email=user.email,
            primary=True,
            verified=user.email_verified_at is not None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("crypto", "0001_key_store"),
    ]

    operations = [
        migrations.RenameField(model_name="user", old_name="email", new_name="email_plaintext"),
        # Nullable while it goes, so that migrating backwards can re-add it before refilling it.
        migrations.AlterField(
            model_name="user",
            name="email_plaintext",
            field=models.EmailField(max_length=254, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="user",
            name="email",
            field=tutela.crypto.fields.EncryptedTextField(
                blind_index="email_bidx",
                key_class="account",
                max_length=254,
                null=True,
                row_field="subject_id",
                verbose_name="email address",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="email_bidx",
            field=tutela.crypto.blind_index.BlindIndexField(
                label="accounts.email", source="email", unique=True
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=tutela.crypto.fields.EncryptedTextField(
                blank=True, key_class="account", max_length=254, null=True, row_field="subject_id"
            ),
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses, elidable=False),
        migrations.RemoveField(model_name="user", name="email_plaintext"),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=tutela.crypto.fields.EncryptedTextField(
                blind_index="email_bidx",
                key_class="account",
                max_length=254,
                row_field="subject_id",
                verbose_name="email address",
            ),
        ),
        migrations.AlterField(
            model_name="securityevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Failed sign-in"),
                    ("sign_up", "Signed up"),
                    ("sign_out", "Signed out"),
                    ("password_reset_requested", "Password reset requested"),
                    ("password_reset_done", "Password reset"),
                    ("password_changed", "Password changed"),
                    ("sign_in_refused", "Sign-in refused (wrong area)"),
                    ("email_verified", "Email address confirmed"),
                    ("email_changed", "Sign-in email changed"),
                ],
                max_length=32,
            ),
        ),
    ]
